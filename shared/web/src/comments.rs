//! process-api, comments (staff): on a run or a step, internal or shared, with mentions.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::{ApiJson, ApiPath};
use super::{created, staff_actor, tenant, to_json, AppState, Routes};
use crate::auth::Staff;
use crate::error::{ApiResult, Problem};
use app::repo::comments::{self, NewComment};
use domain::comment::{Comment, CommentVisibility, Mention};
use domain::run::Run;

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/runs/{id}/comments", get(list).post(add))
        .route("/v1/runs/{id}/comments/{comment_id}", delete(remove))
}

/// A staff member's comment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentInput {
    body: String,
    /// `internal` (staff only) or `shared` (also the step's or the run's participants).
    visibility: CommentVisibility,
    /// The step it is about; none: the run.
    #[serde(default)]
    step_key: Option<String>,
    /// Staff to tell of it.
    #[serde(default)]
    mentions: Vec<Mention>,
}

/// `{items}`: a run's comments, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
struct Comments {
    items: Vec<Comment>,
}

/// Writes a comment; its readers on the other side (and whoever it mentions) are emailed, at
/// most once per run every ten minutes each (later comments come together).
#[utoipa::path(post, path = "/v1/runs/{id}/comments", tag = "comments", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    request_body = CommentInput,
    responses((status = 201, description = "The comment", body = Comment),
        (status = 422, description = "A blank text, an unknown step or a bad mention", body = Problem, content_type = "application/problem+json")))]
async fn add(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<Response> {
    let run: Run = app::repo::load(s.table.as_ref(), tenant(&id), &rid).await?;
    let who = staff_actor(&id);
    let new = NewComment {
        step_key: input.step_key,
        visibility: input.visibility,
        body: input.body,
        mentions: input.mentions,
    };
    let comment = comments::add(
        s.table.as_ref(),
        &id.tenant_id,
        &run,
        new,
        &who,
        None,
        s.config.clock.now(),
    )
    .await?;
    Ok(created(to_json(&comment)))
}

/// A run's comments, internal and shared, oldest first (deleted ones without their text).
#[utoipa::path(get, path = "/v1/runs/{id}/comments", tag = "comments", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The comments", body = Comments)))]
async fn list(State(s): State<AppState>, Staff(id): Staff, ApiPath(rid): ApiPath<String>) -> ApiResult<Json<Value>> {
    app::repo::load::<Run>(s.table.as_ref(), tenant(&id), &rid).await?;
    let items = comments::list(s.table.as_ref(), &id.tenant_id, &rid).await?;
    Ok(Json(to_json(&Comments { items })))
}

/// Deletes the caller's own comment (it stays, marked deleted, without its text).
#[utoipa::path(delete, path = "/v1/runs/{id}/comments/{comment_id}", tag = "comments", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("comment_id" = String, Path, description = "The comment's id")),
    responses((status = 200, description = "The comment", body = Comment),
        (status = 403, description = "Someone else's comment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Deleted already", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, cid)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let run: Run = app::repo::load(s.table.as_ref(), tenant(&id), &rid).await?;
    let who = staff_actor(&id);
    let comment = comments::delete(
        s.table.as_ref(),
        &id.tenant_id,
        &run,
        &cid,
        &who,
        None,
        s.config.clock.now(),
    )
    .await?;
    Ok(Json(to_json(&comment)))
}
