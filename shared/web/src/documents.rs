//! Documents, staff side (process-api): upload to any step of a running run or to the run
//! itself, list, download (a redirect to a short-lived link), remove. The portal's side is
//! `portal::documents`; both go through `app::repo::uploads`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Json;
use serde_json::{json, Value};

use super::extract::{ApiJson, ApiPath};
use super::{created, staff_actor, staff_change, tenant, to_json, AppState, Routes};
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, Problem};
use app::repo::uploads::{self, Files, UploadInput, UploadTicket};
use domain::document::{Document, DocumentStatus};
use domain::run::Run;

pub(crate) fn routes() -> Routes {
    Routes::default()
        .route("/v1/runs/{id}/uploads", post(ask_upload))
        .route("/v1/runs/{id}/uploads/{upload_id}/confirm", post(confirm_upload))
        .route("/v1/runs/{id}/documents", get(list_documents))
        .route("/v1/runs/{id}/documents/{doc_id}", delete(remove_document))
        .route("/v1/runs/{id}/documents/{doc_id}/download", get(download))
}

/// A redirect to a document's short-lived link (never cached for long: it expires).
pub(crate) fn to_file(url: &str) -> ApiResult<Response> {
    let location = axum::http::HeaderValue::from_str(url)
        .map_err(|_| ApiError::Internal("a download link is no header value".into()))?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (
                header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("private, max-age=60"),
            ),
        ],
    )
        .into_response())
}

/// Asks for an upload: the signed form the browser sends the file with.
#[utoipa::path(post, path = "/v1/runs/{id}/uploads", tag = "documents", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    request_body = UploadInput,
    responses((status = 201, description = "Where to send the file", body = UploadTicket),
        (status = 409, description = "The run has ended", body = Problem, content_type = "application/problem+json")))]
async fn ask_upload(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
    ApiJson(input): ApiJson<UploadInput>,
) -> ApiResult<Response> {
    let t = tenant(&id);
    let run: Run = app::repo::load(s.table.as_ref(), t, &rid).await?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
    let ticket = uploads::ask(&files, &run, &staff_actor(&id), input, |_| None).await?;
    Ok(created(to_json(&ticket)))
}

/// Confirms an upload once the file is stored: the run's new document.
#[utoipa::path(post, path = "/v1/runs/{id}/uploads/{upload_id}/confirm", tag = "documents", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("upload_id" = String, Path, description = "The upload's id")),
    responses((status = 201, description = "The document", body = Document),
        (status = 409, description = "Nothing was uploaded yet, or the run has ended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is empty, too large, or not of its type (it was deleted)", body = Problem, content_type = "application/problem+json")))]
async fn confirm_upload(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, upload)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let t = tenant(&id);
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
    let (_, doc) = uploads::confirm(&files, &rid, &upload, &staff_actor(&id), None, |_| Ok(())).await?;
    Ok(created(to_json(&doc)))
}

/// The run's documents (not the removed ones).
#[utoipa::path(get, path = "/v1/runs/{id}/documents", tag = "documents", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "`{\"documents\": [...]}`, oldest first", body = Value)))]
async fn list_documents(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&id);
    let mut run: Run = app::repo::load(s.table.as_ref(), t, &rid).await?;
    // Documents waiting for their scan take its result, where it has come.
    let waiting: Vec<String> = run
        .documents
        .iter()
        .filter(|d| d.status == DocumentStatus::PendingScan)
        .map(|d| d.id.clone())
        .collect();
    if !waiting.is_empty() {
        let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
        for doc in waiting {
            uploads::settle_scan(&files, &mut run, &doc).await?;
        }
    }
    Ok(Json(json!({ "documents": run.visible_documents(None) })))
}

/// Downloads a document: a redirect to a link valid a few minutes.
#[utoipa::path(get, path = "/v1/runs/{id}/documents/{doc_id}/download", tag = "documents", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 303, description = "To the file", headers(("Location" = String))),
        (status = 409, description = "The document waits for its malware scan", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The scan found malware: never served", body = Problem, content_type = "application/problem+json")))]
async fn download(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, doc_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let t = tenant(&id);
    let mut run: Run = app::repo::load(s.table.as_ref(), t, &rid).await?;
    run.document_for(&doc_id, None).ok_or(ApiError::NotFound("document"))?;
    let files = Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
    uploads::settle_scan(&files, &mut run, &doc_id).await?;
    let doc = run.document_for(&doc_id, None).ok_or(ApiError::NotFound("document"))?;
    to_file(&uploads::download_url(s.blobs.as_ref(), t, &run, doc).await?)
}

/// Removes a document (softly: the history keeps it).
#[utoipa::path(delete, path = "/v1/runs/{id}/documents/{doc_id}", tag = "documents", security(("jwt" = [])),
    params(("id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json")))]
async fn remove_document(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, doc_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    staff_change(&s, &id, &rid, |run: &mut Run, who, now| {
        run.remove_document(&doc_id, who, now)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
