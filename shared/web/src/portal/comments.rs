//! Comments in the portal: participants read the shared comments of their steps and runs
//! (partners without `runs:view_all_steps` only of their steps) and write shared ones, as
//! JSON and as the run page's form. Internal comments never reach this module's output.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::participant::{load_run, Participant};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, FormBody};
use crate::pages::PageError;
use crate::{created, to_json, AppState, Routes};
use app::repo::comments::{self, NewComment};
use domain::comment::{Comment, CommentVisibility};
use domain::partner::Permission;
use domain::run::Run;
use domain::{DomainError, FieldError};

pub(super) fn routes() -> Routes {
    Routes::default()
        .route("/v1/portal/runs/{run_id}/comments", get(list).post(add))
        .route("/v1/portal/runs/{run_id}/comments/{comment_id}", delete(remove))
        .route("/portal/runs/{run_id}/comments", post(add_form))
        .route("/portal/runs/{run_id}/comments/{comment_id}/delete", post(remove_form))
}

/// A comment as a participant sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortalComment {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    /// The step's name in the reader's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_name: Option<String>,
    pub author_name: String,
    /// Written by the reader (who may delete it).
    pub mine: bool,
    pub deleted: bool,
    /// Empty once deleted.
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When, as the reader writes it, in the utility's time zone.
    pub created_at_text: String,
}

/// `{items}`: the comments the reader may read, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortalComments {
    pub items: Vec<PortalComment>,
}

fn all_steps(p: &Participant) -> bool {
    p.1.is_some() && p.may(Permission::RunsViewAllSteps)
}

/// The run's comments the participant may read, in their language.
pub async fn visible(s: &AppState, p: &Participant, run: &Run) -> ApiResult<Vec<PortalComment>> {
    let lang = p.lang();
    let who = p.actor();
    let user = p.0.user_id.as_deref();
    let all = comments::list(s.table.as_ref(), &p.0.tenant_id, &run.id).await?;
    Ok(all
        .into_iter()
        .filter(|c| c.readable_by(run, &p.0.participant_id, all_steps(p)) || c.is_by(&who, user))
        .filter(|c| c.visibility == CommentVisibility::Shared)
        .map(|c| PortalComment {
            step_name: c
                .step_key
                .as_deref()
                .and_then(|k| run.step(k))
                .map(|st| st.name.pick(lang, p.2).to_string()),
            author_name: c.author.display_name().to_string(),
            mine: c.is_by(&who, user),
            deleted: c.is_deleted(),
            created_at_text: domain::dates::short_date_time(c.created_at, p.3.tz, lang),
            created_at: c.created_at,
            id: c.id,
            step_key: c.step_key,
            body: c.body,
        })
        .collect())
}

/// A participant's comment: shared, on the run or a step they may read.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PortalCommentInput {
    body: String,
    #[serde(default)]
    step_key: Option<String>,
}

async fn write(s: &AppState, p: &Participant, run_id: &str, input: PortalCommentInput) -> ApiResult<Comment> {
    let run = load_run(s, p, run_id).await?;
    let step_key = input.step_key.filter(|k| !k.is_empty());
    if let Some(k) = &step_key {
        let mine = run
            .step(k)
            .and_then(|st| run.participant_for(st))
            .is_some_and(|x| x.id == p.0.participant_id);
        if run.step(k).is_none() || !(mine || all_steps(p)) {
            return Err(
                DomainError::Invalid(vec![FieldError::new("step_key", "unknown", "no such step of yours")]).into(),
            );
        }
    }
    let new = NewComment {
        step_key,
        visibility: CommentVisibility::Shared,
        body: input.body,
        mentions: Vec::new(),
    };
    let partner = p.0.partner_id.clone().zip(p.0.user_id.clone());
    let who = p.actor();
    Ok(comments::add(
        s.table.as_ref(),
        &p.0.tenant_id,
        &run,
        new,
        &who,
        partner,
        s.config.clock.now(),
    )
    .await?)
}

async fn unwrite(s: &AppState, p: &Participant, run_id: &str, comment_id: &str) -> ApiResult<Comment> {
    let run = load_run(s, p, run_id).await?;
    let who = p.actor();
    let user = p.0.user_id.as_deref();
    Ok(comments::delete(
        s.table.as_ref(),
        &p.0.tenant_id,
        &run,
        comment_id,
        &who,
        user,
        s.config.clock.now(),
    )
    .await?)
}

/// The run's comments the participant may read (shared ones of the run and of their steps).
#[utoipa::path(get, path = "/v1/portal/runs/{run_id}/comments", tag = "portal", security(("portal_session" = [])),
    params(("run_id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The comments", body = PortalComments)))]
async fn list(State(s): State<AppState>, p: Participant, ApiPath(run_id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let run = load_run(&s, &p, &run_id).await?;
    Ok(Json(to_json(&PortalComments {
        items: visible(&s, &p, &run).await?,
    })))
}

/// Writes a shared comment on the run or one of the participant's steps; the step's owner
/// (else the run's creator) is emailed, at most once per run every ten minutes.
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/comments", tag = "portal", security(("portal_session" = [])),
    params(("run_id" = String, Path, description = "The run's id")),
    request_body = PortalCommentInput,
    responses((status = 201, description = "The comment's id", body = Object),
        (status = 422, description = "A blank text or a step that is not the participant's", body = Problem, content_type = "application/problem+json")))]
async fn add(
    State(s): State<AppState>,
    p: Participant,
    ApiPath(run_id): ApiPath<String>,
    ApiJson(input): ApiJson<PortalCommentInput>,
) -> ApiResult<Response> {
    let c = write(&s, &p, &run_id, input).await?;
    Ok(created(serde_json::json!({"id": c.id, "created_at": c.created_at})))
}

/// Deletes the participant's own comment (it stays, marked deleted).
#[utoipa::path(delete, path = "/v1/portal/runs/{run_id}/comments/{comment_id}", tag = "portal", security(("portal_session" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("comment_id" = String, Path, description = "The comment's id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Someone else's comment", body = Problem, content_type = "application/problem+json")))]
async fn remove(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, comment_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    unwrite(&s, &p, &run_id, &comment_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

fn page_error(p: &Participant) -> impl Fn(ApiError) -> PageError + '_ {
    |e| PageError::new(e, p.lang()).branded(Some(p.3.clone()))
}

/// The run page's comment form (`body`, `step_key`): back to the comments, or the page again
/// with the error and what was typed.
#[utoipa::path(post, path = "/portal/runs/{run_id}/comments", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id")),
    request_body(content = HashMap<String, String>, content_type = "application/x-www-form-urlencoded", description = "`body` and `step_key` (empty: the run)"),
    responses((status = 303, description = "Back to the comments", headers(("Location" = String))),
        (status = 422, description = "The page again, with the error", content_type = "text/html", body = String)))]
async fn add_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath(run_id): ApiPath<String>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    let mut body = String::new();
    let mut step_key = None;
    for (k, v) in form_urlencoded::parse(&form) {
        match k.as_ref() {
            "body" => body = v.into_owned(),
            "step_key" => step_key = Some(v.into_owned()),
            _ => {}
        }
    }
    let input = PortalCommentInput {
        body: body.clone(),
        step_key: step_key.clone(),
    };
    match write(&s, &p, &run_id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/runs/{run_id}?commented=1#comments")).into_response()),
        Err(ApiError::Validation(errors)) => {
            let draft = super::html::CommentDraft { body, step_key, errors };
            super::html::render_run_with_comment(&s, &p, &run_id, draft).await
        }
        Err(e) => Err(page_error(&p)(e)),
    }
}

/// Deletes the reader's own comment from the run page.
#[utoipa::path(post, path = "/portal/runs/{run_id}/comments/{comment_id}/delete", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("comment_id" = String, Path, description = "The comment's id")),
    responses((status = 303, description = "Back to the comments", headers(("Location" = String))),
        (status = 403, description = "Someone else's comment", content_type = "text/html", body = String)))]
async fn remove_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, comment_id)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    unwrite(&s, &p, &run_id, &comment_id).await.map_err(page_error(&p))?;
    Ok(Redirect::to(&format!("/portal/runs/{run_id}?uncommented=1#comments")).into_response())
}
