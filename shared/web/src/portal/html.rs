//! The portal's HTML pages (not under /v1): the access confirmation page, the task list and
//! the run page with info text, journey form and done button. The session travels as an
//! HttpOnly cookie; every action is a plain form POST followed by a redirect.

use app::repo::access::{self, SESSION_HOURS};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::i18n::Lang;
use serde_json::{json, Map, Value};

use super::participant::{self as portal, Participant, SESSION_COOKIE};
use super::views::PortalRunView;
use crate::error::ApiError;
use crate::extract::{ApiPath, FormBody};
use crate::pages::{render_for, Brand, PageError};
use crate::{AppState, Routes};

pub(super) fn routes() -> Routes {
    Routes::default()
        .route("/portal", get(task_page))
        .route("/portal/access/{token}", get(confirm_page).post(open_session))
        .route("/portal/runs/{run_id}", get(run_page))
        .route("/portal/runs/{run_id}/steps/{key}/submission", post(submit_form))
        .route("/portal/runs/{run_id}/steps/{key}/complete", post(complete_form))
        .route("/portal/runs/{run_id}/steps/{key}/due-date", post(due_date_form))
        .route("/portal/logout", post(logout))
}

/// The access link's page: whom it is for, and a button that opens the session.
#[utoipa::path(get, path = "/portal/access/{token}", tag = "pages", security(()),
    params(("token" = String, Path, description = "The access link's secret")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn confirm_page(State(s): State<AppState>, ApiPath(token): ApiPath<String>) -> Result<Response, PageError> {
    // Reading the link's row is harmless: only the POST below opens a session.
    let who = access::peek_access(s.table.as_ref(), &token).await?;
    let settings = match &who {
        Some(p) => Some((
            app::repo::settings::get_settings(s.table.as_ref(), &p.tenant_id).await?,
            p.tenant_id.clone(),
        )),
        None => None,
    };
    let tenant_default = settings.as_ref().and_then(|(st, _)| st.default_locale);
    let lang = Lang::resolve(
        who.as_ref().and_then(|p| p.locale),
        tenant_default.or(Some(s.config.default_locale)),
    );
    let brand = settings.as_ref().map(|(st, t)| Brand::of(st, t));
    let ctx = json!({"token": token, "name": who.map(|p| p.name)});
    Ok(render_for(
        brand.as_ref(),
        StatusCode::OK,
        "confirm",
        lang,
        "confirm_title",
        ctx,
    ))
}

fn cookie(s: &AppState, value: &str, max_age: i64) -> String {
    let secure = if s.config.portal_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/portal; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value of a new portal session.
pub fn session_cookie(s: &AppState, session: &str) -> String {
    cookie(s, session, SESSION_HOURS * 3600)
}

/// Opens a portal session from an access link: sets the cookie, goes to the task list.
#[utoipa::path(post, path = "/portal/access/{token}", tag = "pages", security(()),
    params(("token" = String, Path, description = "The access link's secret")),
    responses((status = 303, description = "To /portal, with the session cookie", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 401, description = "No such link", content_type = "text/html", body = String),
        (status = 410, description = "The link expired or its run ended", content_type = "text/html", body = String),
        (status = 429, description = "Too many sessions for this link or from this client", content_type = "text/html", body = String,
            headers(("Retry-After" = u64, description = "Seconds until another try may succeed")))))]
async fn open_session(
    State(s): State<AppState>,
    client: portal::ClientAddr,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, PageError> {
    let (session, _, _) = portal::open_session(&s, &client, &token).await?;
    let set = session_cookie(&s, &session);
    Ok(([(header::SET_COOKIE, set)], Redirect::to("/portal")).into_response())
}

/// The task list.
#[utoipa::path(get, path = "/portal", tag = "pages", security(("portal_cookie" = [])),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn task_page(State(s): State<AppState>, p: Result<Participant, ApiError>) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    let tasks = super::views::tasks(&s, &p).await.map_err(|e| PageError(e, lang))?;
    Ok(render_for(
        Some(&p.3),
        StatusCode::OK,
        "tasks",
        lang,
        "your_tasks",
        json!({ "tasks": tasks }),
    ))
}

async fn render_run(s: &AppState, p: &Participant, run_id: &str, errors: Option<Value>) -> Result<Response, PageError> {
    let lang = p.lang();
    let run = portal::load_run(s, p, run_id).await.map_err(|e| PageError(e, lang))?;
    let view = PortalRunView::new(p, &run);
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = json!({"title": view.title, "run": view, "errors": errors});
    Ok(render_for(Some(&p.3), status, "run", lang, "", ctx))
}

/// A run: progress, info text, the step's form and the done button.
#[utoipa::path(get, path = "/portal/runs/{run_id}", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn run_page(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath(run_id): ApiPath<String>,
) -> Result<Response, PageError> {
    render_run(&s, &p?, &run_id, None).await
}

/// Turns form fields into journey answers, typed by the step's journey.
fn answers(form: &Bytes, fields: &[domain::journey::Field]) -> Map<String, Value> {
    use domain::journey::FieldType;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(form).into_owned().collect();
    let mut data = Map::new();
    for (key, value) in &pairs {
        let kind = fields.iter().find(|f| &f.key == key).map(|f| f.kind);
        let value = match kind {
            _ if value.trim().is_empty() => continue,
            Some(FieldType::Number) => value
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .unwrap_or_else(|| Value::String(value.clone())),
            Some(FieldType::Checkbox) => Value::Bool(true),
            _ => Value::String(value.clone()),
        };
        data.insert(key.clone(), value);
    }
    for f in fields.iter().filter(|f| f.kind == FieldType::Checkbox) {
        data.entry(f.key.clone()).or_insert(Value::Bool(false));
    }
    data
}

/// After a form's command: back to the run page, or the page again with the fields that failed
/// (422), or the error as a page.
async fn after_form(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    result: Result<domain::run::Run, ApiError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/portal/runs/{run_id}")).into_response()),
        Err(ApiError::Validation(errors)) => render_run(s, p, run_id, Some(json!(errors))).await,
        Err(e) => Err(PageError(e, p.lang())),
    }
}

/// The step's form: back to the run page, or the page again with what failed (422).
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/submission", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = HashMap<String, String>, content_type = "application/x-www-form-urlencoded", description = "The journey's fields by key"),
    responses((status = 303, description = "Saved: back to the run page", headers(("Location" = String))),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn submit_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    after_form(
        &s,
        &p,
        &run_id,
        portal::submit_with(&s, &p, &run_id, &key, |fields| answers(&form, fields)).await,
    )
    .await
}

/// The done button.
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/complete", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    responses((status = 303, description = "Done: back to the run page", headers(("Location" = String))),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn complete_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    after_form(&s, &p, &run_id, portal::complete_step(&s, &p, &run_id, &key).await).await
}

/// The appointment form's field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct DueDateForm {
    /// A `datetime-local` value (`2026-12-01T09:30`), taken as UTC.
    due_at: String,
}

/// The appointment form: `due_at` as the browser's `datetime-local` value, taken as UTC.
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/due-date", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = DueDateForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Set: back to the run page", headers(("Location" = String))),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn due_date_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    let value = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "due_at")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let due_at = chrono::NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| {
            PageError(
                ApiError::invalid("due_at", "not_a_date", "must be a date and time"),
                lang,
            )
        })?;
    after_form(
        &s,
        &p,
        &run_id,
        portal::set_due_date(&s, &p, &run_id, &key, due_at).await,
    )
    .await
}

/// Ends the session (if any) and clears the cookie.
#[utoipa::path(post, path = "/portal/logout", tag = "pages", security(()),
    responses((status = 303, description = "To /portal", headers(("Location" = String), ("Set-Cookie" = String)))))]
async fn logout(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Result<Response, PageError> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(token) = portal::session_token(&parts) {
        access::close_session(s.table.as_ref(), &token).await?;
    }
    Ok(([(header::SET_COOKIE, cookie(&s, "", 0))], Redirect::to("/portal")).into_response())
}
