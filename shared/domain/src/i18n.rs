//! Languages and texts that exist per language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
    Fr,
    It,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::De, Lang::En, Lang::Fr, Lang::It];
    /// The language of last resort.
    pub const FALLBACK: Lang = Lang::De;

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::It => "it",
        }
    }

    /// Parses `de`, `en`, `fr`, `it`, also with a region (`fr-CH`), case-insensitively.
    pub fn parse(s: &str) -> Option<Lang> {
        let head = s.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == head)
    }

    /// The first language of an `Accept-Language` header we speak, by its weights
    /// (`fr-CH, fr;q=0.9, en;q=0.8`); `None` when it names none of ours.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?.trim())?;
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|(_, _, l)| *l)
    }

    /// The recipient's language, else the tenant's default, else German.
    pub fn resolve(preferred: Option<Lang>, tenant_default: Option<Lang>) -> Lang {
        preferred.or(tenant_default).unwrap_or(Lang::FALLBACK)
    }
}

/// A text per language, with at least one language.
pub type I18n = BTreeMap<Lang, String>;

/// Which language of a per-language map to show: `lang`, else the tenant's default, else
/// German, else any language present.
pub fn pick_lang<T>(map: &BTreeMap<Lang, T>, lang: Lang, tenant_default: Lang) -> Option<Lang> {
    [lang, tenant_default, Lang::FALLBACK]
        .into_iter()
        .find(|l| map.contains_key(l))
        .or_else(|| map.keys().next().copied())
}

/// The text in `lang`, else in the tenant's default language, else German, else any.
pub fn pick_in(text: &I18n, lang: Lang, tenant_default: Lang) -> Option<&str> {
    pick_lang(text, lang, tenant_default)
        .and_then(|l| text.get(&l))
        .map(String::as_str)
}

/// The text in `lang`, else in German, else in any language present.
pub fn pick(text: &I18n, lang: Lang) -> Option<&str> {
    pick_in(text, lang, Lang::FALLBACK)
}

/// Checks that an I18n text has at least one non-blank language.
pub fn validate(text: &I18n, field: &str, errors: &mut Vec<FieldError>) {
    if text.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "needs a text in at least one of de, en, fr, it",
        ));
    }
    for (lang, value) in text {
        if value.trim().is_empty() {
            errors.push(FieldError::new(
                format!("{field}.{}", lang.code()),
                "required",
                "must not be blank",
            ));
        }
    }
}

/// A text users read (process, step and journey names, option labels): per language, or a
/// plain string, which means the tenant's default language. Plain strings are kept as sent
/// (responses echo what clients wrote) and read as the default language's text, which is also
/// what every other language falls back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Langs(I18n),
}

impl Default for Text {
    fn default() -> Self {
        Text::Plain(String::new())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_string())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Plain(s)
    }
}

impl From<I18n> for Text {
    fn from(t: I18n) -> Self {
        Text::Langs(t)
    }
}

impl Text {
    /// The text in `lang`, else the tenant's default language, else German, else any.
    pub fn pick(&self, lang: Lang, tenant_default: Lang) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Langs(t) => pick_in(t, lang, tenant_default).unwrap_or_default(),
        }
    }

    /// Whether the text exists in `lang` (a plain string exists in the default language only).
    pub fn has(&self, lang: Lang, tenant_default: Lang) -> bool {
        match self {
            Text::Plain(_) => lang == tenant_default,
            Text::Langs(t) => t.get(&lang).is_some_and(|s| !s.trim().is_empty()),
        }
    }

    /// The same text with surrounding blanks removed in every language.
    pub fn trimmed(&self) -> Text {
        match self {
            Text::Plain(s) => Text::Plain(s.trim().to_string()),
            Text::Langs(t) => Text::Langs(t.iter().map(|(l, s)| (*l, s.trim().to_string())).collect()),
        }
    }

    /// Checks that the text is there (at least one non-blank language) and at most `max`
    /// characters in every language.
    pub fn validate(&self, field: &str, max: usize, errors: &mut Vec<FieldError>) {
        match self {
            Text::Plain(s) => crate::require_text(s, field, max, errors),
            Text::Langs(t) => {
                validate(t, field, errors);
                if t.values().any(|s| s.chars().count() > max) {
                    errors.push(FieldError::too_long(field, max));
                }
            }
        }
    }
}

/// Where each language lacks texts: `lang → [field paths]`, languages with nothing missing left out.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Missing(pub BTreeMap<Lang, Vec<String>>);

impl Missing {
    /// Notes `path` under every language `text` lacks.
    pub fn check(&mut self, text: &Text, path: &str, tenant_default: Lang) {
        for lang in Lang::ALL {
            if !text.has(lang, tenant_default) {
                self.0.entry(lang).or_default().push(path.to_string());
            }
        }
    }

    /// What one language lacks.
    pub fn of(&self, lang: Lang) -> &[String] {
        self.0.get(&lang).map(Vec::as_slice).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_heaviest_language_we_speak() {
        assert_eq!(Lang::from_accept_language("fr-CH, fr;q=0.9, en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language("es, it;q=0.5, de;q=0.7"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("en;q=0, it"), Some(Lang::It));
        assert_eq!(Lang::from_accept_language("es, *"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn parses_and_falls_back() {
        assert_eq!(Lang::parse("fr-CH"), Some(Lang::Fr));
        assert_eq!(Lang::parse("es"), None);
        assert_eq!(Lang::resolve(None, Some(Lang::It)), Lang::It);
        assert_eq!(Lang::resolve(None, None), Lang::De);
        let text = I18n::from([(Lang::En, "Hello".to_string())]);
        assert_eq!(pick(&text, Lang::Fr), Some("Hello"));
        let text = I18n::from([(Lang::En, "Hello".to_string()), (Lang::De, "Hallo".to_string())]);
        assert_eq!(pick(&text, Lang::Fr), Some("Hallo"));
    }

    #[test]
    fn a_plain_text_is_the_default_language() {
        let plain: Text = serde_json::from_str("\"Zähler tauschen\"").unwrap();
        assert_eq!(plain.pick(Lang::Fr, Lang::De), "Zähler tauschen");
        assert!(plain.has(Lang::De, Lang::De) && !plain.has(Lang::Fr, Lang::De));
        let langs: Text = serde_json::from_str(r#"{"de":"Zähler","fr":"Compteur"}"#).unwrap();
        assert_eq!(langs.pick(Lang::Fr, Lang::De), "Compteur");
        assert_eq!(langs.pick(Lang::It, Lang::Fr), "Compteur");
        assert_eq!(langs.pick(Lang::It, Lang::En), "Zähler");
        let mut missing = Missing::default();
        missing.check(&langs, "name", Lang::De);
        missing.check(&plain, "steps[0].name", Lang::De);
        assert_eq!(missing.of(Lang::It), ["name", "steps[0].name"]);
        assert_eq!(missing.of(Lang::Fr), ["steps[0].name"]);
        assert!(missing.of(Lang::De).is_empty());
        let mut errors = Vec::new();
        Text::Langs(I18n::new()).validate("name", 10, &mut errors);
        Text::from("x".repeat(11)).validate("other", 10, &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "other"]);
    }
}
