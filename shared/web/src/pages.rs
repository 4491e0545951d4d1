//! The HTML pages' one renderer: templates from `app::templates::pages()` (built once, one
//! layout), UI strings from the language's catalog (`t`), and errors as pages with the same
//! status the problem+json would have.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::i18n::Lang;
use serde_json::{json, Value};

use crate::error::ApiError;

/// Renders `pages/{name}.html` with `ctx` (an object) plus `lang`, `t` (the catalog) and
/// `title` (a catalog key's text, or `title` from `ctx`).
pub fn render(status: StatusCode, name: &str, lang: Lang, title_key: &str, ctx: Value) -> Response {
    let t = app::templates::catalog(lang);
    let mut ctx = match ctx {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    ctx.entry("title")
        .or_insert_with(|| t.get(title_key).cloned().unwrap_or_default());
    ctx.insert("lang".into(), json!(lang.code()));
    ctx.insert("t".into(), Value::Object(t.clone()));
    let template = format!("pages/{name}.html");
    match app::templates::pages()
        .get_template(&template)
        .and_then(|t| t.render(&ctx))
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::Internal(format!("page {template}: {e}")).into_response(),
    }
}

/// An error on an HTML route: a page in the reader's language, with the problem's status.
pub struct PageError(pub ApiError, pub Lang);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into(), Lang::FALLBACK)
    }
}

impl PageError {
    /// The error as `page` (`error` or `invitation_error`) renders it.
    pub fn render(self, page: &str) -> Response {
        let PageError(err, lang) = self;
        if let ApiError::Internal(msg) | ApiError::Unavailable(msg) = &err {
            tracing::error!(error = %msg, "page failed");
        }
        let problem = err.problem();
        let ctx = json!({"title": problem.title, "detail": problem.detail});
        let mut response = render(err.status(), page, lang, "", ctx);
        err.add_headers(&mut response);
        response
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.render("error")
    }
}
