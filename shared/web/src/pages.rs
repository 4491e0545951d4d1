//! The HTML pages' one renderer: templates from `app::templates::pages()` (built once, one
//! layout), UI strings from the language's catalog (`t`), and errors as pages with the same
//! status the problem+json would have.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::i18n::Lang;
use serde_json::{json, Value};

use crate::error::ApiError;

/// The utility as its pages show it: name, logo, colour, support contact; and the time zone
/// its dates are read in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Brand {
    /// The tenant: pages that lead on (the new-link form) keep whose portal they are in.
    pub id: String,
    pub name: String,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    #[serde(skip)]
    pub tz: chrono_tz::Tz,
}

impl Brand {
    pub fn of(settings: &app::repo::settings::Settings, tenant: &str) -> Brand {
        Brand {
            id: tenant.to_string(),
            name: settings.name.clone().unwrap_or_else(|| tenant.to_string()),
            logo_url: settings.logo_url.clone(),
            primary_color: settings.primary_color.clone(),
            support_email: settings.support_email.clone(),
            support_phone: settings.support_phone.clone(),
            tz: settings.tz(),
        }
    }
}

/// Renders `pages/{name}.html` with `ctx` (an object) plus `lang`, `t` (the catalog) and
/// `title` (a catalog key's text, or `title` from `ctx`).
pub fn render(status: StatusCode, name: &str, lang: Lang, title_key: &str, ctx: Value) -> Response {
    render_for(None, status, name, lang, title_key, ctx)
}

/// [`render`] for a utility's participant: its header, colour and support contact. The
/// page's Content-Security-Policy allows exactly its own style block (the colour is in it).
pub fn render_for(
    brand: Option<&Brand>,
    status: StatusCode,
    name: &str,
    lang: Lang,
    title_key: &str,
    ctx: Value,
) -> Response {
    let t = app::templates::catalog(lang);
    let mut ctx = match ctx {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    ctx.entry("title")
        .or_insert_with(|| t.get(title_key).cloned().unwrap_or_default());
    ctx.insert("lang".into(), json!(lang.code()));
    ctx.insert("t".into(), Value::Object(t.clone()));
    if let Some(b) = brand {
        ctx.insert("brand".into(), json!(b));
    }
    let template = format!("pages/{name}.html");
    match app::templates::pages()
        .get_template(&template)
        .and_then(|t| t.render(&ctx))
    {
        Ok(html) => {
            // An upload form sends to the file store (its origin, from `form_origin`).
            let target = ctx.get("form_origin").and_then(Value::as_str);
            let csp = crate::guard::policy_with_form_target(&html, target);
            let mut response = (status, Html(html)).into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
            }
            response
        }
        Err(e) => ApiError::Internal(format!("page {template}: {e}")).into_response(),
    }
}

/// An error on an HTML route: a page in the reader's language, with the problem's status,
/// under the utility's header and with its support contact where the utility is known.
pub struct PageError {
    pub err: ApiError,
    pub lang: Lang,
    pub brand: Option<Brand>,
}

impl<E: Into<ApiError>> From<E> for PageError {
    /// An error before the reader is known: in the browser's language.
    fn from(e: E) -> Self {
        PageError::new(e.into(), crate::guard::request_lang().unwrap_or(Lang::FALLBACK))
    }
}

impl PageError {
    pub fn new(err: ApiError, lang: Lang) -> Self {
        PageError { err, lang, brand: None }
    }

    /// The error under the utility's header, with its support contact.
    pub fn branded(mut self, brand: Option<Brand>) -> Self {
        self.brand = brand;
        self
    }

    /// The error as `page` (`error` or `invitation_error`) renders it.
    pub fn render(self, page: &str) -> Response {
        let PageError { err, lang, brand } = self;
        if let ApiError::Internal(msg) | ApiError::Unavailable(msg) = &err {
            tracing::error!(error = %msg, "page failed");
        }
        let problem = err.problem();
        // The reader's words for what happened (by status), and the way forward.
        let t = app::templates::catalog(lang);
        let status = err.status().as_u16();
        let said = |part: &str| {
            [format!("{page}_{status}_{part}"), format!("page_error_{status}_{part}")]
                .iter()
                .find_map(|k| t.get(k).and_then(serde_json::Value::as_str))
                .map(str::to_string)
        };
        let title = said("title").unwrap_or(problem.title);
        let detail = said("text").unwrap_or(problem.detail);
        let ctx = json!({"title": title, "detail": detail, "status": err.status().as_u16()});
        let mut response = render_for(brand.as_ref(), err.status(), page, lang, "", ctx);
        err.add_headers(&mut response);
        response
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.render("error")
    }
}
