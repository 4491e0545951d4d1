//! process-api: journeys, process definitions, runs and steps (staff).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::{idempotency_key, if_match_version, ApiJson, ApiPath, ApiQuery, OptionalJson};
use super::{created, finish, history_of, page, staff_change, tenant, to_json, with_etag, AppState, Routes};
use crate::auth::Staff;
use crate::error::{ApiResult, Problem};
use crate::views::Page;
use app::repo::definitions::{self as defs, Definition};
use app::repo::runs::{self, RunFilter};
use app::repo::PageParams;
use domain::journey::{Journey, JourneyInput};
use domain::process::{Process, ProcessInput};
use domain::run::{Contact, Creator, Run, RunInput, RunView, Warning};

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/openapi.json", get(crate::openapi::openapi_json))
        .route("/v1/journeys", post(create_journey).get(list_journeys))
        .route("/v1/journeys/{id}", get(get_journey))
        .route("/v1/processes", post(create_process).get(list_processes))
        .route(
            "/v1/processes/{id}",
            get(get_process).put(update_process).delete(archive_process),
        )
        .route("/v1/processes/{id}/duplicate", post(duplicate_process))
        .route("/v1/processes/{id}/runs", post(start_run))
        .route("/v1/runs", get(list_runs))
        .route("/v1/runs/{id}", get(get_run))
        .route("/v1/runs/{id}/steps/{key}/complete", post(complete_step))
        .route("/v1/runs/{id}/steps/{key}/due-date", put(move_due_date))
        .route("/v1/runs/{id}/steps/{key}/reminders", post(remind_now))
        .route("/v1/runs/{id}/reminders/pause", post(pause_reminders))
        .route("/v1/runs/{id}/reminders/resume", post(resume_reminders))
        .route("/v1/runs/{id}/cancel", post(cancel_run))
        .route("/v1/runs/{id}/history", get(history))
        .route("/v1/runs/{id}/participants/{role}", put(change_participant))
        .merge(super::admin::routes())
        .merge(super::undeliverable::routes())
        .merge(super::documents::routes())
        .merge(super::collaboration::routes())
        .merge(super::comments::routes())
        .merge(super::triggers::routes())
        .merge(super::webhooks::routes())
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}

/// Creates a journey (a step's form).
#[utoipa::path(post, path = "/v1/journeys", tag = "journeys", security(("jwt" = [])),
    request_body = JourneyInput,
    responses((status = 201, description = "The journey", body = Journey)))]
async fn create_journey(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiJson(input): ApiJson<JourneyInput>,
) -> ApiResult<Response> {
    let journey = defs::create_journey(s.table.as_ref(), tenant(&id), input).await?;
    Ok(created(to_json(&journey)))
}

/// The tenant's journeys, a page at a time.
#[utoipa::path(get, path = "/v1/journeys", tag = "journeys", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of journeys", body = Page<Journey>)))]
async fn list_journeys(s: State<AppState>, id: Staff, p: ApiQuery<PageParams>) -> ApiResult<Json<Value>> {
    list_of::<Journey>(s, id, p).await
}

/// The tenant's processes, a page at a time.
#[utoipa::path(get, path = "/v1/processes", tag = "processes", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of processes", body = Page<Process>)))]
async fn list_processes(s: State<AppState>, id: Staff, p: ApiQuery<PageParams>) -> ApiResult<Json<Value>> {
    list_of::<Process>(s, id, p).await
}

/// A journey, with its version as `ETag`.
#[utoipa::path(get, path = "/v1/journeys/{id}", tag = "journeys", security(("jwt" = [])),
    params(("id" = String, Path, description = "The journey's id")),
    responses((status = 200, description = "The journey", body = Journey,
        headers(("ETag" = String, description = "The version, for If-Match")))))]
async fn get_journey(s: State<AppState>, id: Staff, did: ApiPath<String>) -> ApiResult<Response> {
    get_of::<Journey>(s, id, did).await
}

/// A process, with its version as `ETag`.
#[utoipa::path(get, path = "/v1/processes/{id}", tag = "processes", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id")),
    responses((status = 200, description = "The process, with the texts each language lacks", body = ProcessView,
        headers(("ETag" = String, description = "The version, for If-Match")))))]
async fn get_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(did): ApiPath<String>,
) -> ApiResult<Response> {
    let t = tenant(&id);
    let process: Process = defs::get(s.table.as_ref(), t, &did).await?;
    let journeys = defs::journeys_of(s.table.as_ref(), t, &process.steps).await?;
    let default = crate::tenant_default(&s, t).await?;
    let missing_translations = process.missing_translations(&journeys, default);
    Ok(with_etag(
        process.version,
        &ProcessView {
            process: &process,
            missing_translations,
        },
    ))
}

/// A process as `GET /v1/processes/{id}` shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProcessView<'a> {
    #[serde(flatten)]
    pub process: &'a Process,
    /// Per language, the texts participants read that lack it (`name`, `steps[1].name`,
    /// `steps[0].info_texts.customer`, `journeys.<id>.fields[2].options[1]`); a language that
    /// lacks nothing is left out. A plain string counts as the tenant's default language.
    #[schema(value_type = Object)]
    pub missing_translations: domain::i18n::Missing,
}

/// A run as starting it answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StartedRun<'a> {
    #[serde(flatten)]
    pub run: RunView<'a>,
    /// What the participants will notice, such as texts missing in their language.
    pub warnings: Vec<Warning>,
}

/// A page of the tenant's journeys or processes.
async fn list_of<D: Definition>(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    Ok(page(defs::list::<D>(s.table.as_ref(), tenant(&id), &p).await?))
}

/// A journey or process, with its version as `ETag`.
async fn get_of<D: Definition>(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(did): ApiPath<String>,
) -> ApiResult<Response> {
    let d: D = defs::get(s.table.as_ref(), tenant(&id), &did).await?;
    Ok(with_etag(d.version(), &d))
}

/// Creates a process definition.
#[utoipa::path(post, path = "/v1/processes", tag = "processes", security(("jwt" = [])),
    request_body = ProcessInput,
    responses((status = 201, description = "The process", body = Process)))]
async fn create_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiJson(input): ApiJson<ProcessInput>,
) -> ApiResult<Response> {
    let process = defs::create_process(s.table.as_ref(), tenant(&id), input).await?;
    Ok(created(to_json(&process)))
}

/// Replaces a process definition; `If-Match` carries the version edited. Runs keep theirs.
#[utoipa::path(put, path = "/v1/processes/{id}", tag = "processes", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id"),
        ("If-Match" = String, Header, description = "The version edited (`3`, `\"3\"` or `W/\"3\"`)")),
    request_body = ProcessInput,
    responses((status = 200, description = "The process, new version", body = Process),
        (status = 409, description = "The process is archived", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Someone changed the process since that version", body = Problem, content_type = "application/problem+json")))]
async fn update_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ProcessInput>,
) -> ApiResult<Json<Value>> {
    let expected = if_match_version(&headers)?;
    let process = defs::update_process(s.table.as_ref(), tenant(&id), &pid, expected, input).await?;
    Ok(Json(to_json(&process)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DuplicateInput {
    /// The copy's name (default: the original's with a suffix).
    #[serde(default)]
    name: Option<domain::i18n::Text>,
}

/// Copies a process under a new id (the body may be left out).
#[utoipa::path(post, path = "/v1/processes/{id}/duplicate", tag = "processes", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id")),
    request_body(content = Option<DuplicateInput>, description = "Optional"),
    responses((status = 201, description = "The copy", body = Process)))]
async fn duplicate_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    OptionalJson(input): OptionalJson<DuplicateInput>,
) -> ApiResult<Response> {
    let process = defs::duplicate_process(s.table.as_ref(), tenant(&id), &pid, input.name).await?;
    Ok(created(to_json(&process)))
}

/// Archives a process: no new runs; running ones go on.
#[utoipa::path(delete, path = "/v1/processes/{id}", tag = "processes", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id")),
    responses((status = 204, description = "Archived"),
        (status = 409, description = "Enabled triggers start it (named in the detail)", body = Problem, content_type = "application/problem+json")))]
async fn archive_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
) -> ApiResult<StatusCode> {
    defs::archive_process(s.table.as_ref(), tenant(&id), &pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a run of a process; its participants are emailed when their steps start.
#[utoipa::path(post, path = "/v1/processes/{id}/runs", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The process's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first run")),
    request_body = RunInput,
    responses((status = 201, description = "The run, with warnings", body = StartedRun),
        (status = 409, description = "The process is archived, or a request with this key is in flight", body = Problem, content_type = "application/problem+json")))]
async fn start_run(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RunInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let t = tenant(&id);
    let process: Process = defs::get(s.table.as_ref(), t, &pid).await?;
    let creator = Creator {
        sub: id.sub.clone(),
        email: id.email.clone(),
        name: id.name.clone(),
        locale: id.locale,
    };
    let run = runs::create(
        s.table.as_ref(),
        t,
        &process,
        input,
        creator,
        key.as_deref(),
        s.config.clock.now(),
    )
    .await?;
    // The partners of its steps, for their users' languages (one GetItem each; one that is
    // gone is no reader).
    let mut partner_ids: Vec<&str> = run
        .steps
        .iter()
        .filter_map(|st| match &st.assignee {
            domain::process::Assignee::Partner { partner_id } => Some(partner_id.as_str()),
            _ => None,
        })
        .collect();
    partner_ids.sort_unstable();
    partner_ids.dedup();
    let mut partners = Vec::new();
    for id in partner_ids {
        match app::repo::load::<domain::partner::Partner>(s.table.as_ref(), t, id).await {
            Ok(p) => partners.push(p),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let warnings = run.translation_warnings(crate::tenant_default(&s, t).await?, &partners);
    Ok(created(to_json(&StartedRun {
        run: run.view(),
        warnings,
    })))
}

/// The tenant's runs, newest first.
#[utoipa::path(get, path = "/v1/runs", tag = "runs", security(("jwt" = [])), params(RunFilter),
    responses((status = 200, description = "A page of runs", body = Page<RunView>)))]
async fn list_runs(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(f): ApiQuery<RunFilter>,
) -> ApiResult<Json<Value>> {
    let (items, last) = runs::list(s.table.as_ref(), tenant(&id), &f).await?;
    Ok(Json(to_json(&Page::new(
        items.iter().map(|r| r.view()).collect::<Vec<_>>(),
        last,
    ))))
}

/// A run with its steps.
#[utoipa::path(get, path = "/v1/runs/{id}", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = RunView)))]
async fn get_run(State(s): State<AppState>, Staff(id): Staff, ApiPath(rid): ApiPath<String>) -> ApiResult<Json<Value>> {
    let run: Run = app::repo::load(s.table.as_ref(), tenant(&id), &rid).await?;
    Ok(Json(to_json(&run.view())))
}

/// `override`: complete a team's step without holding its claim.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Complete {
    #[serde(default, rename = "override")]
    force: bool,
}

/// Marks a step done (staff may complete any active step; a team's step needs the caller's
/// claim or `{"override": true}`).
#[utoipa::path(post, path = "/v1/runs/{id}/steps/{key}/complete", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = Option<Complete>, description = "Optional"),
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The step is not active, the run has ended, or a team's step is not the caller's", body = Problem, content_type = "application/problem+json")))]
async fn complete_step(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<Complete>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, now| {
        run.complete_as(&key, who, input.force, now)
    })
    .await?;
    Ok(Json(to_json(&run.view())))
}

/// A new due date for a step, and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MoveDueDate {
    due_at: chrono::DateTime<chrono::Utc>,
    reason: String,
}

/// Sets or moves an active step's due date, with a reason (in the history).
#[utoipa::path(put, path = "/v1/runs/{id}/steps/{key}/due-date", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = MoveDueDate,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The step is not active or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn move_due_date(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<MoveDueDate>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, now| {
        run.move_due_date(&key, input.due_at, &input.reason, who, now)
    })
    .await?;
    Ok(Json(to_json(&run.view())))
}

/// Sends the step's assignee a reminder now (the overdue one once the due date has passed);
/// 409 when one went out less than an hour ago.
#[utoipa::path(post, path = "/v1/runs/{id}/steps/{key}/reminders", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The step is not active, the run has ended, or a reminder went out less than an hour ago", body = Problem, content_type = "application/problem+json")))]
async fn remind_now(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, now| run.remind_now(&key, who, now)).await?;
    Ok(Json(to_json(&run.view())))
}

/// Pauses the run's reminders and escalations, with a reason (pausing a paused run changes
/// nothing).
#[utoipa::path(post, path = "/v1/runs/{id}/reminders/pause", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    request_body = crate::ReasonInput,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The run has ended", body = Problem, content_type = "application/problem+json")))]
async fn pause_reminders(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
    ApiJson(input): ApiJson<crate::ReasonInput>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, _, _| run.pause_reminders(&input.reason)).await?;
    Ok(Json(to_json(&run.view())))
}

/// Resumes the run's reminders: what came due meanwhile goes out once per step.
#[utoipa::path(post, path = "/v1/runs/{id}/reminders/resume", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The run has ended", body = Problem, content_type = "application/problem+json")))]
async fn resume_reminders(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, _, _| run.resume_reminders()).await?;
    Ok(Json(to_json(&run.view())))
}

/// Cancels a running run, with a reason.
#[utoipa::path(post, path = "/v1/runs/{id}/cancel", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    request_body = crate::ReasonInput,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The run has ended", body = Problem, content_type = "application/problem+json")))]
async fn cancel_run(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
    ApiJson(input): ApiJson<crate::ReasonInput>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, _, now| run.cancel(&input.reason, now)).await?;
    Ok(Json(to_json(&run.view())))
}

/// Corrects the run's customer or installer (`role`), say after their address bounced: the
/// steps' unreachable marks go, the old address loses its access to the run, and the new one
/// is emailed the role's active step.
#[utoipa::path(put, path = "/v1/runs/{id}/participants/{role}", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"),
        ("role" = String, Path, description = "`customer` or `installer`")),
    request_body = Contact,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The run has ended, or has no such participant", body = Problem, content_type = "application/problem+json")))]
async fn change_participant(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, role)): ApiPath<(String, String)>,
    ApiJson(contact): ApiJson<Contact>,
) -> ApiResult<Json<Value>> {
    let who = super::staff_actor(&id);
    let run = runs::change_participant(
        s.table.as_ref(),
        tenant(&id),
        &rid,
        &role,
        contact,
        &who,
        s.config.clock.now(),
    )
    .await?;
    Ok(Json(to_json(&run.view())))
}

/// A run's events, oldest first.
#[utoipa::path(get, path = "/v1/runs/{id}/history", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The run's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, Staff(id): Staff, ApiPath(rid): ApiPath<String>) -> ApiResult<Json<Value>> {
    history_of::<Run>(&s, &id, &rid).await
}
