//! Process definitions: ordered steps, each with an assignee, info texts, an optional
//! journey, due time and owner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{into_result, require_email, require_key, require_text};
use crate::error::{DomainError, FieldError};
use crate::i18n::{self, I18n, Lang, Missing, Text};
use crate::journey::missing_in_fields;
use crate::run::JourneySnapshot;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Assignee {
    /// A staff member; `name` is how emails greet them (without it, they greet without a name,
    /// never by user id).
    Staff {
        user_id: String,
        email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Customer,
    Installer,
    Partner {
        partner_id: String,
    },
    /// A team of staff: every member hears of the step, one claims it.
    Team {
        team_id: String,
    },
}

impl Assignee {
    pub fn kind(&self) -> &'static str {
        match self {
            Assignee::Staff { .. } => "staff",
            Assignee::Customer => "customer",
            Assignee::Installer => "installer",
            Assignee::Partner { .. } => "partner",
            Assignee::Team { .. } => "team",
        }
    }

    /// Checks what can be checked without the store (partners and teams exist: the caller).
    pub fn validate(&self, at: &str, errors: &mut Vec<FieldError>) {
        match self {
            Assignee::Staff { user_id, email, name } => {
                require_text(user_id, &format!("{at}.user_id"), 200, errors);
                require_email(email, &format!("{at}.email"), errors);
                if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
                    errors.push(FieldError::too_long(format!("{at}.name"), 200));
                }
            }
            Assignee::Partner { partner_id } => require_text(partner_id, &format!("{at}.partner_id"), 64, errors),
            Assignee::Team { team_id } => require_text(team_id, &format!("{at}.team_id"), 64, errors),
            Assignee::Customer | Assignee::Installer => {}
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoTexts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<I18n>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installer: Option<I18n>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<I18n>,
}

impl InfoTexts {
    /// The info texts there are, with the participant kind they are meant for.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, &I18n)> {
        [
            ("customer", &self.customer),
            ("installer", &self.installer),
            ("partner", &self.partner),
        ]
        .into_iter()
        .filter_map(|(k, t)| t.as_ref().map(|t| (k, t)))
    }

    /// The info text meant for a participant kind (`customer`, `installer`, `partner`).
    pub fn for_kind(&self, kind: &str) -> Option<&I18n> {
        match kind {
            "customer" => self.customer.as_ref(),
            "installer" => self.installer.as_ref(),
            "partner" => self.partner.as_ref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub user_id: String,
    pub email: String,
    /// How emails greet the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    pub key: String,
    pub name: Text,
    pub assignee: Assignee,
    #[serde(default)]
    pub info_texts: InfoTexts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_days: Option<u32>,
    /// When the step is due (`due_in_days` is `{"in_days": n, "from": "activated"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<crate::due::DueRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Documents the step needs before it can be done (uploaded on it, each for its key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_documents: Vec<crate::document::RequiredDocument>,
    /// Its reminders (else the process's, else the tenant's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<crate::reminders::ReminderPolicy>,
}

impl StepDef {
    /// The step's due rule (`due`, else `due_in_days` after activation).
    pub fn due_rule(&self) -> Option<crate::due::DueRule> {
        self.due
            .clone()
            .or_else(|| self.due_in_days.map(crate::due::DueRule::days_after_activation))
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessInput {
    pub name: Text,
    #[serde(default)]
    pub description: Option<String>,
    pub steps: Vec<StepDef>,
    /// Reminders of every step that has none of its own (else the tenant's).
    #[serde(default)]
    pub reminders: Option<crate::reminders::ReminderPolicy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessStatus {
    Active,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Process {
    pub id: String,
    pub version: u64,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub steps: Vec<StepDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<crate::reminders::ReminderPolicy>,
    pub status: ProcessStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const MAX_STEPS: usize = 40;

impl Process {
    /// A new, active process definition (version 1) from checked input.
    pub fn create(id: String, input: ProcessInput, now: DateTime<Utc>) -> Result<Process, DomainError> {
        input.validate()?;
        Ok(Process {
            id,
            version: 1,
            name: input.name.trimmed(),
            description: input.description,
            steps: input.steps,
            reminders: input.reminders,
            status: ProcessStatus::Active,
            created_at: now,
            updated_at: now,
        })
    }
}

impl Process {
    /// The texts participants read that each language lacks: the process and step names,
    /// the info texts, and the names, labels and options of the steps' journeys.
    pub fn missing_translations(&self, journeys: &[JourneySnapshot], tenant_default: Lang) -> Missing {
        let mut missing = Missing::default();
        missing.check(&self.name, "name", tenant_default);
        for (i, step) in self.steps.iter().enumerate() {
            missing.check(&step.name, &format!("steps[{i}].name"), tenant_default);
            for (kind, text) in step.info_texts.all() {
                missing.check(
                    &Text::Langs(text.clone()),
                    &format!("steps[{i}].info_texts.{kind}"),
                    tenant_default,
                );
            }
        }
        for j in journeys {
            let at = format!("journeys.{}", j.id);
            missing.check(&j.name, &format!("{at}.name"), tenant_default);
            missing_in_fields(&j.fields, &format!("{at}.fields"), tenant_default, &mut missing);
        }
        missing
    }
}

impl ProcessInput {
    /// Everything that can be checked without the store (journey ids are checked by the caller).
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        self.name.validate("name", 200, &mut errors);
        if let Some(d) = &self.description {
            if d.chars().count() > 4000 {
                errors.push(FieldError::new(
                    "description",
                    "too_long",
                    "must be at most 4000 characters",
                ));
            }
        }
        if let Some(policy) = &self.reminders {
            policy.validate("reminders", &mut errors);
        }
        if self.steps.is_empty() {
            errors.push(FieldError::new("steps", "required", "needs at least one step"));
        }
        if self.steps.len() > MAX_STEPS {
            errors.push(FieldError::new(
                "steps",
                "too_many",
                format!("at most {MAX_STEPS} steps"),
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let at = format!("steps[{i}]");
            require_key(&s.key, &format!("{at}.key"), &mut errors);
            if !keys.insert(s.key.as_str()) {
                errors.push(FieldError::new(
                    format!("{at}.key"),
                    "duplicate",
                    "step keys must be unique in a process",
                ));
            }
            s.name.validate(&format!("{at}.name"), 200, &mut errors);
            s.assignee.validate(&format!("{at}.assignee"), &mut errors);
            for (kind, text) in [
                ("customer", &s.info_texts.customer),
                ("installer", &s.info_texts.installer),
                ("partner", &s.info_texts.partner),
            ] {
                if let Some(text) = text {
                    i18n::validate(text, &format!("{at}.info_texts.{kind}"), &mut errors);
                    if text.values().any(|t| t.chars().count() > 4000) {
                        errors.push(FieldError::new(
                            format!("{at}.info_texts.{kind}"),
                            "too_long",
                            "must be at most 4000 characters per language",
                        ));
                    }
                }
            }
            crate::document::RequiredDocument::validate(
                &s.required_documents,
                &format!("{at}.required_documents"),
                &mut errors,
            );
            if let Some(rule) = &s.due {
                let keys: Vec<&str> = self.steps.iter().map(|x| x.key.as_str()).collect();
                rule.validate(&format!("{at}.due"), &keys, &s.key, &mut errors);
                if s.due_in_days.is_some() {
                    errors.push(FieldError::new(
                        format!("{at}.due"),
                        "invalid",
                        "give due or due_in_days, not both",
                    ));
                }
            }
            if let Some(days) = s.due_in_days {
                if !(1..=3650).contains(&days) {
                    errors.push(FieldError::new(
                        format!("{at}.due_in_days"),
                        "out_of_range",
                        "must be between 1 and 3650",
                    ));
                }
            }
            if let Some(policy) = &s.reminders {
                policy.validate(&format!("{at}.reminders"), &mut errors);
            }
            if let Some(owner) = &s.owner {
                require_text(&owner.user_id, &format!("{at}.owner.user_id"), 200, &mut errors);
                require_email(&owner.email, &format!("{at}.owner.email"), &mut errors);
            }
        }
        into_result(errors)
    }
}
