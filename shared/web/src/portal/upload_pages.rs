//! The step page's documents, without JavaScript: "add a document" opens a page with the file
//! store's signed form (pick the file, send it straight to the store), the store sends the
//! browser back here to confirm, and the step page lists the file. Downloads and removals
//! are plain links and forms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::documents::{ask, ask_form, confirm, file_link, PortalUploadInput};
use super::html::back_to;
use super::participant::{self as portal, Participant};
use crate::documents::to_file;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, FormBody};
use crate::pages::{render_for, PageError};
use crate::{created, to_json, AppState, Routes};

pub(super) fn routes() -> Routes {
    Routes::default()
        .route("/portal/runs/{run_id}/steps/{key}/uploads", post(upload_page))
        .route("/portal/runs/{run_id}/uploads/{upload_id}/stored", get(stored))
        .route("/portal/runs/{run_id}/steps/{key}/uploads/ticket", post(script_ticket))
        .route(
            "/portal/runs/{run_id}/uploads/{upload_id}/confirm",
            post(script_confirm),
        )
        .route("/portal/runs/{run_id}/documents/{doc_id}", get(download))
        .route("/portal/runs/{run_id}/documents/{doc_id}/remove", post(remove))
}

fn page_error(p: &Participant) -> impl Fn(ApiError) -> PageError + '_ {
    |e| PageError::new(e, p.lang()).branded(Some(p.3.clone()))
}

/// The origin of a URL (`https://bucket.s3.eu-central-1.amazonaws.com`), for the page's
/// `form-action`.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

/// The upload form for a step (`requirement`: which required document it is).
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/uploads", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = HashMap<String, String>, content_type = "application/x-www-form-urlencoded", description = "`requirement`: the step's required document the file is for (optional)"),
    responses((status = 200, description = "The page with the file store's form", content_type = "text/html", body = String),
        (status = 403, description = "Not your step, or your organisation may not upload", content_type = "text/html", body = String),
        (status = 409, description = "The step is not active, or the run has ended", content_type = "text/html", body = String)))]
async fn upload_page(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    let requirement = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "requirement")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let base = s.config.portal_base_url.clone();
    let back = |upload: &str| Some(format!("{base}/portal/runs/{run_id}/uploads/{upload}/stored"));
    let ticket = ask_form(&s, &p, &run_id, &key, requirement.clone(), back)
        .await
        .map_err(page_error(&p))?;
    let run = portal::load_run(&s, &p, &run_id).await.map_err(page_error(&p))?;
    let (lang, tenant_default) = (p.lang(), p.2);
    let step = run
        .step(&key)
        .ok_or(ApiError::NotFound("step"))
        .map_err(page_error(&p))?;
    let required = requirement
        .as_deref()
        .and_then(|r| step.required_documents.iter().find(|d| d.key == r));
    let ctx = json!({
        "run_id": run_id,
        "step_key": key,
        "step_name": step.name.pick(lang, tenant_default),
        "required": required.map(|r| r.label.pick(lang, tenant_default).to_string()),
        "accept": required.and_then(|r| r.types.clone()).unwrap_or_else(|| domain::document::DEFAULT_TYPES.iter().map(|t| t.to_string()).collect()).join(","),
        "max_text": super::views::size_text(ticket.max_size, lang),
        "target": {"url": ticket.url, "fields": ticket.fields, "max_size": ticket.max_size},
        "form_origin": origin(&ticket.url),
        "requirement": requirement,
        "back_url": format!("/portal/runs/{run_id}?uploaded={k}#step-{k}", k = form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()),
        "messages": upload_messages(lang),
    });
    Ok(render_for(
        Some(&p.3),
        StatusCode::OK,
        "upload",
        lang,
        "upload_title",
        ctx,
    ))
}

/// What the page's script says when a file is refused: the reader's words by error code
/// (`too_large`, …) and by status (`403`, `409`), as the step page says them.
fn upload_messages(lang: domain::i18n::Lang) -> serde_json::Map<String, serde_json::Value> {
    let t = app::templates::catalog(lang);
    t.iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("err_").or_else(|| {
                k.strip_prefix("page_error_")
                    .and_then(|rest| rest.strip_suffix("_text"))
            })?;
            Some((code.to_string(), v.clone()))
        })
        .collect()
}

/// Where the file store's query says the file went (S3 adds `bucket`, `key` and `etag`).
#[derive(Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StoredQuery {
    /// The object's key.
    key: Option<String>,
    #[allow(dead_code)]
    bucket: Option<String>,
    #[allow(dead_code)]
    etag: Option<String>,
}

/// The file store sends the browser here after the upload: confirm, then back to the step
/// (what was wrong with the file, if anything, shows there).
#[utoipa::path(get, path = "/portal/runs/{run_id}/uploads/{upload_id}/stored", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("upload_id" = String, Path, description = "The upload's id"), StoredQuery),
    responses((status = 303, description = "Back to the step: `?uploaded=` or `?upload_failed=` (an error code)", headers(("Location" = String))),
        (status = 409, description = "Nothing was stored for this upload, or the step is no longer active", content_type = "text/html", body = String)))]
async fn stored(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, upload)): ApiPath<(String, String)>,
    q: Result<ApiQuery<StoredQuery>, ApiError>,
) -> Result<Response, PageError> {
    let p = p?;
    let key = q.ok().and_then(|q| q.0.key);
    match confirm(&s, &p, &run_id, &upload, key.as_deref()).await {
        Ok(doc) => Ok(back_to(
            &run_id,
            "uploaded",
            doc.step_key.as_deref().unwrap_or_default(),
        )),
        Err(ApiError::Validation(errors)) => {
            let code = errors
                .first()
                .map(|e| e.code.to_string())
                .unwrap_or_else(|| "invalid".into());
            Ok(Redirect::to(&format!("/portal/runs/{run_id}?upload_failed={code}")).into_response())
        }
        Err(e) => Err(page_error(&p)(e)),
    }
}

/// The upload page's script asks for an upload of one of its files (JSON, on the page's
/// session cookie, which only `/portal/` paths get; a cross-site POST is refused before
/// this runs).
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/uploads/ticket", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body = PortalUploadInput,
    responses((status = 201, description = "Where to send the file", body = app::repo::uploads::UploadTicket),
        (status = 403, description = "Not your step, or your organisation may not upload", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The step is not active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Too large, a type the step does not take, or too many files", body = Problem, content_type = "application/problem+json")))]
async fn script_ticket(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<PortalUploadInput>,
) -> ApiResult<Response> {
    let ticket = ask(&s, &p, &run_id, &key, input, |_| None).await?;
    Ok(created(to_json(&ticket)))
}

/// The upload page's script confirms a file it sent: the step's new document.
#[utoipa::path(post, path = "/portal/runs/{run_id}/uploads/{upload_id}/confirm", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("upload_id" = String, Path, description = "The upload's id")),
    responses((status = 201, description = "The document", body = domain::document::Document),
        (status = 409, description = "Nothing was uploaded yet, or the step is no longer active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is empty, too large, or not of its type (it was deleted)", body = Problem, content_type = "application/problem+json")))]
async fn script_confirm(
    State(s): State<AppState>,
    p: Participant,
    ApiPath((run_id, upload)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let doc = confirm(&s, &p, &run_id, &upload, None).await?;
    Ok(created(to_json(&doc)))
}

/// A document of the reader's: a redirect to a link valid a few minutes.
#[utoipa::path(get, path = "/portal/runs/{run_id}/documents/{doc_id}", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 303, description = "To the file", headers(("Location" = String))),
        (status = 404, description = "No such document of yours", content_type = "text/html", body = String),
        (status = 409, description = "The document waits for its malware scan", content_type = "text/html", body = String),
        (status = 410, description = "The scan found malware: never served", content_type = "text/html", body = String)))]
async fn download(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, doc_id)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    let url = file_link(&s, &p, &run_id, &doc_id).await.map_err(page_error(&p))?;
    to_file(&url).map_err(page_error(&p))
}

/// Removes one of the reader's documents, back to its step.
#[utoipa::path(post, path = "/portal/runs/{run_id}/documents/{doc_id}/remove", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("doc_id" = String, Path, description = "The document's id")),
    responses((status = 303, description = "Back to the step, `?removed=`", headers(("Location" = String))),
        (status = 403, description = "Not your document", content_type = "text/html", body = String),
        (status = 409, description = "The step is no longer active", content_type = "text/html", body = String)))]
async fn remove(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, doc_id)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    let run = portal::remove_document(&s, &p, &run_id, &doc_id)
        .await
        .map_err(page_error(&p))?;
    let step = run
        .documents
        .iter()
        .find(|d| d.id == doc_id)
        .and_then(|d| d.step_key.clone())
        .unwrap_or_default();
    Ok(back_to(&run_id, "removed", &step))
}
