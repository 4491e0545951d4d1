//! Documents, participants' side: upload to their own active step (partner users with
//! documents:upload), confirm, download what they may see, remove their own while the step
//! is active. The page's upload form (`portal::html`) uses the same calls.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde::Deserialize;

use super::participant::{self as portal, Participant};
use crate::documents::to_file;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::{created, to_json, AppState, Routes};
use app::repo::uploads::{self, Files, UploadInput, UploadTicket};
use domain::document::Document;
use domain::partner::Permission;
use domain::DomainError;

pub(super) fn routes() -> Routes {
    Routes::default()
        .route("/v1/portal/runs/{run_id}/steps/{key}/uploads", post(ask_upload))
        .route(
            "/v1/portal/runs/{run_id}/uploads/{upload_id}/confirm",
            post(confirm_upload),
        )
        .route("/v1/portal/runs/{run_id}/documents/{doc_id}", delete(remove_document))
        .route("/v1/portal/runs/{run_id}/documents/{doc_id}/download", get(download))
}

/// A participant's upload: what they say of the file (it goes to the step of the path).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalUploadInput {
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// The step's required document it is for.
    #[serde(default)]
    pub requirement: Option<String>,
}

fn may_upload(p: &Participant) -> Result<(), DomainError> {
    if p.may(Permission::DocumentsUpload) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "your organisation may not upload documents (documents:upload)",
        ))
    }
}

/// Asks for an upload to one of the reader's steps; `redirect` is where a browser goes
/// after the file is stored (the page's form).
pub(super) async fn ask(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    input: PortalUploadInput,
    redirect: impl FnOnce(&str) -> Option<String>,
) -> ApiResult<UploadTicket> {
    may_upload(p)?;
    let run = portal::load_run(s, p, run_id).await?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), &p.0.tenant_id).await?;
    let input = UploadInput {
        filename: input.filename,
        content_type: input.content_type,
        size: input.size,
        step_key: Some(key.to_string()),
        requirement: input.requirement,
        visibility: None,
    };
    Ok(uploads::ask(&files, &run, &p.actor(), input, redirect).await?)
}

/// Asks for an upload from the page's plain form (the file is picked after: its name and type
/// come from the store and its bytes).
pub(super) async fn ask_form(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    requirement: Option<String>,
    redirect: impl FnOnce(&str) -> Option<String>,
) -> ApiResult<UploadTicket> {
    may_upload(p)?;
    let run = portal::load_run(s, p, run_id).await?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), &p.0.tenant_id).await?;
    Ok(uploads::ask_form(&files, &run, &p.actor(), key, requirement, redirect).await?)
}

/// Confirms one of the reader's uploads.
/// `stored_key`: where the store says it put a form upload's file.
pub(super) async fn confirm(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    upload_id: &str,
    stored_key: Option<&str>,
) -> ApiResult<Document> {
    may_upload(p)?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), &p.0.tenant_id).await?;
    let (_, doc) = uploads::confirm(&files, run_id, upload_id, &p.actor(), stored_key, |run| p.sees(run)).await?;
    Ok(doc)
}

/// Asks for an upload to the reader's active step: the signed form the file goes with.
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/steps/{key}/uploads", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = PortalUploadInput,
    responses((status = 201, description = "Where to send the file", body = UploadTicket),
        (status = 403, description = "Not your step, or your organisation may not upload", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The step is not active", body = Problem, content_type = "application/problem+json")))]
async fn ask_upload(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<PortalUploadInput>,
) -> ApiResult<Response> {
    let ticket = ask(&s, &p, &run_id, &key, input, |_| None).await?;
    Ok(created(to_json(&ticket)))
}

/// Confirms an upload once the file is stored: the step's new document.
#[utoipa::path(post, path = "/v1/portal/runs/{run_id}/uploads/{upload_id}/confirm", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("upload_id" = String, Path, description = "The upload's id")),
    responses((status = 201, description = "The document", body = Document),
        (status = 409, description = "Nothing was uploaded yet, or the step is no longer active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is empty, too large, or not of its type (it was deleted)", body = Problem, content_type = "application/problem+json")))]
async fn confirm_upload(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, upload)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let doc = confirm(&s, &p, &run_id, &upload, None).await?;
    Ok(created(to_json(&doc)))
}

/// Downloads a document the reader sees: a redirect to a link valid a few minutes.
#[utoipa::path(get, path = "/v1/portal/runs/{run_id}/documents/{doc_id}/download", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 303, description = "To the file", headers(("Location" = String))),
        (status = 409, description = "The document waits for its malware scan", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The scan found malware: never served", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn download(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, doc_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    to_file(&file_link(&s, &p, &run_id, &doc_id).await?)
}

/// A short-lived link to a document the reader sees (its scan's result taken first, where it
/// has come).
pub(super) async fn file_link(s: &AppState, p: &Participant, run_id: &str, doc_id: &str) -> ApiResult<String> {
    let mut run = portal::load_run(s, p, run_id).await?;
    let reader = Some((p.0.participant_id.as_str(), p.may(Permission::RunsViewAllSteps)));
    run.document_for(doc_id, reader).ok_or(ApiError::NotFound("document"))?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), &p.0.tenant_id).await?;
    uploads::settle_scan(&files, &mut run, doc_id).await?;
    let doc = run.document_for(doc_id, reader).ok_or(ApiError::NotFound("document"))?;
    Ok(uploads::download_url(s.blobs.as_ref(), &p.0.tenant_id, &run, doc).await?)
}

/// Removes one of the reader's own documents while its step is active.
#[utoipa::path(delete, path = "/v1/portal/runs/{run_id}/documents/{doc_id}", tag = "portal", security(("portal_session" = []), ("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 204, description = "Removed"),
        (status = 403, description = "Not your document", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The step is no longer active", body = Problem, content_type = "application/problem+json")))]
async fn remove_document(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, doc_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    portal::remove_document(&s, &p, &run_id, &doc_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
