//! Email: the one renderer (minijinja, sandboxed, HTML auto-escaped, strict variables), the
//! mailers (SES v2 in AWS, `.eml` files locally) and the notifier that turns events into
//! emails.

pub mod defaults;
pub mod defaults_orders;
pub mod mailer;
pub mod notify;
pub mod notify_orders;

use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::i18n::Lang;

/// A template's three parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("unknown email kind {0}")]
    UnknownKind(String),
    #[error("{part}: {message}")]
    Template { part: &'static str, message: String },
}

/// The built-in template of a kind in a language.
pub fn default_template(kind: &str, lang: Lang) -> Option<Template> {
    defaults::find(kind, lang).map(|d| Template {
        subject: d.subject.into(),
        text: d.text.into(),
        html: Some(d.html.into()),
    })
}

/// Instructions a template may spend when rendered (ours need a few hundred).
const TEMPLATE_FUEL: u64 = 50_000;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Tenants write templates: a loop that never ends runs out of fuel instead.
    env.set_fuel(Some(TEMPLATE_FUEL));

    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env
}

/// Renders a template with `vars`. Any variable not in `vars` is an error (strict mode).
pub fn render(template: &Template, vars: &Value) -> Result<Rendered, RenderError> {
    let env = environment();
    let part = |part: &'static str, name: &str, source: &str| {
        env.render_named_str(name, source, vars)
            .map_err(|e| RenderError::Template {
                part,
                message: e.to_string(),
            })
    };
    let subject = part("subject", "subject.txt", &template.subject)?;
    let text = part("text", "text.txt", &template.text)?;
    // Every email has an HTML part: a template without one gets its text, escaped.
    let html = match template.html.as_deref() {
        Some(h) => part("html", "body.html", h)?,
        None => text_as_html(&text),
    };
    Ok(Rendered {
        subject: subject.lines().next().unwrap_or_default().trim().to_string(),
        text,
        html: Some(html),
    })
}

/// Plain text as a minimal HTML document: escaped, paragraphs kept, line breaks kept.
fn text_as_html(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.trim().replace('\n', "<br>\n")))
        .collect();
    format!(
        "<!doctype html>\n<html><body>\n{}\n</body></html>",
        paragraphs.join("\n")
    )
}

/// Every email kind with the variables its templates may use.
pub fn kinds() -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    defaults::KINDS.iter().chain(defaults_orders::ORDER_KINDS).copied()
}

/// The variables of a kind.
pub fn kind_vars(kind: &str) -> Option<&'static [&'static str]> {
    kinds().find(|(k, _)| *k == kind).map(|(_, v)| v)
}

/// The variables of a kind, each with a harmless sample value (validation and previews).
pub fn sample_vars(kind: &str) -> Result<Value, RenderError> {
    let vars = kind_vars(kind).ok_or_else(|| RenderError::UnknownKind(kind.into()))?;
    Ok(Value::Object(
        vars.iter()
            .map(|v| (v.to_string(), Value::String(format!("[{v}]"))))
            .collect(),
    ))
}

/// Checks a template a tenant wants to use: every part parses and uses only its kind's
/// variables. Errors name the part (`subject`, `text`, `html`).
pub fn validate(kind: &str, template: &Template) -> Result<(), crate::error::ApiError> {
    use crate::error::{ApiError, FieldError};
    let vars = kind_vars(kind).ok_or(ApiError::NotFound("email kind"))?;
    let env = environment();
    let mut errors = Vec::new();
    if template.subject.trim().is_empty() {
        errors.push(FieldError::new("subject", "is required"));
    }
    if template.text.trim().is_empty() {
        errors.push(FieldError::new("text", "is required"));
    }
    let parts = [
        ("subject", "subject.txt", Some(&template.subject)),
        ("text", "text.txt", Some(&template.text)),
        ("html", "body.html", template.html.as_ref()),
    ];
    for (part, name, source) in parts {
        let Some(source) = source else { continue };
        match env.template_from_named_str(name, source) {
            Err(e) => errors.push(FieldError::new(part, format!("syntax error: {e}"))),
            Ok(t) => {
                let mut unknown: Vec<String> = t
                    .undeclared_variables(false)
                    .into_iter()
                    .filter(|v| !vars.contains(&v.as_str()))
                    .collect();
                unknown.sort();
                for v in unknown {
                    errors.push(FieldError::new(
                        part,
                        format!("unknown variable {v}; this email knows {}", vars.join(", ")),
                    ));
                }
            }
        }
    }
    crate::domain::into_result(errors)?;
    // Some mistakes only show when rendering (a filter that fails on text, say).
    let samples = sample_vars(kind).map_err(|e| ApiError::Internal(e.to_string()))?;
    render(template, &samples).map(|_| ()).map_err(|e| match e {
        RenderError::Template { part, message } => {
            ApiError::Validation(vec![FieldError::new(part, format!("does not render: {message}"))])
        }
        other => ApiError::Internal(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_renders_with_its_variables() {
        for (kind, _) in kinds() {
            for lang in Lang::ALL {
                let t = default_template(kind, lang).unwrap();
                let r = render(&t, &sample_vars(kind).unwrap()).unwrap();
                assert!(!r.subject.is_empty() && !r.text.is_empty(), "{kind} {lang:?}");
            }
        }
    }

    #[test]
    fn html_is_escaped_and_unknown_variables_fail() {
        let t = Template {
            subject: "Hi {{ name }}".into(),
            text: "{{ name }}".into(),
            html: Some("<p>{{ name }}</p>".into()),
        };
        let r = render(&t, &serde_json::json!({"name": "<b>x</b>"})).unwrap();
        let text_only = Template {
            html: None,
            ..t.clone()
        };
        let html = render(&text_only, &serde_json::json!({"name": "<b>x</b>"}))
            .unwrap()
            .html
            .unwrap();
        assert!(html.contains("<p>&lt;b&gt;x&lt;/b&gt;</p>"), "{html}");
        assert_eq!(r.text, "<b>x</b>");
        assert_eq!(r.html.unwrap(), "<p>&lt;b&gt;x&lt;&#x2f;b&gt;</p>");
        assert!(render(&t, &serde_json::json!({})).is_err());
    }
}
