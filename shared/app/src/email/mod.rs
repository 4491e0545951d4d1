//! Email: the kinds, their built-in templates (files, see [`crate::templates`]), the one
//! renderer (minijinja, sandboxed, HTML auto-escaped, strict variables), the mailer port and
//! the notifier that turns events into emails.

pub mod bounces;
pub mod kinds;
pub mod mailer;
pub mod notify;
pub mod recipients;

use domain::i18n::Lang;
use domain::{into_result, DomainError, FieldError};
use serde::Serialize;
use serde_json::Value;

pub use crate::templates::Template;
pub use kinds::EmailKind;

use crate::templates;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{part}: {message}")]
pub struct RenderError {
    pub part: &'static str,
    pub message: String,
}

/// The built-in template of a kind in a language (its three files).
pub fn default_template(kind: EmailKind, lang: Lang) -> Option<Template> {
    let part = |suffix: &str| templates::file(&format!("email/{}/{}.{suffix}", kind.name(), lang.code()));
    Some(Template {
        subject: part("subject.txt")?.into(),
        text: part("text.txt")?.into(),
        html: part("html").map(str::to_string),
    })
}

/// Renders a template with `vars`. Any variable not in `vars` is an error (strict mode).
/// Templates may import `email/macros.html` / `email/macros.txt` and extend `email/layout.html`.
pub fn render(template: &Template, vars: &Value) -> Result<Rendered, RenderError> {
    let env = templates::emails();
    let part = |part: &'static str, name: &str, source: &str| {
        env.render_named_str(name, source, vars).map_err(|e| RenderError {
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

/// The variables of a kind, each with a harmless sample value (validation and previews).
pub fn sample_vars(kind: EmailKind) -> Value {
    Value::Object(
        kind.vars()
            .iter()
            .map(|v| (v.to_string(), Value::String(format!("[{v}]"))))
            .collect(),
    )
}

/// Checks a template a tenant wants to use: every part parses and uses only its kind's
/// variables, and it renders. Errors name the part (`subject`, `text`, `html`).
pub fn validate(kind: EmailKind, template: &Template) -> Result<(), DomainError> {
    let vars = kind.vars();
    let env = templates::emails();
    let mut errors = Vec::new();
    if template.subject.trim().is_empty() {
        errors.push(FieldError::required("subject"));
    }
    if template.text.trim().is_empty() {
        errors.push(FieldError::required("text"));
    }
    let parts = [
        ("subject", "subject.txt", Some(&template.subject)),
        ("text", "text.txt", Some(&template.text)),
        ("html", "body.html", template.html.as_ref()),
    ];
    for (part, name, source) in parts {
        let Some(source) = source else { continue };
        match env.template_from_named_str(name, source) {
            Err(e) => errors.push(FieldError::new(part, "syntax_error", format!("syntax error: {e}"))),
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
                        "unknown_variable",
                        format!("unknown variable {v}; this email knows {}", vars.join(", ")),
                    ));
                }
            }
        }
    }
    into_result(errors)?;
    // Some mistakes only show when rendering (a filter that fails on text, say).
    render(template, &sample_vars(kind))
        .map(|_| ())
        .map_err(|e| DomainError::invalid(e.part, "does_not_render", format!("does not render: {}", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_all_four_languages_and_renders_with_only_its_variables() {
        for &kind in EmailKind::ALL {
            assert!(kind.vars().contains(&"recipient_name") && kind.vars().contains(&"link"));
            for lang in Lang::ALL {
                let at = format!("{}/{}", kind.name(), lang.code());
                let t = default_template(kind, lang).unwrap_or_else(|| panic!("{at}: missing"));
                assert!(!t.subject.contains('\n'), "{at}: subject spans lines");
                let html = t.html.as_deref().unwrap_or_else(|| panic!("{at}: no html"));
                assert!(!html.replace(' ', "").contains("|safe"), "{at}: |safe");
                validate(kind, &t).unwrap_or_else(|e| panic!("{at}: {e:?}"));
                for value in ["[v]", ""] {
                    let vars = Value::Object(
                        kind.vars()
                            .iter()
                            .map(|v| (v.to_string(), Value::String(value.replace('v', v))))
                            .collect(),
                    );
                    let r = render(&t, &vars).unwrap_or_else(|e| panic!("{at}: {e}"));
                    assert!(!r.subject.is_empty() && !r.text.trim().is_empty(), "{at}");
                    let html = r.html.unwrap_or_default();
                    assert!(html.starts_with("<!doctype html>"), "{at}: html is not a document");
                    if !value.is_empty() {
                        assert!(html.contains(r#"<a href="[link]""#), "{at}: html has no link");
                        assert!(r.text.contains("[link]"), "{at}: text has no link");
                        assert!(html.contains(&format!(r#"<html lang="{}""#, lang.code())), "{at}: lang");
                    }
                }
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

    #[test]
    fn optional_parts_disappear_when_empty() {
        let t = default_template(EmailKind::OrderStepCompleted, Lang::En).unwrap();
        let mut vars = sample_vars(EmailKind::OrderStepCompleted);
        let with = render(&t, &vars).unwrap();
        assert!(with.text.contains("Next step: [next_step_name]"), "{}", with.text);
        vars["next_step_name"] = "".into();
        vars["next_step_explanation"] = "".into();
        let without = render(&t, &vars).unwrap();
        assert!(!without.text.contains("Next step"), "{}", without.text);
        assert!(!without.html.unwrap_or_default().contains("[next_step"));
    }

    #[test]
    fn tenant_templates_can_use_the_layout_and_macros() {
        let t = Template {
            subject: "Done".into(),
            text: "{% import \"email/macros.txt\" as m %}{{ m.sign_off(\"de\", tenant_name) }}".into(),
            html: Some(
                "{% extends \"email/layout.html\" %}{% block lang %}de{% endblock %}{% block body %}\
                 {% import \"email/macros.html\" as m %}{{ m.button(link, \"Öffnen\") }}{% endblock %}"
                    .into(),
            ),
        };
        validate(EmailKind::RunCompleted, &t).unwrap();
        let r = render(&t, &sample_vars(EmailKind::RunCompleted)).unwrap();
        assert!(r.text.contains("[tenant_name]"), "{}", r.text);
        assert!(r.html.unwrap().contains(r#"<a href="[link]""#));
    }
}
