//! Journeys: the forms attached to steps, and the validation of what participants submit.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{into_result, require_key, require_text, valid_email};
use crate::error::{DomainError, FieldError};
use crate::i18n::{Lang, Missing, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Email,
    Select,
    Checkbox,
    File,
}

/// One option of a select: a plain string (its value, and its label in the tenant's default
/// language) or a value with a label per language. Answers hold the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Choice {
    Plain(String),
    Labeled { value: String, label: Text },
}

impl From<&str> for Choice {
    fn from(s: &str) -> Self {
        Choice::Plain(s.to_string())
    }
}

impl Choice {
    pub fn value(&self) -> &str {
        match self {
            Choice::Plain(v) | Choice::Labeled { value: v, .. } => v,
        }
    }

    pub fn label(&self, lang: Lang, tenant_default: Lang) -> &str {
        match self {
            Choice::Plain(v) => v,
            Choice::Labeled { label, .. } => label.pick(lang, tenant_default),
        }
    }

    fn text(&self) -> Text {
        match self {
            Choice::Plain(v) => Text::Plain(v.clone()),
            Choice::Labeled { label, .. } => label.clone(),
        }
    }
}

/// An option with its label in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocalizedChoice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Field {
    pub key: String,
    pub label: Text,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Choice>>,
}

/// A field with its label in the reader's language (journeys in the portal, questionnaires
/// in the app).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocalizedField {
    pub key: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    /// The values of a select's options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// A select's options with their labels in the reader's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<LocalizedChoice>>,
}

impl Field {
    /// The field in `lang`, else the tenant's default language, else German, else any.
    pub fn localized(&self, lang: Lang, tenant_default: Lang) -> LocalizedField {
        let label = self.label.pick(lang, tenant_default);
        LocalizedField {
            key: self.key.clone(),
            label: (!label.is_empty()).then(|| label.to_string()),
            kind: self.kind,
            required: self.required,
            options: self
                .options
                .as_ref()
                .map(|o| o.iter().map(|c| c.value().to_string()).collect()),
            choices: self.options.as_ref().map(|o| {
                o.iter()
                    .map(|c| LocalizedChoice {
                        value: c.value().to_string(),
                        label: c.label(lang, tenant_default).to_string(),
                    })
                    .collect()
            }),
        }
    }

    /// The label of an answer: a select's option label in `lang`, else the value as given.
    pub fn answer_label<'a>(&'a self, value: &'a str, lang: Lang, tenant_default: Lang) -> &'a str {
        self.options
            .iter()
            .flatten()
            .find(|c| c.value() == value)
            .map_or(value, |c| c.label(lang, tenant_default))
    }
}

/// Notes the texts of `fields` that a language lacks (labels and option labels).
pub fn missing_in_fields(fields: &[Field], prefix: &str, tenant_default: Lang, missing: &mut Missing) {
    for (i, f) in fields.iter().enumerate() {
        missing.check(&f.label, &format!("{prefix}[{i}].label"), tenant_default);
        for (j, c) in f.options.iter().flatten().enumerate() {
            missing.check(&c.text(), &format!("{prefix}[{i}].options[{j}]"), tenant_default);
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyInput {
    pub name: Text,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Journey {
    pub id: String,
    pub name: Text,
    pub fields: Vec<Field>,
    pub version: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The most fields a journey or questionnaire may have.
pub const MAX_FIELDS: usize = 60;

/// Validates field definitions (journeys and offer questionnaires).
pub fn validate_fields(fields: &[Field], prefix: &str, errors: &mut Vec<FieldError>) {
    if fields.len() > MAX_FIELDS {
        errors.push(FieldError::new(
            prefix,
            "too_many",
            format!("at most {MAX_FIELDS} fields"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("{prefix}[{i}]");
        require_key(&f.key, &format!("{at}.key"), errors);
        if !seen.insert(f.key.as_str()) {
            errors.push(FieldError::new(
                format!("{at}.key"),
                "duplicate",
                "is used by another field",
            ));
        }
        f.label.validate(&format!("{at}.label"), 500, errors);
        if f.options.as_ref().is_some_and(|o| o.len() > 100) {
            errors.push(FieldError::new(
                format!("{at}.options"),
                "too_long",
                "at most 100 options",
            ));
        }
        let mut values = std::collections::HashSet::new();
        for (j, c) in f.options.iter().flatten().enumerate() {
            let here = format!("{at}.options[{j}]");
            match c {
                Choice::Plain(v) => require_text(v, &here, 200, errors),
                Choice::Labeled { value, label } => {
                    require_text(value, &format!("{here}.value"), 200, errors);
                    label.validate(&format!("{here}.label"), 200, errors);
                }
            }
            if !values.insert(c.value()) {
                errors.push(FieldError::new(here, "duplicate", "is the value of another option"));
            }
        }
        match (&f.kind, &f.options) {
            (FieldType::Select, None) => errors.push(FieldError::new(
                format!("{at}.options"),
                "required",
                "a select needs options",
            )),
            (FieldType::Select, Some(o)) if o.is_empty() => errors.push(FieldError::new(
                format!("{at}.options"),
                "required",
                "needs at least one option",
            )),
            (FieldType::Select, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                format!("{at}.options"),
                "not_allowed",
                "only a select has options",
            )),
        }
    }
}

impl Journey {
    /// A new journey (version 1) from checked input.
    pub fn create(id: String, input: JourneyInput, now: chrono::DateTime<chrono::Utc>) -> Result<Journey, DomainError> {
        input.validate()?;
        Ok(Journey {
            id,
            name: input.name.trimmed(),
            fields: input.fields,
            version: 1,
            created_at: now,
        })
    }
}

impl JourneyInput {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        self.name.validate("name", 200, &mut errors);
        if self.fields.is_empty() {
            errors.push(FieldError::new("fields", "required", "needs at least one field"));
        }
        validate_fields(&self.fields, "fields", &mut errors);
        into_result(errors)
    }
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Checks submitted answers against the fields; every error names its field (`data.<key>`).
pub fn validate_answers(fields: &[Field], data: &Map<String, Value>, prefix: &str) -> Result<(), DomainError> {
    check_answers(fields, data, prefix, true)
}

/// Answers saved on the way (a draft): each given value must fit its field, but required
/// fields may still be empty (they are required when the step is marked done).
pub fn validate_draft(fields: &[Field], data: &Map<String, Value>, prefix: &str) -> Result<(), DomainError> {
    check_answers(fields, data, prefix, false)
}

fn check_answers(fields: &[Field], data: &Map<String, Value>, prefix: &str, complete: bool) -> Result<(), DomainError> {
    let mut errors = Vec::new();
    for key in data.keys() {
        if !fields.iter().any(|f| &f.key == key) {
            errors.push(FieldError::new(
                format!("{prefix}.{key}"),
                "unknown_field",
                "is not a field of this form",
            ));
        }
    }
    for f in fields {
        let at = format!("{prefix}.{}", f.key);
        let value = data.get(&f.key).filter(|v| !blank(v));
        let Some(value) = value else {
            if f.required && complete {
                errors.push(FieldError::new(at, "required", "is required"));
            }
            continue;
        };
        let problem = match f.kind {
            // Document ids of the step (the run checks that they are).
            FieldType::File => match value.as_array() {
                Some(ids) if ids.len() > crate::document::MAX_DOCUMENTS_PER_STEP => {
                    Some(("too_long", "lists too many documents"))
                }
                Some(ids)
                    if ids
                        .iter()
                        .all(|id| id.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 64)) =>
                {
                    None
                }
                _ => Some(("not_documents", "must be a list of document ids")),
            },
            FieldType::Text => match value.as_str() {
                Some(s) if s.chars().count() <= 10_000 => None,
                Some(_) => Some(("too_long", "is too long")),
                None => Some(("not_text", "must be text")),
            },
            // DynamoDB stores numbers between 1e-130 and 1e126 in magnitude.
            FieldType::Number => match value.as_f64() {
                Some(n) if n == 0.0 || (1e-130..1e125).contains(&n.abs()) => None,
                Some(_) => Some(("out_of_range", "is out of range")),
                None => Some(("not_a_number", "must be a number")),
            },
            FieldType::Date => match value.as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
                Some(Ok(_)) => None,
                _ => Some(("not_a_date", "must be a date (YYYY-MM-DD)")),
            },
            FieldType::Email => {
                (!value.as_str().is_some_and(valid_email)).then_some(("invalid_email", "must be a valid email address"))
            }
            FieldType::Select => {
                let options = f.options.as_deref().unwrap_or_default();
                (!value.as_str().is_some_and(|s| options.iter().any(|o| o.value() == s)))
                    .then_some(("not_an_option", "must be one of the options"))
            }
            FieldType::Checkbox => match value {
                Value::Bool(true) => None,
                Value::Bool(false) if f.required && complete => Some(("required", "must be checked")),
                Value::Bool(false) => None,
                _ => Some(("not_a_boolean", "must be true or false")),
            },
        };
        if let Some((code, message)) = problem {
            errors.push(FieldError::new(at, code, message));
        }
    }
    into_result(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn field(key: &str, kind: FieldType, required: bool) -> Field {
        Field {
            key: key.into(),
            label: Text::Langs(crate::i18n::I18n::from([(Lang::De, key.to_string())])),
            kind,
            required,
            options: (kind == FieldType::Select).then(|| {
                vec![
                    "a".into(),
                    Choice::Labeled {
                        value: "b".into(),
                        label: Text::from("Bé"),
                    },
                ]
            }),
        }
    }

    #[test]
    fn answers_are_checked_per_field() {
        let fields = vec![
            field("meter", FieldType::Text, true),
            field("reading", FieldType::Number, true),
            field("date", FieldType::Date, false),
            field("choice", FieldType::Select, false),
            field("ok", FieldType::Checkbox, true),
        ];
        let good = json!({"meter": "M1", "reading": 12.5, "date": "2026-11-01", "choice": "a", "ok": true});
        assert!(validate_answers(&fields, good.as_object().unwrap(), "data").is_ok());
        let bad = json!({"reading": "x", "date": "1.11.2026", "choice": "c", "ok": false, "extra": 1});
        let Err(DomainError::Invalid(errors)) = validate_answers(&fields, bad.as_object().unwrap(), "data") else {
            panic!("expected validation errors")
        };
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "data.extra",
                "data.meter",
                "data.reading",
                "data.date",
                "data.choice",
                "data.ok"
            ]
        );
    }

    #[test]
    fn definitions_are_checked() {
        let input = JourneyInput {
            name: " ".into(),
            fields: vec![field("a", FieldType::Text, true), field("a", FieldType::Text, false)],
        };
        let Err(DomainError::Invalid(errors)) = input.validate() else {
            panic!("expected errors")
        };
        assert!(errors.iter().any(|e| e.field == "name"));
        assert!(errors.iter().any(|e| e.field == "fields[1].key"));
    }
}
