//! The page staff links in local emails open: a read-only view of a run and its history.
//!
//! Local-server only. In AWS, staff links point at the back-office app (`APP_BASE_URL`), which
//! signs its users in. Here, on a developer's machine, the link must work when clicked, so
//! the page needs no token; local-server is a development tool serving loopback by default.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Environment};
use shared::api::AppState;
use shared::error::ApiError;
use shared::repo::runs;

const PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>{{ run.process_name }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}td,th{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}</style></head><body>
<p><small>local-server: read-only run page (in AWS, staff links open the back-office app)</small></p>
<h1>{{ run.context.title or run.process_name }}</h1>
<p>{{ run.process_name }} · {{ run.status }}{% if run.test %} · TEST{% endif %}{% if run.cancel_reason %} · {{ run.cancel_reason }}{% endif %}</p>
<table><tr><th>Step</th><th>Assignee</th><th>Status</th><th>Due</th><th>Done by</th></tr>
{% for s in run.steps %}<tr><td>{{ s.name }}</td><td>{{ s.assignee.kind }}</td><td>{{ s.status }}</td><td>{{ (s.due_at or "")[:10] }}</td><td>{{ s.completed_by.name or s.completed_by.id if s.completed_by else "" }}</td></tr>
{% endfor %}</table>
<h2>History</h2><ul>{% for e in events %}<li>{{ e.at[:19] }} {{ e.type }} ({{ e.actor.kind }} {{ e.actor.name or e.actor.id }})</li>{% endfor %}</ul>
</body></html>"#;

pub async fn run_page(State(s): State<AppState>, Path((tenant, run_id)): Path<(String, String)>) -> Response {
    let page = async {
        if !shared::auth::valid_tenant(&tenant) {
            return Err(ApiError::NotFound("run"));
        }
        let run = runs::get_run(s.table.as_ref(), &tenant, &run_id).await?;
        let events = runs::history(s.table.as_ref(), &tenant, &run_id).await?;
        Environment::new()
            .render_named_str("run.html", PAGE, context! { run => run, events => events })
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    match page.await {
        Ok(html) => (StatusCode::OK, Html(html)).into_response(),
        Err(e) => e.into_response(),
    }
}
