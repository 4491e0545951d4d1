//! The portal's HTML pages (not under /v1): the access confirmation page, the task list and
//! the run page with info text, journey form and done button. The session travels as an
//! HttpOnly cookie; every action is a plain form POST followed by a redirect.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Environment};
use serde_json::{Map, Value};

use super::portal::{self, Participant, SESSION_COOKIE};
use super::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::repo::access::{self, SESSION_HOURS};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(task_page))
        .route("/portal/access/{token}", get(confirm_page).post(open_session))
        .route("/portal/runs/{run_id}", get(run_page))
        .route("/portal/runs/{run_id}/steps/{key}/submission", post(submit_form))
        .route("/portal/runs/{run_id}/steps/{key}/complete", post(complete_form))
        .route("/portal/runs/{run_id}/steps/{key}/due-date", post(due_date_form))
        .route("/portal/logout", post(logout))
}

const LAYOUT: &str = r#"<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2a33}
a{color:#00577a}.step{padding:.4rem .6rem;border-left:4px solid #ccd;margin:.3rem 0}.active{border-color:#00a0df;background:#eef8fd}
.done{border-color:#3a3;color:#555}.mine{font-weight:600}label{display:block;margin-top:.8rem}input,select{padding:.4rem;min-width:16rem}
button{margin-top:1rem;padding:.6rem 1.2rem;background:#00577a;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#a00}.info{background:#f5f5f0;padding:.6rem;white-space:pre-wrap}</style></head>
<body>{% block body %}{% endblock %}</body></html>"#;

const CONFIRM: &str = r#"{% extends "layout.html" %}{% block body %}
<h1>{{ t.welcome }}{% if name %}, {{ name }}{% endif %}</h1>
<p>{{ t.confirm_text }}</p>
<form method="post" action="/portal/access/{{ token }}"><button type="submit">{{ t.continue }}</button></form>
{% endblock %}"#;

const TASKS: &str = r#"{% extends "layout.html" %}{% block body %}
<h1>{{ t.your_tasks }}</h1>
{% if not tasks %}<p>{{ t.no_tasks }}</p>{% endif %}
<ul>{% for task in tasks %}
<li class="step {{ task.status }}"><a href="/portal/runs/{{ task.run_id }}">{{ task.run_title or task.process_name }}: {{ task.name }}</a>
 ({{ t[task.status] }}{% if task.due_at and task.status == "active" %}, {{ t.due }} {{ task.due_at[:10] }}{% endif %})</li>
{% endfor %}</ul>
<form method="post" action="/portal/logout"><button type="submit">{{ t.logout }}</button></form>
{% endblock %}"#;

const RUN: &str = r#"{% extends "layout.html" %}{% block body %}
<p><a href="/portal">&larr; {{ t.your_tasks }}</a></p>
<h1>{{ run.title }}</h1>
<ol>{% for step in run.steps %}
<li class="step {{ step.status }}{% if step.mine %} mine{% endif %}">{{ step.name }} – {{ t[step.status] }}{% if step.mine %} ({{ t.yours }}){% endif %}</li>
{% endfor %}</ol>
{% for step in run.steps %}{% if step.mine and step.status == "active" %}
<h2>{{ step.name }}</h2>
{% if step.due_at %}<p>{{ t.due }} {{ step.due_at[:10] }}</p>{% endif %}
{% if step.info_text %}<div class="info">{{ step.info_text }}</div>{% endif %}
{% if errors %}<ul class="error">{% for e in errors %}<li>{{ e.field }}: {{ e.message }}</li>{% endfor %}</ul>{% endif %}
{% if step.journey %}
<form method="post" action="/portal/runs/{{ run.run_id }}/steps/{{ step.key }}/submission">
{% for f in step.journey.fields %}{% set v = (step.submission or {})[f.key] %}
<label>{{ f.label }}{% if f.required %} *{% endif %}
{% if f.type == "select" %}<select name="{{ f.key }}"><option value=""></option>{% for o in f.options %}<option{% if v == o %} selected{% endif %}>{{ o }}</option>{% endfor %}</select>
{% elif f.type == "checkbox" %}<input type="checkbox" name="{{ f.key }}"{% if v %} checked{% endif %}>
{% elif f.type == "number" %}<input type="number" step="any" name="{{ f.key }}" value="{{ v if v is not none else '' }}">
{% elif f.type == "date" %}<input type="date" name="{{ f.key }}" value="{{ v or '' }}">
{% elif f.type == "email" %}<input type="email" name="{{ f.key }}" value="{{ v or '' }}">
{% else %}<input type="text" name="{{ f.key }}" value="{{ v or '' }}">{% endif %}</label>
{% endfor %}<button type="submit">{{ t.save }}</button></form>
{% endif %}
{% if step.can_set_due_date %}<form method="post" action="/portal/runs/{{ run.run_id }}/steps/{{ step.key }}/due-date">
<label>{{ t.appointment }}<input type="datetime-local" name="due_at" required></label><button type="submit">{{ t.save }}</button></form>{% endif %}
{% if step.can_complete %}<form method="post" action="/portal/runs/{{ run.run_id }}/steps/{{ step.key }}/complete"><button type="submit">{{ t.mark_done }}</button></form>{% endif %}
{% endif %}{% endfor %}
{% endblock %}"#;

const ERROR: &str = r#"{% extends "layout.html" %}{% block body %}
<h1>{{ title }}</h1><p class="error">{{ detail }}</p><p><a href="/portal">{{ t.your_tasks }}</a></p>
{% endblock %}"#;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("layout.html", LAYOUT),
            ("confirm.html", CONFIRM),
            ("tasks.html", TASKS),
            ("run.html", RUN),
            ("error.html", ERROR),
        ] {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(error = %e, name, "portal page template does not compile");
            }
        }
        env
    })
}

/// The page chrome in the participant's language.
fn strings(lang: Lang) -> Value {
    let s: [&str; 15] = match lang {
        Lang::De => [
            "Willkommen",
            "Bitte bestätigen Sie, um Ihre Aufgaben zu öffnen.",
            "Weiter",
            "Ihre Aufgaben",
            "Keine Aufgaben.",
            "fällig am",
            "Speichern",
            "Als erledigt markieren",
            "Ihre Aufgabe",
            "offen",
            "aktiv",
            "erledigt",
            "übersprungen",
            "Abmelden",
            "Termin (UTC) festlegen",
        ],
        Lang::En => [
            "Welcome",
            "Please confirm to open your tasks.",
            "Continue",
            "Your tasks",
            "No tasks.",
            "due",
            "Save",
            "Mark as done",
            "your task",
            "pending",
            "active",
            "done",
            "skipped",
            "Log out",
            "Set the appointment (UTC)",
        ],
        Lang::Fr => [
            "Bienvenue",
            "Veuillez confirmer pour ouvrir vos tâches.",
            "Continuer",
            "Vos tâches",
            "Aucune tâche.",
            "échéance",
            "Enregistrer",
            "Marquer comme terminé",
            "votre tâche",
            "en attente",
            "active",
            "terminée",
            "ignorée",
            "Se déconnecter",
            "Fixer le rendez-vous (UTC)",
        ],
        Lang::It => [
            "Benvenuto",
            "Confermi per aprire i Suoi compiti.",
            "Continua",
            "I Suoi compiti",
            "Nessun compito.",
            "scadenza",
            "Salva",
            "Segna come completato",
            "il Suo compito",
            "in attesa",
            "attivo",
            "completato",
            "saltato",
            "Esci",
            "Fissare l'appuntamento (UTC)",
        ],
    };
    let keys = [
        "welcome",
        "confirm_text",
        "continue",
        "your_tasks",
        "no_tasks",
        "due",
        "save",
        "mark_done",
        "yours",
        "pending",
        "active",
        "done",
        "skipped",
        "logout",
        "appointment",
    ];
    Value::Object(
        keys.iter()
            .zip(s)
            .map(|(k, v)| (k.to_string(), Value::String(v.into())))
            .collect(),
    )
}

fn page(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::Internal(format!("portal page {name}: {e}")).into_response(),
    }
}

/// Errors on HTML routes are HTML pages with the same status as the problem+json would have.
struct PageError(ApiError, Lang);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e, Lang::FALLBACK)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(err, lang) = self;
        if let ApiError::Internal(msg) = &err {
            tracing::error!(error = %msg, "internal error");
        }
        let problem = err.problem();
        let ctx = context! { lang => lang.code(), t => strings(lang), title => problem["title"], detail => problem["detail"] };
        page(err.status(), "error.html", ctx)
    }
}

async fn confirm_page(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    // Reading the link's row is harmless: only the POST below opens a session.
    let who = access::peek_access(s.table.as_ref(), &token).await?;
    let lang = Lang::resolve(who.as_ref().and_then(|p| p.locale), Some(s.config.default_locale));
    let ctx = context! {
        lang => lang.code(), t => strings(lang), title => "Portal", token => token, name => who.map(|p| p.name),
    };
    Ok(page(StatusCode::OK, "confirm.html", ctx))
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

async fn open_session(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let (session, _, _) = access::open_session(s.table.as_ref(), &token).await?;
    let set = session_cookie(&s, &session);
    Ok(([(header::SET_COOKIE, set)], Redirect::to("/portal")).into_response())
}

async fn task_page(State(s): State<AppState>, p: Result<Participant, ApiError>) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    let tasks = portal::tasks(&s, &p).await.map_err(|e| PageError(e, lang))?;
    let ctx =
        context! { lang => lang.code(), t => strings(lang), title => strings(lang)["your_tasks"], tasks => tasks };
    Ok(page(StatusCode::OK, "tasks.html", ctx))
}

async fn render_run(s: &AppState, p: &Participant, run_id: &str, errors: Option<Value>) -> Result<Response, PageError> {
    let lang = p.lang();
    let run = portal::load_run(s, p, run_id).await.map_err(|e| PageError(e, lang))?;
    let view = portal::run_view(p, &run);
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! { lang => lang.code(), t => strings(lang), title => view["title"].clone(), run => view, errors => errors };
    Ok(page(status, "run.html", ctx))
}

async fn run_page(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    Path(run_id): Path<String>,
) -> Result<Response, PageError> {
    render_run(&s, &p?, &run_id, None).await
}

/// Turns form fields into journey answers, typed by the step's journey.
fn answers(form: &Bytes, fields: &[crate::domain::journey::Field]) -> Map<String, Value> {
    use crate::domain::journey::FieldType;
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

async fn submit_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    Path((run_id, key)): Path<(String, String)>,
    form: Bytes,
) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    let run = portal::load_run(&s, &p, &run_id)
        .await
        .map_err(|e| PageError(e, lang))?;
    let fields = run
        .step(&key)
        .and_then(|st| st.journey.as_ref())
        .map(|j| j.fields.clone())
        .unwrap_or_default();
    match portal::submit_answers(&s, &p, &run_id, &key, answers(&form, &fields)).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/runs/{run_id}")).into_response()),
        Err(ApiError::Validation(errors)) => render_run(&s, &p, &run_id, Some(serde_json::json!(errors))).await,
        Err(e) => Err(PageError(e, lang)),
    }
}

async fn complete_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    Path((run_id, key)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    match portal::complete_step(&s, &p, &run_id, &key).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/runs/{run_id}")).into_response()),
        Err(ApiError::Validation(errors)) => render_run(&s, &p, &run_id, Some(serde_json::json!(errors))).await,
        Err(e) => Err(PageError(e, lang)),
    }
}

/// The appointment form: `due_at` as the browser's `datetime-local` value, taken as UTC.
async fn due_date_form(
    State(s): State<AppState>,
    p: Result<Participant, ApiError>,
    Path((run_id, key)): Path<(String, String)>,
    form: Bytes,
) -> Result<Response, PageError> {
    let p = p?;
    let lang = p.lang();
    let value = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "due_at")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let due_at = chrono::NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| PageError(ApiError::invalid("due_at", "must be a date and time"), lang))?;
    match portal::set_due_date(&s, &p, &run_id, &key, due_at).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/runs/{run_id}")).into_response()),
        Err(ApiError::Validation(errors)) => render_run(&s, &p, &run_id, Some(serde_json::json!(errors))).await,
        Err(e) => Err(PageError(e, lang)),
    }
}

async fn logout(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Result<Response, PageError> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(token) = portal::session_token(&parts) {
        access::close_session(s.table.as_ref(), &token).await?;
    }
    Ok(([(header::SET_COOKIE, cookie(&s, "", 0))], Redirect::to("/portal")).into_response())
}
