//! The portal's JSON routes (`/v1/portal/...`).

use axum::extract::State;
use axum::routing::{get, post};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::{to_json, AppState, Routes};

use super::participant::{complete_step, load_run, open_session, set_due_date, submit_answers, ClientAddr};
use super::views::{tasks, PortalRunView, TaskView};
use super::Participant;

pub(super) fn routes() -> Routes {
    Routes::default()
        .route("/v1/portal/sessions", post(create_session))
        .route("/v1/portal/tasks", get(list_tasks))
        .route("/v1/portal/runs/{run_id}", get(get_run))
        .route("/v1/portal/runs/{run_id}/steps/{key}/submission", post(submit))
        .route("/v1/portal/runs/{run_id}/steps/{key}/complete", post(complete))
        .route("/v1/portal/runs/{run_id}/steps/{key}/due-date", post(due_date))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SessionInput {
    /// The secret of the emailed link (`/portal/access/{token}`).
    token: String,
}

/// Exchanges an access link's token for a portal session.
#[utoipa::path(post, path = "/v1/portal/sessions", tag = "portal", security(()),
    request_body = SessionInput,
    responses((status = 200, description = "The session", body = Session),
        (status = 401, description = "No such link", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or its run ended", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sessions for this link or from this client", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until another try may succeed")))))]
async fn create_session(
    State(s): State<AppState>,
    client: ClientAddr,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<Json<Value>> {
    let (token, expires_at, p) = open_session(&s, &client, &input.token).await?;
    Ok(Json(to_json(&Session {
        session_token: token,
        expires_at,
        participant: SessionParticipant {
            name: p.name,
            kind: p.kind,
        },
    })))
}

/// A new portal session, and whom it is for.
#[derive(Serialize, utoipa::ToSchema)]
struct Session {
    session_token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    participant: SessionParticipant,
}

#[derive(Serialize, utoipa::ToSchema)]
struct SessionParticipant {
    name: String,
    kind: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TasksView {
    tasks: Vec<TaskView>,
}

/// The participant's tasks.
#[utoipa::path(get, path = "/v1/portal/tasks", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    responses((status = 200, description = "The tasks", body = TasksView)))]
async fn list_tasks(State(s): State<AppState>, p: Participant) -> ApiResult<Json<TasksView>> {
    Ok(Json(TasksView {
        tasks: tasks(&s, &p).await?,
    }))
}

/// Where a run stands and what is needed from the participant.
#[utoipa::path(get, path = "/v1/portal/runs/{run_id}", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = PortalRunView)))]
async fn get_run(
    State(s): State<AppState>,
    p: Participant,
    ApiPath(run_id): ApiPath<String>,
) -> ApiResult<Json<PortalRunView>> {
    let run = load_run(&s, &p, &run_id).await?;
    Ok(Json(PortalRunView::new(&p, &run, s.config.clock.now())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SubmissionInput {
    /// The answers, by the journey's field keys.
    #[schema(value_type = Object)]
    data: Map<String, Value>,
}

/// Saves the step's form (checked against its journey); may be sent again until done.
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/steps/{key}/submission", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = SubmissionInput,
    responses((status = 200, description = "The run", body = PortalRunView), (status = 409, description = "The step is not active or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn submit(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<SubmissionInput>,
) -> ApiResult<Json<PortalRunView>> {
    let run = submit_answers(&s, &p, &run_id, &key, input.data).await?;
    Ok(Json(PortalRunView::new(&p, &run, s.config.clock.now())))
}

/// Marks the participant's step done (its form must be complete).
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/steps/{key}/complete", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    responses((status = 200, description = "The run", body = PortalRunView), (status = 409, description = "The step is not active or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn complete(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<PortalRunView>> {
    let run = complete_step(&s, &p, &run_id, &key).await?;
    Ok(Json(PortalRunView::new(&p, &run, s.config.clock.now())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DueDateInput {
    due_at: DateTime<Utc>,
}

/// Commissioning: a partner user with tasks:complete sets the appointment of its active step;
/// the step's owner is told.
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/steps/{key}/due-date", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = DueDateInput,
    responses((status = 200, description = "The run", body = PortalRunView), (status = 409, description = "The step is not active or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn due_date(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<DueDateInput>,
) -> ApiResult<Json<PortalRunView>> {
    let run = set_due_date(&s, &p, &run_id, &key, input.due_at).await?;
    Ok(Json(PortalRunView::new(&p, &run, s.config.clock.now())))
}
