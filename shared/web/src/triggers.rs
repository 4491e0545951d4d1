//! process-api, automation: triggers (admins), where a process is used, replacing a process
//! everywhere, and testing a trigger.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::{idempotency_key, ApiJson, ApiPath, ApiQuery, JsonBytes, OptionalJson};
use super::{created, history_of, staff_actor, staff_change, tenant, to_json, AppState, Routes};
use crate::auth::{Admin, Staff};
use crate::error::{ApiError, ApiResult, Problem};
use crate::views::Page;
use app::automation::{self, Outcome, Source};
use app::repo::{definitions as defs, hooks, triggers, PageParams};
use domain::process::Process;
use domain::trigger::{Trigger, TriggerInput, TriggerOwner};

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/triggers", post(create).get(list))
        .route("/v1/triggers/{id}", get(get_one).put(update))
        .route("/v1/triggers/{id}/history", get(history))
        .route("/v1/triggers/{id}/test", post(test))
        .route("/v1/processes/{id}/triggers", get(used_by))
        .route("/v1/processes/{id}/replace", post(replace))
        .route("/v1/triggers/{id}/secret", post(rotate_secret))
        .route("/v1/hooks/{trigger_id}", post(receive))
}

/// The admin who makes a trigger or a subscription, as their failures' emails address them.
pub(crate) fn owner_of(id: &crate::auth::Identity) -> TriggerOwner {
    TriggerOwner {
        sub: id.sub.clone(),
        email: id.email.clone(),
        name: id.name.clone(),
        locale: id.locale,
    }
}

/// The process a trigger starts must exist (and not be archived).
async fn check_process(s: &AppState, tenant: &str, input: &TriggerInput) -> ApiResult<()> {
    if let domain::trigger::TriggerAction::StartRun { process_id, .. } = &input.action {
        let unknown = || domain::DomainError::invalid("action.process_id", "unknown", "no such active process");
        match defs::get::<Process>(s.table.as_ref(), tenant, process_id).await {
            Ok(p) if p.status == domain::process::ProcessStatus::Active => {}
            Ok(_) => return Err(unknown().into()),
            Err(e) if e.is_not_found() => return Err(unknown().into()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Defines a trigger (admins): on an event of this product or an inbound webhook, with an
/// optional filter, it starts a run or completes an order step.
#[utoipa::path(post, path = "/v1/triggers", tag = "triggers", security(("jwt" = [])),
    request_body = TriggerInput,
    responses((status = 201, description = "The trigger (webhook triggers: with their secret, this once)", body = CreatedTrigger),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A mapping that does not fit the event, or an unknown process", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(s): State<AppState>,
    admin: Admin,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<TriggerInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let id = &admin.0;
    check_process(&s, &id.tenant_id, &input).await?;
    let owner = owner_of(id);
    let actor = staff_actor(id);
    let (trigger, secret) = hooks::create_trigger(
        s.table.as_ref(),
        &id.tenant_id,
        input,
        owner,
        &actor,
        key.as_deref(),
        s.config.clock.now(),
    )
    .await?;
    Ok(created(to_json(&CreatedTrigger { trigger, secret })))
}

/// The tenant's triggers.
#[utoipa::path(get, path = "/v1/triggers", tag = "triggers", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of triggers", body = Page<Trigger>)))]
async fn list(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let (items, last) = triggers::list(s.table.as_ref(), tenant(&id), &page).await?;
    Ok(Json(to_json(&Page::new(items, last))))
}

#[utoipa::path(get, path = "/v1/triggers/{id}", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The trigger's id")),
    responses((status = 200, description = "The trigger", body = Trigger)))]
async fn get_one(State(s): State<AppState>, Staff(id): Staff, ApiPath(tid): ApiPath<String>) -> ApiResult<Json<Value>> {
    let t: Trigger = app::repo::load(s.table.as_ref(), tenant(&id), &tid).await?;
    Ok(Json(to_json(&t)))
}

/// Replaces what a trigger does (admins); `enabled: false` stops it.
#[utoipa::path(put, path = "/v1/triggers/{id}", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The trigger's id")),
    request_body = TriggerInput,
    responses((status = 200, description = "The trigger", body = Trigger)))]
async fn update(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(tid): ApiPath<String>,
    ApiJson(input): ApiJson<TriggerInput>,
) -> ApiResult<Json<Value>> {
    check_process(&s, &admin.0.tenant_id, &input).await?;
    let t = staff_change(&s, &admin.0, &tid, |t: &mut Trigger, _, now| t.update(input, now)).await?;
    Ok(Json(to_json(&t)))
}

/// A trigger's events, oldest first (its failures with their reasons among them).
#[utoipa::path(get, path = "/v1/triggers/{id}/history", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The trigger's id")),
    responses((status = 200, description = "The trigger's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, Staff(id): Staff, ApiPath(tid): ApiPath<String>) -> ApiResult<Json<Value>> {
    history_of::<Trigger>(&s, &id, &tid).await
}

/// What a test of a trigger acts on: an order of the tenant (order mappings) or a payload
/// (webhook mappings).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TestInput {
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    payload: Option<Value>,
}

/// What the test did.
#[derive(Serialize, utoipa::ToSchema)]
struct Tested {
    /// The test run it started.
    run_id: Option<String>,
}

/// Tests a trigger that starts runs (admins): it starts a test run from the given order or
/// payload (what it cannot map is a 409 naming it); nothing is recorded on the trigger.
#[utoipa::path(post, path = "/v1/triggers/{id}/test", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The trigger's id")),
    request_body(content = Option<TestInput>, description = "Optional"),
    responses((status = 200, description = "The test run", body = Tested),
        (status = 409, description = "The trigger does not start runs, or its mapping found nothing", body = Problem, content_type = "application/problem+json")))]
async fn test(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(tid): ApiPath<String>,
    OptionalJson(input): OptionalJson<TestInput>,
) -> ApiResult<Json<Value>> {
    let t_id = &admin.0.tenant_id;
    let t: Trigger = app::repo::load(s.table.as_ref(), t_id, &tid).await?;
    if t.starts().is_none() {
        return Err(app::error::AppError::conflict("only triggers that start runs can be tested").into());
    }
    let order = match &input.order_id {
        Some(o) => Some(app::repo::load(s.table.as_ref(), t_id, o).await?),
        None => None,
    };
    let event_id = format!("test-{}", domain::ids::new_id());
    let source = Source {
        tenant: t_id,
        event_id: &event_id,
        order,
        run: None,
        payload: input.payload.as_ref(),
        test: true,
    };
    let outcome = automation::fire(s.table.as_ref(), &t, &source, s.config.clock.now()).await?;
    let run_id = match outcome {
        Outcome::Started(id) => Some(id),
        _ => None,
    };
    Ok(Json(to_json(&Tested { run_id })))
}

/// Where a process is used: the triggers that start it.
#[utoipa::path(get, path = "/v1/processes/{id}/triggers", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id")),
    responses((status = 200, description = "The triggers that start it", body = Page<Trigger>)))]
async fn used_by(State(s): State<AppState>, Staff(id): Staff, ApiPath(pid): ApiPath<String>) -> ApiResult<Json<Value>> {
    defs::get::<Process>(s.table.as_ref(), tenant(&id), &pid).await?;
    let items = triggers::starting(s.table.as_ref(), &id.tenant_id, &pid).await?;
    Ok(Json(to_json(&Page::new(items, None))))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplaceInput {
    /// The process that takes its place.
    with: String,
}

/// Replaces a process everywhere it is started automatically (admins): every trigger that
/// starts it starts `with` from now on, all in one transaction.
#[utoipa::path(post, path = "/v1/processes/{id}/replace", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process being replaced")),
    request_body = ReplaceInput,
    responses((status = 200, description = "The triggers changed", body = Page<Trigger>),
        (status = 409, description = "A trigger changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`with` is no active process, or is the same one", body = Problem, content_type = "application/problem+json")))]
async fn replace(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(pid): ApiPath<String>,
    ApiJson(input): ApiJson<ReplaceInput>,
) -> ApiResult<Json<Value>> {
    let t = &admin.0.tenant_id;
    defs::get::<Process>(s.table.as_ref(), t, &pid).await?;
    let bad = || domain::DomainError::invalid("with", "unknown", "no such active process (other than this one)");
    if input.with == pid {
        return Err(bad().into());
    }
    match defs::get::<Process>(s.table.as_ref(), t, &input.with).await {
        Ok(p) if p.status == domain::process::ProcessStatus::Active => {}
        Ok(_) => return Err(bad().into()),
        Err(e) if e.is_not_found() => return Err(bad().into()),
        Err(e) => return Err(e.into()),
    }
    let actor = staff_actor(&admin.0);
    let items = triggers::replace_process(s.table.as_ref(), t, &pid, &input.with, &actor, s.config.clock.now()).await?;
    Ok(Json(to_json(&Page::new(items, None))))
}

/// A new trigger, and for webhook triggers their secret: shown this once.
#[derive(Serialize, utoipa::ToSchema)]
struct CreatedTrigger {
    #[serde(flatten)]
    trigger: Trigger,
    /// Webhook triggers: the signing secret (never shown again; rotate it to get a new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// A webhook trigger's new secret.
#[derive(Serialize, utoipa::ToSchema)]
struct Secret {
    secret: String,
    generation: u32,
}

/// Makes a new secret for a webhook trigger (admins); the old one stops working at once.
#[utoipa::path(post, path = "/v1/triggers/{id}/secret", tag = "triggers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The trigger's id")),
    responses((status = 200, description = "The new secret, shown this once", body = Secret),
        (status = 409, description = "Not a webhook trigger", body = Problem, content_type = "application/problem+json")))]
async fn rotate_secret(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(tid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let actor = staff_actor(&admin.0);
    let (t, secret) = hooks::rotate(s.table.as_ref(), &admin.0.tenant_id, &tid, &actor, s.config.clock.now()).await?;
    Ok(Json(to_json(&Secret {
        secret,
        generation: t.secret_generation.unwrap_or(1),
    })))
}

/// What a webhook started.
#[derive(Serialize, utoipa::ToSchema)]
struct Received {
    run_id: Option<String>,
}

/// An inbound webhook for a trigger: signed (`Webhook-Signature: t={unix seconds},v1={hex
/// HMAC-SHA256 of "{t}.{body}"}`, five minutes' tolerance), a JSON object with an `id` (the
/// sender's event id: the same id again starts nothing new and answers the same run).
#[utoipa::path(post, path = "/v1/hooks/{trigger_id}", tag = "triggers", security(()),
    params(("trigger_id" = String, Path, description = "The trigger's id"),
        ("Webhook-Signature" = String, Header, description = "`t=…,v1=…`")),
    request_body(content = Object, description = "The sender's event: a JSON object with `id`"),
    responses((status = 202, description = "Taken: the run it started", body = Received),
        (status = 401, description = "No, a stale or a wrong signature", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The trigger is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `id`, or the payload lacks what the trigger maps", body = Problem, content_type = "application/problem+json")))]
async fn receive(
    State(s): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    headers: axum::http::HeaderMap,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    use domain::signature::{verify, SignatureError};
    let hook = hooks::hook(s.table.as_ref(), &tid)
        .await?
        .ok_or(ApiError::NotFound("webhook"))?;
    let now = s.config.clock.now();
    let signature = headers.get("webhook-signature").and_then(|v| v.to_str().ok());
    verify(&hook.secret, signature, &body, now.timestamp()).map_err(|e| {
        ApiError::Unauthorized(match e {
            SignatureError::Missing => "the Webhook-Signature header is missing",
            SignatureError::Malformed => "the Webhook-Signature header is not `t=…,v1=…`",
            SignatureError::Stale => "the signature's time is more than five minutes away",
            SignatureError::Mismatch => "the signature does not match",
        })
    })?;
    super::record_tenant(&hook.tenant_id);
    let payload: Value = super::extract::parse_json(&body)?;
    let Some(event_id) = payload
        .get("id")
        .and_then(Value::as_str)
        .filter(|i| !i.trim().is_empty() && i.len() <= 200)
    else {
        return Err(
            domain::DomainError::invalid("id", "required", "the event's id (1-200 characters) is required").into(),
        );
    };
    let t: Trigger = app::repo::load(s.table.as_ref(), &hook.tenant_id, &hook.trigger_id).await?;
    if !t.enabled {
        return Err(app::error::AppError::conflict("the trigger is disabled").into());
    }
    let event_id = format!("hook-{}", domain::ids::hash_token(event_id));
    let source = Source {
        tenant: &hook.tenant_id,
        event_id: &event_id,
        order: None,
        run: None,
        payload: Some(&payload),
        test: false,
    };
    let run_id = match automation::fire(s.table.as_ref(), &t, &source, now).await {
        Ok(Outcome::Started(id)) => Some(id),
        Ok(_) => None,
        Err(app::error::AppError::Domain(domain::DomainError::Conflict(why))) => {
            return Err(ApiError::Validation(vec![domain::FieldError::new(
                "payload",
                "unmappable",
                why,
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    let body = to_json(&Received { run_id });
    Ok((axum::http::StatusCode::ACCEPTED, Json(body)).into_response())
}
