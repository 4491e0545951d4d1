//! process-api, working together: the staff inbox, teams, sending a step back, reassigning
//! steps and owners, claiming a team's step.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::extract::{idempotency_key, ApiJson, ApiPath, ApiQuery, OptionalJson};
use super::{created, history_of, staff_actor, staff_change, tenant, to_json, AppState, Routes};
use crate::auth::{Admin, Staff};
use crate::error::{ApiResult, Problem};
use crate::views::Page;
use app::repo::inbox::{self, TaskEntry, TaskFilter};
use app::repo::{runs, teams, PageParams};
use domain::process::{Assignee, Owner};
use domain::run::{Run, RunView};
use domain::team::{Team, TeamInput};

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/tasks", get(list_tasks))
        .route("/v1/teams", post(create_team).get(list_teams))
        .route("/v1/teams/{id}", get(get_team).put(update_team))
        .route("/v1/teams/{id}/history", get(team_history))
        .route("/v1/runs/{id}/steps/{key}/request-changes", post(request_changes))
        .route("/v1/runs/{id}/steps/{key}/assignee", put(reassign))
        .route("/v1/runs/{id}/steps/{key}/owner", put(change_owner))
        .route("/v1/runs/{id}/steps/{key}/claim", post(claim))
        .route("/v1/runs/{id}/steps/{key}/release", post(release))
}

/// Steps waiting for someone, across runs: one Query per page whatever the filters.
#[utoipa::path(get, path = "/v1/tasks", tag = "tasks", security(("jwt" = [])), params(TaskFilter),
    responses((status = 200, description = "A page of steps", body = Page<TaskEntry>),
        (status = 422, description = "A filter that cannot be read, or filters that do not go together", body = Problem, content_type = "application/problem+json")))]
async fn list_tasks(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(f): ApiQuery<TaskFilter>,
) -> ApiResult<Json<Value>> {
    let now = s.config.clock.now();
    let (items, last) = inbox::list(s.table.as_ref(), tenant(&id), &id.sub, &f, now).await?;
    Ok(Json(to_json(&Page::new(items, last))))
}

/// Creates a team (admins).
#[utoipa::path(post, path = "/v1/teams", tag = "teams", security(("jwt" = [])),
    request_body = TeamInput,
    responses((status = 201, description = "The team", body = Team),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
async fn create_team(
    State(s): State<AppState>,
    admin: Admin,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let actor = staff_actor(&admin.0);
    let team = teams::create(
        s.table.as_ref(),
        &admin.0.tenant_id,
        input,
        &actor,
        key.as_deref(),
        s.config.clock.now(),
    )
    .await?;
    Ok(created(to_json(&team)))
}

/// The tenant's teams.
#[utoipa::path(get, path = "/v1/teams", tag = "teams", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of teams", body = Page<Team>)))]
async fn list_teams(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let (items, last) = teams::list(s.table.as_ref(), tenant(&id), &page).await?;
    Ok(Json(to_json(&Page::new(items, last))))
}

#[utoipa::path(get, path = "/v1/teams/{id}", tag = "teams", security(("jwt" = [])),
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = Team)))]
async fn get_team(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(tid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let team: Team = app::repo::load(s.table.as_ref(), tenant(&id), &tid).await?;
    Ok(Json(to_json(&team)))
}

/// Renames a team and replaces its members (admins). Steps claimed by someone who left stay
/// theirs until released.
#[utoipa::path(put, path = "/v1/teams/{id}", tag = "teams", security(("jwt" = [])),
    params(("id" = String, Path, description = "The team's id")),
    request_body = TeamInput,
    responses((status = 200, description = "The team", body = Team),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
async fn update_team(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(tid): ApiPath<String>,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<Json<Value>> {
    let team = staff_change(&s, &admin.0, &tid, |t: &mut Team, _, now| t.update(input, now)).await?;
    Ok(Json(to_json(&team)))
}

/// A team's events, oldest first.
#[utoipa::path(get, path = "/v1/teams/{id}/history", tag = "teams", security(("jwt" = [])),
    params(("id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team's events", body = crate::views::History)))]
async fn team_history(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(tid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    history_of::<Team>(&s, &id, &tid).await
}

/// Why a step goes back, and which of its fields to look at.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RequestChanges {
    reason: String,
    /// Keys of the step's journey fields.
    #[serde(default)]
    fields: Vec<String>,
}

/// Sends an active step with a submission, or the step just completed (while no later step
/// is done), back to its assignee: active again with `changes_requested`, answers kept,
/// the assignee emailed with the reason and a link.
#[utoipa::path(post, path = "/v1/runs/{id}/steps/{key}/request-changes", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = RequestChanges,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "Nothing to send back, a later step is done, or the run has ended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank reason or an unknown field", body = Problem, content_type = "application/problem+json")))]
async fn request_changes(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<RequestChanges>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, now| {
        run.request_changes(&key, &input.reason, &input.fields, who, now)
    })
    .await?;
    Ok(Json(to_json(&run.view())))
}

/// Gives a pending or active step to another assignee (`{"kind": "staff" | "team" |
/// "partner" | "customer" | "installer", …}`); the new assignee of an active step is
/// emailed, the previous one loses it at once.
#[utoipa::path(put, path = "/v1/runs/{id}/steps/{key}/assignee", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = Assignee,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The step is done, the run has ended, or it is assigned so already", body = Problem, content_type = "application/problem+json")))]
async fn reassign(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    ApiJson(assignee): ApiJson<Assignee>,
) -> ApiResult<Json<Value>> {
    let who = staff_actor(&id);
    let now = s.config.clock.now();
    let run = runs::reassign(s.table.as_ref(), &id.tenant_id, &rid, &key, assignee, &who, now).await?;
    Ok(Json(to_json(&run.view())))
}

/// Makes someone else responsible for a pending or active step (they are emailed).
#[utoipa::path(put, path = "/v1/runs/{id}/steps/{key}/owner", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = Owner,
    responses((status = 200, description = "The run", body = RunView),
        (status = 409, description = "The step is done or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn change_owner(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    ApiJson(owner): ApiJson<Owner>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, _| {
        run.change_owner(&key, owner, who)
    })
    .await?;
    Ok(Json(to_json(&run.view())))
}

/// A member of the step's team takes it (then it is theirs); of parallel claims exactly one
/// wins, the others get a 409.
#[utoipa::path(post, path = "/v1/runs/{id}/steps/{key}/claim", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    responses((status = 200, description = "The run", body = RunView),
        (status = 403, description = "Not a member of the step's team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Claimed already, not a team's step, done, or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn claim(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let who = staff_actor(&id);
    let run = runs::claim(s.table.as_ref(), &id.tenant_id, &rid, &key, &who, s.config.clock.now()).await?;
    Ok(Json(to_json(&run.view())))
}

/// `force`: a staff member releases someone else's claim.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Release {
    #[serde(default)]
    force: bool,
}

/// Gives a claimed team step back to the team (the claimer, or staff with `force`).
#[utoipa::path(post, path = "/v1/runs/{id}/steps/{key}/release", tag = "runs", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = Option<Release>, description = "Optional"),
    responses((status = 200, description = "The run", body = RunView),
        (status = 403, description = "Someone else's claim, without force", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not claimed, done, or the run has ended", body = Problem, content_type = "application/problem+json")))]
async fn release(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<Release>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, _| {
        run.release(&key, who, input.force)
    })
    .await?;
    Ok(Json(to_json(&run.view())))
}
