//! The embedded template files (`shared/app/templates/`, see `build.rs`) and the one builder of
//! minijinja environments: HTML auto-escaped by name (`.html`), sandboxed, with fuel so that a
//! tenant's template that never ends runs out instead. Emails render strictly (an unknown
//! variable is an error); pages leniently (their views leave absent fields out).

use std::sync::OnceLock;

use domain::i18n::Lang;
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// An email template's three parts (built-in, or a tenant's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// Instructions a template may spend when rendered (ours need a few hundred).
const TEMPLATE_FUEL: u64 = 50_000;

/// An embedded file by its name under `templates/` (`email/run_completed/de.html`).
pub fn file(name: &str) -> Option<&'static str> {
    embedded::FILES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

fn build(undefined: UndefinedBehavior) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(undefined);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.set_loader(|name| Ok(file(name).map(str::to_string)));
    env
}

/// The emails' environment: the layout and macros of `email/`, strict variables.
pub fn emails() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| build(UndefinedBehavior::Strict))
}

/// The pages' environment: `pages/`, one layout, lenient about absent fields.
pub fn pages() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| build(UndefinedBehavior::Lenient))
}

/// The pages' UI strings in a language (`templates/i18n/{lang}.json`), keyed by name.
pub fn catalog(lang: Lang) -> &'static Map<String, Value> {
    static CATALOGS: OnceLock<Vec<(Lang, Map<String, Value>)>> = OnceLock::new();
    let all = CATALOGS.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|l| {
                let text = file(&format!("i18n/{}.json", l.code())).unwrap_or("{}");
                let map = serde_json::from_str(text).unwrap_or_else(|e| {
                    tracing::error!(error = %e, lang = l.code(), "UI catalog does not parse");
                    Map::new()
                });
                (*l, map)
            })
            .collect()
    });
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    all.iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, m)| m)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys_in_every_language() {
        let keys = |l: Lang| catalog(l).keys().cloned().collect::<Vec<_>>();
        assert!(!keys(Lang::De).is_empty());
        for l in Lang::ALL {
            assert_eq!(keys(l), keys(Lang::De), "{l:?}");
        }
    }

    #[test]
    fn every_page_compiles() {
        for (name, _) in embedded::FILES.iter().filter(|(n, _)| n.starts_with("pages/")) {
            pages().get_template(name).unwrap();
        }
    }
}
