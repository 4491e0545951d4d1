//! portal-api (JSON): participants' sessions, tasks, run view, journey submission and
//! completion. The HTML pages in [`super::portal_html`] call the same functions.

use app::repo::access::{self, PortalParticipant};
use app::repo::runs;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use domain::events::{Actor, RunEvent};
use domain::i18n::{pick, I18n, Lang};
use domain::journey::LocalizedField;
use domain::partner::{Partner, PartnerStatus, Permission};
use domain::run::{JourneySnapshot, Run, RunStatus, RunStep, StepStatus};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::extract::ApiJson;
use super::{finish, record_tenant, AppState, Routes};
use crate::error::{ApiError, ApiResult};

pub const SESSION_COOKIE: &str = "portal_session";

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/portal/sessions", post(create_session))
        .route("/v1/portal/tasks", get(list_tasks))
        .route("/v1/portal/runs/{run_id}", get(get_run))
        .route("/v1/portal/runs/{run_id}/steps/{key}/submission", post(submit))
        .route("/v1/portal/runs/{run_id}/steps/{key}/complete", post(complete))
        .route("/v1/portal/runs/{run_id}/steps/{key}/due-date", post(due_date))
        .merge(super::portal_html::routes())
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
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
                let partner: Partner = match app::repo::load(state.table.as_ref(), &p.tenant_id, id).await {
                    Err(e) if e.is_not_found() => return Err(revoked),
                    other => other?,
                };
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
        Actor::new(&self.0.kind, &self.0.participant_id, Some(&self.0.name))
    }

    /// A run is visible to a participant who has a step in it (404 otherwise).
    pub fn sees(&self, run: &Run) -> Result<(), DomainError> {
        if run.involves(&self.0.participant_id) {
            Ok(())
        } else {
            Err(DomainError::NotFound("run"))
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

/// A journey (the step's form) in the reader's language.
#[derive(Debug, Serialize)]
pub struct JourneyView {
    pub id: String,
    pub name: String,
    pub fields: Vec<LocalizedField>,
}

impl JourneyView {
    pub fn new(journey: &JourneySnapshot, lang: Lang, tenant_default: Lang) -> Self {
        JourneyView {
            id: journey.id.clone(),
            name: journey.name.clone(),
            fields: journey
                .fields
                .iter()
                .map(|f| f.localized(lang, tenant_default))
                .collect(),
        }
    }
}

/// A participant's task row as the run wrote it (see `app::repo::runs`).
#[derive(Debug, Deserialize)]
struct TaskRow {
    run_id: String,
    step_key: String,
    name: String,
    status: StepStatus,
    #[serde(default)]
    due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    info_text: Option<I18n>,
    #[serde(default)]
    journey: Option<JourneySnapshot>,
    #[serde(default)]
    run_title: Option<String>,
    process_name: String,
    run_status: RunStatus,
}

/// One of the participant's tasks, in their language (`GET /portal/tasks`, the task page).
#[derive(Debug, Serialize)]
pub struct TaskView {
    pub run_id: String,
    pub step_key: String,
    pub name: String,
    pub info_text: Option<String>,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneyView>,
    pub run_title: Option<String>,
    pub process_name: String,
    pub run_status: RunStatus,
}

/// The participant's tasks across runs, newest run first, in their language.
pub async fn tasks(s: &AppState, p: &Participant) -> ApiResult<Vec<TaskView>> {
    let lang = p.lang();
    let rows = runs::tasks_of(s.table.as_ref(), &p.0.tenant_id, &p.0.participant_id).await?;
    rows.into_iter()
        .map(|row| {
            let row: TaskRow = serde_json::from_value(Value::Object(row))
                .map_err(|e| ApiError::Internal(format!("unreadable task row: {e}")))?;
            Ok(TaskView {
                run_id: row.run_id,
                step_key: row.step_key,
                name: row.name,
                info_text: row.info_text.as_ref().and_then(|t| pick(t, lang)).map(str::to_string),
                status: row.status,
                due_at: row.due_at,
                journey: row.journey.as_ref().map(|j| JourneyView::new(j, lang, p.2)),
                run_title: row.run_title,
                process_name: row.process_name,
                run_status: row.run_status,
            })
        })
        .collect()
}

#[derive(Serialize)]
struct TasksView {
    tasks: Vec<TaskView>,
}

async fn list_tasks(State(s): State<AppState>, p: Participant) -> ApiResult<Json<TasksView>> {
    Ok(Json(TasksView {
        tasks: tasks(&s, &p).await?,
    }))
}

/// A run the participant has a step in (404 otherwise, also for other tenants' runs).
pub async fn load_run(s: &AppState, p: &Participant, run_id: &str) -> ApiResult<Run> {
    let run: Run = app::repo::load(s.table.as_ref(), &p.0.tenant_id, run_id).await?;
    p.sees(&run)?;
    Ok(run)
}

/// A step of a run as the participant sees it; what only the assignee needs is on their steps.
#[derive(Debug, Serialize)]
pub struct StepView {
    pub key: String,
    pub name: String,
    pub status: StepStatus,
    pub mine: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub own: Option<OwnStepView>,
}

/// What the assignee of a step sees of it.
#[derive(Debug, Serialize)]
pub struct OwnStepView {
    pub info_text: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneyView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission: Option<Map<String, Value>>,
    pub can_complete: bool,
    pub can_set_due_date: bool,
}

/// Where the run stands and what is needed from this participant (`GET /portal/runs/{id}`).
#[derive(Debug, Serialize)]
pub struct PortalRunView {
    pub run_id: String,
    pub title: String,
    pub process_name: String,
    pub status: RunStatus,
    pub test: bool,
    pub current_step: Option<String>,
    pub steps: Vec<StepView>,
}

impl PortalRunView {
    pub fn new(p: &Participant, run: &Run) -> Self {
        let lang = p.lang();
        let all_steps = p.may(Permission::RunsViewAllSteps);
        let mine = |step: &RunStep| run.participant_for(step).is_some_and(|x| x.id == p.0.participant_id);
        let steps = run
            .steps
            .iter()
            .filter(|step| all_steps || mine(step))
            .map(|step| StepView {
                key: step.key.clone(),
                name: step.name.clone(),
                status: step.status,
                mine: mine(step),
                own: mine(step).then(|| OwnStepView {
                    info_text: step
                        .info_texts
                        .for_kind(step.assignee.kind())
                        .and_then(|t| pick(t, lang))
                        .map(str::to_string),
                    due_at: step.due_at,
                    completed_at: step.completed_at,
                    journey: step.journey.as_ref().map(|j| JourneyView::new(j, lang, p.2)),
                    submission: step.submission.as_ref().map(|s| s.data.clone()),
                    can_complete: step.status == StepStatus::Active && p.may(Permission::TasksComplete),
                    can_set_due_date: step.status == StepStatus::Active && p.may_set_due_dates(),
                }),
            })
            .collect();
        // Without runs:view_all_steps a partner does not learn which other step is current.
        let current = run
            .current_step()
            .filter(|k| all_steps || run.step(k).is_some_and(mine))
            .map(str::to_string);
        PortalRunView {
            run_id: run.id.clone(),
            title: run.context.title.clone().unwrap_or_else(|| run.process_name.clone()),
            process_name: run.process_name.clone(),
            status: run.status,
            test: run.test,
            current_step: current,
            steps,
        }
    }
}

async fn get_run(
    State(s): State<AppState>,
    p: Participant,
    Path(run_id): Path<String>,
) -> ApiResult<Json<PortalRunView>> {
    let run = load_run(&s, &p, &run_id).await?;
    Ok(Json(PortalRunView::new(&p, &run)))
}

/// A participant's command on a run: one read, the access check and the command inside the
/// change, one conditional write.
async fn act<F>(s: &AppState, p: &Participant, run_id: &str, command: F) -> ApiResult<Run>
where
    F: FnOnce(&mut Run, &Actor, DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError>,
{
    let who = p.actor();
    let run = app::repo::change(s.table.as_ref(), &p.0.tenant_id, run_id, &who, |run: &mut Run, now| {
        p.sees(run)?;
        command(run, &who, now)
    })
    .await?;
    Ok(run)
}

/// Stores the participant's answers to the step's journey.
pub async fn submit_answers(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    data: Map<String, Value>,
) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| run.submit(key, data, who, now)).await
}

/// Marks the participant's step done.
pub async fn complete_step(s: &AppState, p: &Participant, run_id: &str, key: &str) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| {
        if !p.may(Permission::TasksComplete) {
            return Err(DomainError::Forbidden(
                "your organisation may fill in this step but not mark it done (tasks:complete)",
            ));
        }
        run.complete(key, who, now)
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
) -> ApiResult<Json<PortalRunView>> {
    let run = submit_answers(&s, &p, &run_id, &key, input.data).await?;
    Ok(Json(PortalRunView::new(&p, &run)))
}

async fn complete(
    State(s): State<AppState>,
    p: Participant,
    Path((run_id, key)): Path<(String, String)>,
) -> ApiResult<Json<PortalRunView>> {
    let run = complete_step(&s, &p, &run_id, &key).await?;
    Ok(Json(PortalRunView::new(&p, &run)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DueDateInput {
    due_at: DateTime<Utc>,
}

/// Commissioning: a partner user with tasks:complete sets the appointment of its active step;
/// the step's owner is told.
async fn due_date(
    State(s): State<AppState>,
    p: Participant,
    Path((run_id, key)): Path<(String, String)>,
    ApiJson(input): ApiJson<DueDateInput>,
) -> ApiResult<Json<PortalRunView>> {
    let run = set_due_date(&s, &p, &run_id, &key, input.due_at).await?;
    Ok(Json(PortalRunView::new(&p, &run)))
}

/// Sets the appointment of the partner's active step (partner users with tasks:complete).
pub async fn set_due_date(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    due_at: DateTime<Utc>,
) -> ApiResult<Run> {
    act(s, p, run_id, |run, who, now| {
        if !p.may_set_due_dates() {
            return Err(DomainError::Forbidden(
                "only partner users with tasks:complete set due dates",
            ));
        }
        run.set_due_date(key, due_at, who, now)
    })
    .await
}
