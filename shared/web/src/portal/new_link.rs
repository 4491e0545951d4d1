//! "Send me a new link": the page with the form (also part of every dead-end page), and its
//! POST. Whoever asks gets the same answer; the link goes only to the address itself, and
//! only where it has open tasks ([`app::repo::new_link`]).

use app::repo::limits::{take, NEW_LINKS_PER_CLIENT};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::i18n::Lang;
use serde_json::json;

use super::html::{branded, remembered};
use super::participant::ClientAddr;
use crate::error::ApiError;
use crate::extract::{ApiQuery, FormBody};
use crate::pages::{render_for, Brand, PageError};
use crate::{AppState, Routes};

pub(super) fn routes() -> Routes {
    Routes::default().route("/portal/new-link", get(new_link_page).post(ask_for_new_link))
}

/// What the page shows besides the form.
#[derive(Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewLinkQuery {
    /// `1` after a request: "please check your inbox" (whatever the address).
    sent: Option<String>,
    /// The utility whose portal the page belongs to (its header and support contact), else
    /// the one this browser last used.
    utility: Option<String>,
}

fn reader() -> Lang {
    crate::guard::request_lang().unwrap_or(Lang::FALLBACK)
}

/// The form, or (`?sent=1`) what happens now.
#[utoipa::path(get, path = "/portal/new-link", tag = "pages", security(()), params(NewLinkQuery),
    responses((status = 200, description = "The page, in the browser's language", content_type = "text/html", body = String)))]
async fn new_link_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Result<ApiQuery<NewLinkQuery>, ApiError>,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    let sent = q.sent.is_some();
    let title = if sent { "new_link_sent_title" } else { "new_link_title" };
    let brand = brand_of(&s, &headers, q.utility).await;
    render_for(
        brand.as_ref(),
        StatusCode::OK,
        "new_link",
        reader(),
        title,
        json!({"sent": sent, "standalone": true}),
    )
}

/// The utility the page belongs to: the one named (a dead end's form or redirect), else the
/// one this browser last used.
async fn brand_of(s: &AppState, headers: &HeaderMap, utility: Option<String>) -> Option<Brand> {
    match utility {
        Some(u) => branded(s, &u).await,
        None => remembered(s, headers).await,
    }
}

/// Asks for a new link for an address: a valid address always leads to `?sent=1`.
#[utoipa::path(post, path = "/portal/new-link", tag = "pages", security(()),
    request_body(content = HashMap<String, String>, content_type = "application/x-www-form-urlencoded", description = "`email`: the address the tasks were sent to"),
    responses((status = 303, description = "To the page that says to check the inbox, whether or not the address is known", headers(("Location" = String))),
        (status = 422, description = "The form again: the address is missing or not one", content_type = "text/html", body = String),
        (status = 429, description = "Too many requests from this client", content_type = "text/html", body = String,
            headers(("Retry-After" = u64, description = "Seconds until another try may succeed")))))]
async fn ask_for_new_link(
    State(s): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    FormBody(form): FormBody,
) -> Result<Response, PageError> {
    let lang = reader();
    let now = s.config.clock.now();
    let field = |name: &str| {
        form_urlencoded::parse(&form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let brand = brand_of(&s, &headers, field("utility")).await;
    if let Err(e) = take(s.table.as_ref(), NEW_LINKS_PER_CLIENT, &client.0, now).await {
        return Err(PageError::new(e.into(), lang).branded(brand));
    }
    let email = field("email").unwrap_or_default();
    let code = if email.is_empty() {
        Some("required")
    } else if !domain::valid_email(&email) {
        Some("invalid_email")
    } else {
        None
    };
    if let Some(code) = code {
        let t = app::templates::catalog(lang);
        let error = t.get(&format!("err_{code}")).cloned().unwrap_or_default();
        // What was typed comes back as typed, but never more than the field holds.
        let typed: String = email.chars().take(254).collect();
        let ctx = json!({"standalone": true, "new_link": {"email": typed, "error": error}});
        return Ok(render_for(
            brand.as_ref(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "new_link",
            lang,
            "new_link_title",
            ctx,
        ));
    }
    let sent = match app::repo::new_link::request(s.table.as_ref(), &email, now).await {
        Ok(n) => n,
        Err(e) => return Err(PageError::new(e.into(), lang).branded(brand)),
    };
    tracing::info!(utilities = sent, "new link requested");
    // The utility's id is letters, digits, `-` and `_` (else there is no brand): safe in a URL.
    let to = match &brand {
        Some(b) => format!("/portal/new-link?sent=1&utility={}", b.id),
        None => "/portal/new-link?sent=1".to_string(),
    };
    Ok(Redirect::to(&to).into_response())
}
