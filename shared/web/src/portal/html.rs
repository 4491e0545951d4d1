//! The portal's HTML pages (not under /v1): the access confirmation page, the task list and
//! the run page with info text, journey form and done button. The session travels as an
//! HttpOnly cookie; every action is a plain form POST followed by a redirect.

use app::repo::access::{self, SESSION_HOURS};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
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
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 401, description = "No such link: what to do instead", content_type = "text/html", body = String),
        (status = 410, description = "The link expired: what to do instead", content_type = "text/html", body = String)))]
async fn confirm_page(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, PageError> {
    // Reading the link's row is harmless: only the POST below opens a session. A link that
    // opens nothing says so at once (in the browser's language), without a welcome, under
    // the utility it was from.
    let who = match access::check_access(s.table.as_ref(), &token, s.config.clock.now()).await {
        Ok(who) => who,
        Err(e) => {
            let tenant = access::tenant_of_link(s.table.as_ref(), &token).await.ok().flatten();
            return Err(dead_end(&s, &headers, e.into(), tenant).await);
        }
    };
    let settings = app::repo::settings::get_settings(s.table.as_ref(), &who.tenant_id).await?;
    let lang = Lang::resolve(
        who.locale,
        Some(settings.default_locale.unwrap_or(s.config.default_locale)),
    );
    let brand = Brand::of(&settings, &who.tenant_id);
    // The task waiting: the step the link announces, in the reader's language (a run that
    // cannot be read just leaves the line out; opening the link will say what is wrong).
    let tenant_default = settings.default_locale.unwrap_or(s.config.default_locale);
    let mut task = None;
    if let Some(l) = &who.landing {
        if let Ok(run) = app::repo::load::<domain::run::Run>(s.table.as_ref(), &who.tenant_id, &l.run_id).await {
            task = run.step(&l.step_key).map(|st| {
                json!({"step": st.name.pick(lang, tenant_default), "process": run.process_name.pick(lang, tenant_default)})
            });
        }
    }
    let ctx = json!({"token": token, "name": who.name, "task": task});
    Ok(render_for(
        Some(&brand),
        StatusCode::OK,
        "confirm",
        lang,
        "confirm_title",
        ctx,
    ))
}

fn cookie(s: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if s.config.portal_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/portal; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Remembers which utility's portal this browser uses (its tenant id: no secret, it opens
/// nothing), so that dead ends after logout or expiry still show the utility and its support
/// contact.
const UTILITY_COOKIE: &str = "portal_utility";
const UTILITY_COOKIE_DAYS: i64 = 180;

/// The `Set-Cookie` values of a new portal session: the session, and the utility.
pub fn session_cookies(s: &AppState, session: &str, tenant: &str) -> AppendHeaders<[(header::HeaderName, String); 2]> {
    AppendHeaders([
        (
            header::SET_COOKIE,
            cookie(s, SESSION_COOKIE, session, SESSION_HOURS * 3600),
        ),
        // A tenant id that is no plain token is not remembered (it could not be read back).
        match fits_tenant(tenant) {
            true => (
                header::SET_COOKIE,
                cookie(s, UTILITY_COOKIE, tenant, UTILITY_COOKIE_DAYS * 86400),
            ),
            false => (header::SET_COOKIE, cookie(s, UTILITY_COOKIE, "", 0)),
        },
    ])
}

/// A tenant id as the utility cookie holds it: letters, digits, `-` and `_`, at most 64.
fn fits_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The utility a browser last used the portal of, as its pages show it: only a tenant id
/// that reads as one and whose utility has a name (a made-up cookie shows nothing).
pub(super) async fn remembered(s: &AppState, headers: &axum::http::HeaderMap) -> Option<Brand> {
    let tenant = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == UTILITY_COOKIE)
        .map(|(_, v)| v.to_string())?;
    branded(s, &tenant).await
}

pub(crate) async fn branded(s: &AppState, tenant: &str) -> Option<Brand> {
    if !fits_tenant(tenant) {
        return None;
    }
    let settings = app::repo::settings::get_settings(s.table.as_ref(), tenant).await.ok()?;
    settings.name.as_ref()?;
    Some(Brand::of(&settings, tenant))
}

/// A page that cannot go on (no session, an expired or unknown link): in the browser's
/// language, under the utility it belongs to (`tenant`, else the one this browser last used)
/// with its support contact, and with the "send me a new link" form.
async fn dead_end(s: &AppState, headers: &axum::http::HeaderMap, e: ApiError, tenant: Option<String>) -> PageError {
    let brand = match tenant {
        Some(t) => branded(s, &t).await,
        None => remembered(s, headers).await,
    };
    PageError::from(e).branded(brand)
}

/// Opens a portal session from an access link: sets the cookie, goes to the task list.
#[utoipa::path(post, path = "/portal/access/{token}", tag = "pages", security(()),
    params(("token" = String, Path, description = "The access link's secret")),
    responses((status = 303, description = "To the step the link announced (else /portal), with the session cookie", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 401, description = "No such link", content_type = "text/html", body = String),
        (status = 410, description = "The link expired or its run ended", content_type = "text/html", body = String),
        (status = 429, description = "Too many sessions for this link or from this client", content_type = "text/html", body = String,
            headers(("Retry-After" = u64, description = "Seconds until another try may succeed")))))]
async fn open_session(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    client: portal::ClientAddr,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, PageError> {
    let (session, _, who) = match portal::open_session(&s, &client, &token).await {
        Ok(opened) => opened,
        Err(e) => {
            let tenant = access::tenant_of_link(s.table.as_ref(), &token).await.ok().flatten();
            return Err(dead_end(&s, &headers, e, tenant).await);
        }
    };
    let set = session_cookies(&s, &session, &who.tenant_id);
    // Straight to the step the email announced; links without one go to the task list.
    let to = who.landing.map(|l| l.path()).unwrap_or_else(|| "/portal".into());
    Ok((set, Redirect::to(&to)).into_response())
}

/// The task list; `?welcome=1` (after a partner accepted its invitation) adds a welcome.
#[derive(Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskPageQuery {
    /// Shows the welcome of a partner organisation that just registered (`1`).
    welcome: Option<String>,
}

/// The task list.
#[utoipa::path(get, path = "/portal", tag = "pages", security(("portal_cookie" = [])), params(TaskPageQuery),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn task_page(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    p: Result<Participant, ApiError>,
    q: Result<crate::extract::ApiQuery<TaskPageQuery>, ApiError>,
) -> Result<Response, PageError> {
    let p = match p {
        Ok(p) => p,
        Err(e) => return Err(dead_end(&s, &headers, e, None).await),
    };
    let lang = p.lang();
    // A partner that has just registered reads who it is registered with and what comes next.
    let welcome = q.ok().and_then(|q| q.0.welcome).filter(|_| p.1.is_some()).map(|_| {
        let org =
            p.1.as_ref()
                .map(|x| x.organization_name.clone().unwrap_or_else(|| x.name.clone()));
        json!({"organization": org, "tenant": p.3.name})
    });
    let tasks = super::views::tasks(&s, &p)
        .await
        .map_err(|e| PageError::new(e, lang).branded(Some(p.3.clone())))?;
    Ok(render_for(
        Some(&p.3),
        StatusCode::OK,
        "tasks",
        lang,
        "your_tasks",
        json!({ "tasks": tasks, "welcome": welcome }),
    ))
}

/// What a run page shows beyond the run: the answers just posted and what was wrong with
/// them (the form again, 422), or the outcome of the last action (post/redirect/get).
#[derive(Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunPageQuery {
    /// The step whose answers were just saved.
    saved: Option<String>,
    /// The step just marked done.
    done: Option<String>,
    /// The step whose "done" asks to be confirmed.
    confirm: Option<String>,
    /// The step whose appointment was just set.
    appointment: Option<String>,
    /// The step a document was just added to.
    uploaded: Option<String>,
    /// The step a document was just removed from.
    removed: Option<String>,
    /// Why the last upload was refused (an error code).
    upload_failed: Option<String>,
    /// A comment was just written (`1`).
    commented: Option<String>,
    /// A comment was just deleted (`1`).
    uncommented: Option<String>,
}

/// A comment the page shows again, with why it was not taken.
pub(super) struct CommentDraft {
    pub body: String,
    pub step_key: Option<String>,
    pub errors: Vec<domain::FieldError>,
}

/// The run page again with a comment that was not taken.
pub(super) async fn render_run_with_comment(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    draft: CommentDraft,
) -> Result<Response, PageError> {
    render_run(s, p, run_id, None, RunPageQuery::default(), Some(draft)).await
}

struct FormState {
    step: String,
    values: Map<String, Value>,
    errors: Vec<domain::FieldError>,
}

/// A field error as the page shows it: at its field (`key`), in the reader's words.
fn field_errors(errors: &[domain::FieldError], lang: Lang) -> Vec<Value> {
    let t = app::templates::catalog(lang);
    errors
        .iter()
        .map(|e| {
            let key = e.field.strip_prefix("data.").unwrap_or(&e.field).to_string();
            // A missing required document is no field: it has its own words.
            let code = if key.starts_with("required_documents.") {
                "document_required"
            } else {
                e.code
            };
            let message = t
                .get(&format!("err_{code}"))
                .or_else(|| t.get("err_invalid"))
                .cloned()
                .unwrap_or_else(|| json!(e.message));
            json!({"key": key, "code": e.code, "message": message})
        })
        .collect()
}

async fn render_run(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    form: Option<FormState>,
    q: RunPageQuery,
    comment: Option<CommentDraft>,
) -> Result<Response, PageError> {
    let lang = p.lang();
    let to_page = |e| PageError::new(e, lang).branded(Some(p.3.clone()));
    let run = portal::load_run(s, p, run_id).await.map_err(to_page)?;
    let view = PortalRunView::new(p, &run, s.config.clock.now());
    let comments = super::comments::visible(s, p, &run).await.map_err(to_page)?;
    // The steps a comment may be about: the reader's (a partner with all steps: any).
    let comment_steps: Vec<Value> = view
        .steps
        .iter()
        .filter(|st| st.mine || p.may(domain::partner::Permission::RunsViewAllSteps) && p.1.is_some())
        .map(|st| json!({"key": st.key, "name": st.name}))
        .collect();
    let status = if form.as_ref().is_some_and(|f| !f.errors.is_empty()) || comment.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // What comes after a step marked done: the reader's next step, or someone else's.
    let next_mine = view
        .steps
        .iter()
        .find(|st| st.mine && st.status == domain::run::StepStatus::Active)
        .map(|st| st.name.clone());
    let position = view
        .steps
        .iter()
        .position(|st| st.status == domain::run::StepStatus::Active);
    let ctx = json!({
        "title": view.title,
        "run": view,
        "form": form.as_ref().map(|f| json!({"step": f.step, "values": f.values, "errors": field_errors(&f.errors, lang)})),
        "saved": q.saved, "done": q.done, "confirm": q.confirm, "appointment": q.appointment,
        "uploaded": q.uploaded, "removed": q.removed,
        "upload_failed": q.upload_failed.map(|code| {
            let t = app::templates::catalog(lang);
            t.get(&format!("err_{code}")).or_else(|| t.get("err_invalid")).cloned().unwrap_or_default()
        }),
        // The appointment form shows the current one, in the utility's time zone.
        "due_inputs": run.steps.iter().filter_map(|st| {
            let at = st.due_at?.with_timezone(&p.3.tz);
            Some((st.key.clone(), json!(at.format("%Y-%m-%dT%H:%M").to_string())))
        }).collect::<Map<String, Value>>(),
        "next_mine": next_mine,
        "position": position.map(|i| i + 1),
        "tz": p.3.tz.name(),
        "comments": comments,
        "comment_steps": comment_steps,
        "commented": q.commented.is_some(), "uncommented": q.uncommented.is_some(),
        "comment_draft": comment.map(|c| json!({"body": c.body, "step_key": c.step_key, "errors": field_errors(&c.errors, lang)})),
    });
    Ok(render_for(Some(&p.3), status, "run", lang, "", ctx))
}

/// A run: progress, info text, the step's form and its done, the outcome of the last action.
#[utoipa::path(get, path = "/portal/runs/{run_id}", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), RunPageQuery),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn run_page(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    p: Result<Participant, ApiError>,
    ApiPath(run_id): ApiPath<String>,
    q: Result<crate::extract::ApiQuery<RunPageQuery>, ApiError>,
) -> Result<Response, PageError> {
    // A query that does not read (a hand-edited URL) just shows the page.
    let q = q.map(|q| q.0).unwrap_or_default();
    let p = match p {
        Ok(p) => p,
        Err(e) => return Err(dead_end(&s, &headers, e, None).await),
    };
    render_run(&s, &p, &run_id, None, q, None).await
}

/// Turns form fields into journey answers, typed by the step's journey.
fn answers(form: &Bytes, fields: &[domain::journey::Field]) -> Map<String, Value> {
    use domain::journey::FieldType;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(form).into_owned().collect();
    let mut data = Map::new();
    for (key, value) in &pairs {
        // The form's own fields (`action`) are no answers.
        let Some(kind) = fields.iter().find(|f| &f.key == key).map(|f| f.kind) else {
            continue;
        };
        let kind = Some(kind);
        let value = match kind {
            _ if value.trim().is_empty() => continue,
            // Whole numbers stay whole (`4711`, not `4711.0`, when the form shows them again).
            Some(FieldType::Number) => match value.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                    .unwrap_or_else(|| Value::String(value.clone())),
            },
            Some(FieldType::Checkbox) => Value::Bool(true),
            // The documents ticked for the field: every one of them.
            Some(FieldType::File) => {
                let ids = match data.remove(key) {
                    Some(Value::Array(mut ids)) => {
                        ids.push(Value::String(value.clone()));
                        ids
                    }
                    _ => vec![Value::String(value.clone())],
                };
                Value::Array(ids)
            }
            _ => Value::String(value.clone()),
        };
        data.insert(key.clone(), value);
    }
    for f in fields.iter().filter(|f| f.kind == FieldType::Checkbox) {
        data.entry(f.key.clone()).or_insert(Value::Bool(false));
    }
    data
}

/// A command's failure on a page: its field errors on the form again (422, `values` kept),
/// anything else as an error page.
async fn form_failed(
    s: &AppState,
    p: &Participant,
    run_id: &str,
    key: &str,
    values: Map<String, Value>,
    e: ApiError,
) -> Result<Response, PageError> {
    match e {
        ApiError::Validation(errors) => {
            let form = FormState {
                step: key.to_string(),
                values,
                errors,
            };
            render_run(s, p, run_id, Some(form), RunPageQuery::default(), None).await
        }
        e => Err(PageError::new(e, p.lang()).branded(Some(p.3.clone()))),
    }
}

pub(super) fn back_to(run_id: &str, outcome: &str, key: &str) -> Response {
    let key: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
    Redirect::to(&format!("/portal/runs/{run_id}?{outcome}={key}#step-{key}")).into_response()
}

/// The step's one form: `action=save` stores the answers; `action=done` stores them and asks
/// to confirm the done (then `complete`). Errors show the form again with what was typed.
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/submission", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = HashMap<String, String>, content_type = "application/x-www-form-urlencoded", description = "The journey's fields by key, and `action` (`save` or `done`)"),
    responses((status = 303, description = "Saved: back to the run page", headers(("Location" = String))),
        (status = 422, description = "The form again, with its errors", content_type = "text/html", body = String),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn submit_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    let done = form_urlencoded::parse(&form).any(|(k, v)| k == "action" && v == "done");
    let mut typed = Map::new();
    let result = portal::submit_with(&s, &p, &run_id, &key, done, |fields| {
        typed = answers(&form, fields);
        typed.clone()
    })
    .await;
    match result {
        Ok(_) if done => Ok(back_to(&run_id, "confirm", &key)),
        Ok(_) => Ok(back_to(&run_id, "saved", &key)),
        Err(e) => form_failed(&s, &p, &run_id, &key, typed, e).await,
    }
}

/// The confirmed done.
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/complete", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    responses((status = 303, description = "Done: back to the run page", headers(("Location" = String))),
        (status = 422, description = "The answers are incomplete: the form with its errors", content_type = "text/html", body = String),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn complete_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    match portal::complete_step(&s, &p, &run_id, &key).await {
        Ok(_) => Ok(back_to(&run_id, "done", &key)),
        Err(e) => form_failed(&s, &p, &run_id, &key, Map::new(), e).await,
    }
}

/// The appointment form's field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct DueDateForm {
    /// A `datetime-local` value (`2026-12-01T09:30`) in the utility's time zone.
    due_at: String,
}

/// The appointment form: `due_at` as the browser's `datetime-local` value, in the utility's
/// time zone (the form says which); stored in UTC with its time.
#[utoipa::path(post, path = "/portal/runs/{run_id}/steps/{key}/due-date", tag = "pages", security(("portal_cookie" = [])),
    params(("run_id" = String, Path, description = "The run's id"), ("key" = String, Path, description = "The step's key")),
    request_body(content = DueDateForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Set: back to the run page", headers(("Location" = String))),
        (status = 422, description = "The form again, with its error", content_type = "text/html", body = String),
        (status = 409, description = "The step is not active or the run has ended", content_type = "text/html", body = String)))]
async fn due_date_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    ApiPath((run_id, key)): ApiPath<(String, String)>,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let p = p?;
    let value = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "due_at")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let local = chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| {
            use chrono::Timelike;
            domain::dates::local_to_utc(t.date(), t.hour(), t.minute(), p.3.tz)
        });
    let result = match local {
        Some(due_at) => portal::set_due_date(&s, &p, &run_id, &key, due_at).await,
        None => Err(ApiError::invalid("due_at", "not_a_date", "must be a date and time")),
    };
    match result {
        Ok(_) => Ok(back_to(&run_id, "appointment", &key)),
        Err(e) => form_failed(&s, &p, &run_id, &key, Map::new(), e).await,
    }
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
    let clear = cookie(&s, SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/portal")).into_response())
}
