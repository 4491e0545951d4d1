//! The page staff links in local emails open: a read-only view of a run and its history.
//!
//! Local-server only. In AWS, staff links point at the back-office app (`APP_BASE_URL`), which
//! signs its users in. Here, on a developer's machine, the link must work when clicked, so
//! the page needs no token; local-server is a development tool serving loopback by default.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::run::Run;
use web::error::ApiError;
use web::pages::{render, PageError};
use web::AppState;

pub async fn run_page(State(s): State<AppState>, Path((tenant, run_id)): Path<(String, String)>) -> Response {
    let lang = s.config.default_locale;
    let page = async {
        if !web::auth::valid_tenant(&tenant) {
            return Err(ApiError::NotFound("run"));
        }
        let run: Run = app::repo::load(s.table.as_ref(), &tenant, &run_id).await?;
        let events = app::repo::history::<Run>(s.table.as_ref(), &tenant, &run_id).await?;
        let name = run.process_name.pick(lang, lang).to_string();
        let step_names: Vec<&str> = run.steps.iter().map(|st| st.name.pick(lang, lang)).collect();
        let ctx = serde_json::json!({"title": name, "process_name": name, "step_names": step_names, "run": run, "events": events});
        Ok(render(StatusCode::OK, "staff_run", lang, "", ctx))
    };
    match page.await {
        Ok(page) => page,
        Err(e) => PageError::new(e, lang).into_response(),
    }
}
