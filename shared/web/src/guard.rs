//! What every response and every page form gets, in one middleware ([`guard`], installed by
//! [`crate::finish`] for every host):
//! - security headers: a Content-Security-Policy that allows no script at all (pages set
//!   their own, allowing exactly their style block, and the upload page its one script, by
//!   hash: [`policy_for`]), no framing,
//!   `nosniff`, and no referrer (access and invitation tokens travel in URLs);
//! - cross-site form posts refused: a POST to a page route (`/portal/…`, `/partners/…`) whose
//!   `Origin` is not the host it was sent to, or that the browser marks `Sec-Fetch-Site:
//!   cross-site`/`same-site`, is a 403 page, before any handler runs. (The session cookie is
//!   also `SameSite=Lax`; the JSON API takes bearer tokens, which no other site can send.)

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use domain::i18n::Lang;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The policy of a page: nothing by default; its own style block by hash; images from the
/// portal and from https (a tenant's logo); forms only to the portal itself (and to
/// `form_origin`: the file store an upload form sends to).
pub fn policy_for(html: &str) -> String {
    policy_with_form_target(html, None)
}

///
/// A page with a `<script>` block (the upload page's, which sends files itself) gets exactly
/// that script by its hash, and may connect to the portal and to `form_origin`.
pub fn policy_with_form_target(html: &str, form_origin: Option<&str>) -> String {
    let block_hash = |tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = html.find(&open)? + open.len();
        let body = &html[start..start + html[start..].find(&close)?];
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        Some(format!(" 'sha256-{hash}'"))
    };
    let style = block_hash("style").unwrap_or_else(|| " 'none'".into());
    let target = form_origin.map(|o| format!(" {o}")).unwrap_or_default();
    let script = block_hash("script")
        .map(|hash| format!("script-src{hash}; connect-src 'self'{target}; "))
        .unwrap_or_default();
    format!(
        "default-src 'none'; {script}style-src{style}; img-src 'self' https: data:; form-action 'self'{target}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What every other response gets: nothing may load or frame it.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn add_security_headers(headers: &mut HeaderMap) {
    // A page set its own policy (for its style block); everything else gets the strictest.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(NOTHING));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// The routes whose POSTs are browser forms.
fn is_page_form(method: &Method, path: &str) -> bool {
    method == Method::POST && (path.starts_with("/portal/") || path.starts_with("/partners/"))
}

/// Whether a form POST came from a page of this very host (or from no browser at all). The
/// browser's `Sec-Fetch-Site` decides where it is sent: our `no-referrer` policy makes
/// browsers send `Origin: null` on form posts, so the origin only counts where that header is
/// missing (older browsers), and a bare `null` origin is refused.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match get("origin") {
        Some("null") => false,
        Some(origin) => {
            let host = get("host").unwrap_or_default();
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
        None => true,
    }
}

tokio::task_local! {
    /// The language the browser asked for, while its request is handled (error pages that
    /// know no participant speak it).
    static BROWSER_LANG: Option<Lang>;
}

/// The current request's browser language, if it stated one we speak.
pub fn request_lang() -> Option<Lang> {
    BROWSER_LANG.try_with(|l| *l).ok().flatten()
}

/// The reader's language as the browser states it.
pub fn browser_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
}

pub async fn guard(req: Request, next: Next) -> Response {
    let mut response = if is_page_form(req.method(), req.uri().path()) && !same_origin(req.headers()) {
        let lang = browser_lang(req.headers()).unwrap_or(Lang::FALLBACK);
        let t = app::templates::catalog(lang);
        let text = |k: &str| t.get(k).cloned().unwrap_or_default();
        let ctx = json!({"title": text("foreign_form_title"), "detail": text("foreign_form_text")});
        crate::pages::render(StatusCode::FORBIDDEN, "error", lang, "", ctx)
    } else {
        let lang = browser_lang(req.headers());
        BROWSER_LANG.scope(lang, next.run(req)).await
    };
    add_security_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn forms_from_other_sites_are_refused() {
        assert!(same_origin(&headers(&[
            ("host", "portal.example"),
            ("origin", "https://portal.example")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "portal.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "portal.example"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "portal.example"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "portal.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(
            same_origin(&headers(&[("host", "portal.example")])),
            "no browser, no cookie to abuse"
        );
    }

    #[test]
    fn a_page_policy_allows_its_style_and_no_script() {
        let csp = policy_for("<html><style>a{color:red}</style><body></body></html>");
        // sha256 of `a{color:red}`, base64.
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"a{color:red}"));
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(!csp.contains("script-src") && csp.starts_with("default-src 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_page_with_a_script_allows_exactly_it_and_connects_to_its_file_store() {
        let html = "<html><style>a{}</style><body><script>go()</script></body></html>";
        let csp = policy_with_form_target(html, Some("https://files.example"));
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"go()"));
        assert!(csp.contains(&format!("script-src 'sha256-{hash}';")), "{csp}");
        assert!(csp.contains("connect-src 'self' https://files.example;"), "{csp}");
        assert!(csp.contains("form-action 'self' https://files.example;"), "{csp}");
        assert!(policy_for("<p>no style</p>").contains("style-src 'none'"));
    }
}
