//! portal-api (JSON): participants' sessions, tasks, run view, journey submission and
//! completion. The HTML pages in [`super::portal_html`] call the same functions.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::extract::ApiJson;
use super::{finish, record_tenant, AppState};
use crate::domain::partner::{Partner, PartnerStatus, Permission};
use crate::domain::run::{Actor, Run, StepStatus};
use crate::error::{ApiError, ApiResult};
use crate::i18n::{pick, I18n, Lang};
use crate::repo::access::{self, PortalParticipant};
use crate::repo::{partners, runs};

pub const SESSION_COOKIE: &str = "portal_session";

/// The area's routes, for hosts that merge areas (local-server); finish with [`finish`].
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/portal/sessions", post(create_session))
        .route("/v1/portal/tasks", get(list_tasks))
        .route("/v1/portal/runs/{run_id}", get(get_run))
        .route("/v1/portal/runs/{run_id}/steps/{key}/submission", post(submit))
        .route("/v1/portal/runs/{run_id}/steps/{key}/complete", post(complete))
        .route("/v1/portal/runs/{run_id}/steps/{key}/due-date", post(due_date))
        .merge(super::portal_html::routes())
        .with_state(state)
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(routes(state))
}

/// The session token of a request: `Authorization: Bearer …` or the portal cookie.
pub fn session_token(parts: &Parts) -> Option<String> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    bearer.or_else(|| {
        parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())
    })
}

/// A caller holding a valid portal session; partner users come with their partner, whose
/// status and permissions are read on every request (a revoked partner's sessions stop).
/// The third field is the tenant's default language (its settings, else `DEFAULT_LOCALE`).
pub struct Participant(pub PortalParticipant, pub Option<Partner>, pub Lang);

impl FromRequestParts<AppState> for Participant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = session_token(parts).ok_or(ApiError::Unauthorized("a portal session is required"))?;
        let p = access::session(state.table.as_ref(), &token).await?;
        record_tenant(&p.tenant_id);
        let partner = match &p.partner_id {
            None => None,
            Some(id) => {
                let revoked = ApiError::Unauthorized("the partner's access was revoked");
                let partner = partners::get(state.table.as_ref(), &p.tenant_id, id)
                    .await
                    .map_err(|e| match e {
                        ApiError::NotFound(_) => ApiError::Unauthorized("the partner's access was revoked"),
                        other => other,
                    })?;
                let member = partner.users.iter().any(|u| Some(&u.id) == p.user_id.as_ref());
                if partner.status != PartnerStatus::Active || !member {
                    return Err(revoked);
                }
                Some(partner)
            }
        };
        let tenant_default = super::tenant_default(state, &p.tenant_id).await?;
        Ok(Participant(p, partner, tenant_default))
    }
}

impl Participant {
    /// Customers and installers may do everything on their own steps; partner users what
    /// their partner's permissions allow.
    pub fn may(&self, permission: Permission) -> bool {
        self.1.as_ref().is_none_or(|p| p.can(permission))
    }

    /// Commissioning is for partner users with tasks:complete.
    pub fn may_set_due_dates(&self) -> bool {
        self.1.is_some() && self.may(Permission::TasksComplete)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            kind: self.0.kind.clone(),
            id: self.0.participant_id.clone(),
            name: Some(self.0.name.clone()),
        }
    }
    pub fn lang(&self) -> Lang {
        Lang::resolve(self.0.locale, Some(self.2))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionInput {
    token: String,
}

async fn create_session(State(s): State<AppState>, ApiJson(input): ApiJson<SessionInput>) -> ApiResult<Json<Value>> {
    let (token, expires_at, p) = access::open_session(s.table.as_ref(), &input.token).await?;
    Ok(Json(json!({
        "session_token": token,
        "expires_at": expires_at,
        "participant": {"name": p.name, "kind": p.kind},
    })))
}

/// A journey with its labels in one language.
pub fn localized_journey(journey: &Value, lang: Lang) -> Value {
    let fields: Vec<Value> = journey
        .get("fields")
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    let label = serde_json::from_value::<I18n>(f.get("label").cloned().unwrap_or(Value::Null))
                        .ok()
                        .and_then(|l| pick(&l, lang).map(str::to_string));
                    let mut out = f.clone();
                    out["label"] = json!(label);
                    out
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"id": journey.get("id"), "name": journey.get("name"), "fields": fields})
}

fn localized(text: Option<&Value>, lang: Lang) -> Option<String> {
    let text: I18n = serde_json::from_value(text?.clone()).ok()?;
    pick(&text, lang).map(str::to_string)
}

/// The participant's tasks across runs, newest run first, in their language.
pub async fn tasks(s: &AppState, p: &Participant) -> ApiResult<Vec<Value>> {
    let lang = p.lang();
    let rows = runs::tasks_of(s.table.as_ref(), &p.0.tenant_id, &p.0.participant_id).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let mut task = json!({
                "run_id": row.get("run_id"),
                "step_key": row.get("step_key"),
                "name": row.get("name"),
                "info_text": localized(row.get("info_text"), lang),
                "status": row.get("status"),
                "run_title": row.get("run_title"),
                "process_name": row.get("process_name"),
                "run_status": row.get("run_status"),
            });
            if let Some(due) = row.get("due_at") {
                task["due_at"] = due.clone();
            }
            if let Some(j) = row.get("journey") {
                task["journey"] = localized_journey(j, lang);
            }
            task
        })
        .collect())
}

async fn list_tasks(State(s): State<AppState>, p: Participant) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "tasks": tasks(&s, &p).await? })))
}

/// A run the participant has a step in (404 otherwise, also for other tenants' runs).
pub async fn load_run(s: &AppState, p: &Participant, run_id: &str) -> ApiResult<Run> {
    let run = runs::get_run(s.table.as_ref(), &p.0.tenant_id, run_id).await?;
    if run.involves(&p.0.participant_id) {
        Ok(run)
    } else {
        Err(ApiError::NotFound("run"))
    }
}

/// Where the run stands and what is needed from this participant.
pub fn run_view(p: &Participant, run: &Run) -> Value {
    let lang = p.lang();
    let all_steps = p.may(Permission::RunsViewAllSteps);
    let steps: Vec<Value> = run
        .steps
        .iter()
        .filter(|step| all_steps || run.participant_for(step).is_some_and(|x| x.id == p.0.participant_id))
        .map(|step| {
            let mine = run.participant_for(step).is_some_and(|x| x.id == p.0.participant_id);
            let mut v = json!({"key": step.key, "name": step.name, "status": step.status, "mine": mine});
            if mine {
                v["info_text"] = json!(step
                    .info_texts
                    .for_kind(step.assignee.kind())
                    .and_then(|t| pick(t, lang)));
                v["due_at"] = json!(step.due_at);
                v["completed_at"] = json!(step.completed_at);
                if let Some(j) = &step.journey {
                    v["journey"] = localized_journey(&serde_json::to_value(j).unwrap_or(Value::Null), lang);
                }
                if let Some(sub) = &step.submission {
                    v["submission"] = json!(sub.data);
                }
                v["can_complete"] = json!(step.status == StepStatus::Active && p.may(Permission::TasksComplete));
                v["can_set_due_date"] = json!(step.status == StepStatus::Active && p.may_set_due_dates());
            }
            v
        })
        .collect();
    // Without runs:view_all_steps a partner does not learn which other step is current.
    let current = run.current_step().filter(|k| {
        all_steps
            || run
                .step(k)
                .and_then(|s| run.participant_for(s))
                .is_some_and(|x| x.id == p.0.participant_id)
    });
    json!({
        "run_id": run.id,
        "title": run.context.title.clone().unwrap_or_else(|| run.process_name.clone()),
        "process_name": run.process_name,
        "status": run.status,
        "test": run.test,
        "current_step": current,
        "steps": steps,
    })
}

async fn get_run(State(s): State<AppState>, p: Participant, Path(run_id): Path<String>) -> ApiResult<Json<Value>> {
    let run = load_run(&s, &p, &run_id).await?;
    Ok(Json(run_view(&p, &run)))
}

/// Stores the participant's answers to the step's journey.
pub async fn submit_answers(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    data: Map<String, Value>,
) -> ApiResult<Run> {
    load_run(s, p, run_id).await?;
    let who = p.actor();
    runs::change_run(s.table.as_ref(), &p.0.tenant_id, run_id, &who, |run, now| {
        run.submit(key, data, &who, now)
    })
    .await
}

/// Marks the participant's step done.
pub async fn complete_step(s: &AppState, p: &Participant, run_id: &str, key: &str) -> ApiResult<Run> {
    load_run(s, p, run_id).await?;
    if !p.may(Permission::TasksComplete) {
        return Err(ApiError::Forbidden(
            "your organisation may fill in this step but not mark it done (tasks:complete)",
        ));
    }
    let who = p.actor();
    runs::change_run(s.table.as_ref(), &p.0.tenant_id, run_id, &who, |run, now| {
        run.complete(key, &who, now)
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmissionInput {
    data: Map<String, Value>,
}

async fn submit(
    State(s): State<AppState>,
    p: Participant,
    Path((run_id, key)): Path<(String, String)>,
    ApiJson(input): ApiJson<SubmissionInput>,
) -> ApiResult<Json<Value>> {
    let run = submit_answers(&s, &p, &run_id, &key, input.data).await?;
    Ok(Json(run_view(&p, &run)))
}

async fn complete(
    State(s): State<AppState>,
    p: Participant,
    Path((run_id, key)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let run = complete_step(&s, &p, &run_id, &key).await?;
    Ok(Json(run_view(&p, &run)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DueDateInput {
    due_at: chrono::DateTime<chrono::Utc>,
}

/// Commissioning: a partner user with tasks:complete sets the appointment of its active step;
/// the step's owner is told.
async fn due_date(
    State(s): State<AppState>,
    p: Participant,
    Path((run_id, key)): Path<(String, String)>,
    ApiJson(input): ApiJson<DueDateInput>,
) -> ApiResult<Json<Value>> {
    let run = set_due_date(&s, &p, &run_id, &key, input.due_at).await?;
    Ok(Json(run_view(&p, &run)))
}

/// Sets the appointment of the partner's active step (partner users with tasks:complete).
pub async fn set_due_date(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    due_at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Run> {
    load_run(s, p, run_id).await?;
    if !p.may_set_due_dates() {
        return Err(ApiError::Forbidden(
            "only partner users with tasks:complete set due dates",
        ));
    }
    let who = p.actor();
    runs::change_run(s.table.as_ref(), &p.0.tenant_id, run_id, &who, |run, now| {
        run.set_due_date(key, due_at, &who, now)
    })
    .await
}
