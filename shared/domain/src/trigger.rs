//! Triggers: what an event of this product (or an inbound webhook) makes happen by itself:
//! start a run of a process, or complete a step of an order.
//!
//! Rules (decided here, see README):
//! - A trigger reacts to one kind of event (`on`), narrowed by an optional filter (an offer's
//!   category or id, a run's process); disabled triggers do nothing.
//! - Starting a run maps its participants from the event: the ordering end user, a fixed
//!   contact (the partner installer's office), or fields of a webhook's payload by JSON
//!   pointer. A run started by an order remembers the order (`context.order_id`), so a
//!   later trigger on `run_completed` can complete that order's step.
//! - Each (trigger, source event) acts once: a redelivered event finds the run it started,
//!   or the order step done already.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{DomainError, FieldError};
use crate::events::TriggerEvent;
use crate::i18n::Lang;
use crate::run::Contact;
use crate::values::OfferCategory;
use crate::{into_result, require_email, require_text};

/// What a trigger reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerOn {
    OrderPlaced,
    OrderActivated,
    OrderCancelled,
    RunCompleted,
    PartnerActivated,
    /// `POST /v1/hooks/{trigger_id}`, signed with the trigger's secret.
    Webhook,
}

impl TriggerOn {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerOn::OrderPlaced => "order_placed",
            TriggerOn::OrderActivated => "order_activated",
            TriggerOn::OrderCancelled => "order_cancelled",
            TriggerOn::RunCompleted => "run_completed",
            TriggerOn::PartnerActivated => "partner_activated",
            TriggerOn::Webhook => "webhook",
        }
    }

    /// Whether the event carries an order (its end user, its offer).
    pub fn has_order(self) -> bool {
        matches!(
            self,
            TriggerOn::OrderPlaced | TriggerOn::OrderActivated | TriggerOn::OrderCancelled
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerFilter {
    /// Order events: only orders of offers of this category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_category: Option<OfferCategory>,
    /// Order events: only orders of this offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// `run_completed`: only runs of this process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
}

/// Where a participant of the started run comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContactSource {
    /// The end user who placed the order (order events).
    OrderUser,
    /// Always the same person or office.
    Fixed { contact: Contact },
    /// Fields of the webhook's payload, by JSON pointer (`/customer/email`).
    Payload {
        name: String,
        email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locale: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerAction {
    /// Starts a run of the process.
    StartRun {
        process_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer: Option<ContactSource>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        installer: Option<ContactSource>,
        /// Webhooks: the run's title, by JSON pointer into the payload (orders: the offer's title).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Completes a step (1-5) of the event's order, or of the order the completed run was
    /// started for.
    CompleteOrderStep { step: u8 },
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerInput {
    pub name: String,
    pub on: TriggerOn,
    #[serde(default)]
    pub filter: TriggerFilter,
    pub action: TriggerAction,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The admin who made the trigger: told when it fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerOwner {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub locale: Option<Lang>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trigger {
    pub id: String,
    pub name: String,
    pub on: TriggerOn,
    #[serde(default)]
    pub filter: TriggerFilter,
    pub action: TriggerAction,
    pub enabled: bool,
    pub created_by: TriggerOwner,
    /// Webhook triggers: the secret's generation (each rotation makes a new secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_generation: Option<u32>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What happened, as a trigger sees it: enough to filter and to map.
#[derive(Debug, Clone, PartialEq)]
pub struct Happened<'a> {
    pub on: TriggerOn,
    /// Order events: the offer's category and id.
    pub offer: Option<(OfferCategory, &'a str)>,
    /// `run_completed`: the run's process.
    pub process_id: Option<&'a str>,
}

impl TriggerInput {
    fn checked(self) -> Result<TriggerInput, DomainError> {
        let mut errors = Vec::new();
        require_text(&self.name, "name", 200, &mut errors);
        let order_filter = self.filter.offer_category.is_some() || self.filter.offer_id.is_some();
        if order_filter && !self.on.has_order() {
            errors.push(FieldError::new(
                "filter",
                "invalid",
                "offer filters apply to order events only",
            ));
        }
        if self.filter.process_id.is_some() && self.on != TriggerOn::RunCompleted {
            errors.push(FieldError::new(
                "filter.process_id",
                "invalid",
                "applies to run_completed only",
            ));
        }
        match &self.action {
            TriggerAction::StartRun {
                process_id,
                customer,
                installer,
                title,
            } => {
                require_text(process_id, "action.process_id", 64, &mut errors);
                for (at, source) in [("action.customer", customer), ("action.installer", installer)] {
                    match source {
                        Some(ContactSource::OrderUser) if !self.on.has_order() => errors.push(FieldError::new(
                            format!("{at}.from"),
                            "invalid",
                            "order_user needs an order event",
                        )),
                        Some(ContactSource::Payload { name, email, locale }) => {
                            if self.on != TriggerOn::Webhook {
                                errors.push(FieldError::new(
                                    format!("{at}.from"),
                                    "invalid",
                                    "payload needs a webhook trigger",
                                ));
                            }
                            for (f, p) in [
                                ("name", Some(name)),
                                ("email", Some(email)),
                                ("locale", locale.as_ref()),
                            ] {
                                if p.is_some_and(|p| !pointer_ok(p)) {
                                    errors.push(FieldError::new(
                                        format!("{at}.{f}"),
                                        "invalid",
                                        "must be a JSON pointer (`/customer/email`)",
                                    ));
                                }
                            }
                        }
                        Some(ContactSource::Fixed { contact }) => {
                            require_text(&contact.name, &format!("{at}.contact.name"), 200, &mut errors);
                            require_email(&contact.email, &format!("{at}.contact.email"), &mut errors);
                        }
                        _ => {}
                    }
                }
                if let Some(t) = title {
                    if self.on != TriggerOn::Webhook || !pointer_ok(t) {
                        errors.push(FieldError::new(
                            "action.title",
                            "invalid",
                            "a JSON pointer into a webhook's payload",
                        ));
                    }
                }
            }
            TriggerAction::CompleteOrderStep { step } => {
                if !(1..=5).contains(step) {
                    errors.push(FieldError::new("action.step", "out_of_range", "must be 1 to 5"));
                }
                if !self.on.has_order() && self.on != TriggerOn::RunCompleted {
                    errors.push(FieldError::new(
                        "action",
                        "invalid",
                        "completing an order step needs an order event or run_completed",
                    ));
                }
            }
        }
        into_result(errors)?;
        Ok(TriggerInput {
            name: self.name.trim().to_string(),
            ..self
        })
    }
}

fn pointer_ok(p: &str) -> bool {
    p.starts_with('/') && p.len() <= 200
}

impl Trigger {
    pub fn create(
        id: String,
        input: TriggerInput,
        created_by: TriggerOwner,
        now: DateTime<Utc>,
    ) -> Result<(Trigger, Vec<TriggerEvent>), DomainError> {
        let input = input.checked()?;
        let trigger = Trigger {
            id,
            name: input.name,
            on: input.on,
            filter: input.filter,
            secret_generation: (input.on == TriggerOn::Webhook).then_some(1),
            action: input.action,
            enabled: input.enabled,
            created_by,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = TriggerEvent::TriggerCreated {
            on: trigger.on,
            process_id: trigger.starts().map(str::to_string),
        };
        Ok((trigger, vec![event]))
    }

    /// Replaces what it does (its secret stays).
    pub fn update(&mut self, input: TriggerInput, now: DateTime<Utc>) -> Result<Vec<TriggerEvent>, DomainError> {
        let input = input.checked()?;
        if (input.on == TriggerOn::Webhook) != (self.on == TriggerOn::Webhook) {
            return Err(DomainError::invalid(
                "on",
                "invalid",
                "a webhook trigger stays one (and another stays none): make a new trigger",
            ));
        }
        self.name = input.name;
        self.on = input.on;
        self.filter = input.filter;
        self.action = input.action;
        self.enabled = input.enabled;
        self.updated_at = now;
        self.version += 1;
        Ok(vec![TriggerEvent::TriggerChanged {
            process_id: self.starts().map(str::to_string),
            enabled: self.enabled,
        }])
    }

    /// The process it starts, if it starts one.
    pub fn starts(&self) -> Option<&str> {
        match &self.action {
            TriggerAction::StartRun { process_id, .. } => Some(process_id),
            TriggerAction::CompleteOrderStep { .. } => None,
        }
    }

    /// Starts `with` where it started `old` (a process replaced everywhere).
    pub fn replace_process(&mut self, old: &str, with: &str, now: DateTime<Utc>) -> Vec<TriggerEvent> {
        let TriggerAction::StartRun { process_id, .. } = &mut self.action else {
            return Vec::new();
        };
        if process_id != old {
            return Vec::new();
        }
        *process_id = with.to_string();
        self.updated_at = now;
        self.version += 1;
        vec![TriggerEvent::TriggerProcessReplaced {
            old: old.to_string(),
            new: with.to_string(),
        }]
    }

    /// A new webhook secret (the old one stops working).
    pub fn rotate_secret(&mut self, now: DateTime<Utc>) -> Result<Vec<TriggerEvent>, DomainError> {
        let Some(g) = self.secret_generation else {
            return Err(DomainError::Conflict("only webhook triggers have a secret".into()));
        };
        self.secret_generation = Some(g + 1);
        self.updated_at = now;
        self.version += 1;
        Ok(vec![TriggerEvent::TriggerSecretRotated { generation: g + 1 }])
    }

    /// Whether it reacts to what happened.
    pub fn matches(&self, h: &Happened) -> bool {
        if !self.enabled || self.on != h.on {
            return false;
        }
        let f = &self.filter;
        let offer_ok = match h.offer {
            Some((category, id)) => {
                f.offer_category.is_none_or(|c| c == category) && f.offer_id.as_deref().is_none_or(|o| o == id)
            }
            None => f.offer_category.is_none() && f.offer_id.is_none(),
        };
        let process_ok = f.process_id.as_deref().is_none_or(|p| h.process_id == Some(p));
        offer_ok && process_ok
    }

    /// The failure of an action on an event, for the history (and the owner's email).
    pub fn failed(&mut self, source_event: &str, reason: &str, now: DateTime<Utc>) -> Vec<TriggerEvent> {
        self.updated_at = now;
        self.version += 1;
        vec![TriggerEvent::TriggerFailed {
            source_event_id: source_event.to_string(),
            reason: reason.chars().take(1000).collect(),
        }]
    }
}

/// A contact from a webhook's payload by the source's pointers; `Err` names what is missing.
pub fn contact_from_payload(source: &ContactSource, payload: &Value) -> Result<Option<Contact>, String> {
    let ContactSource::Payload { name, email, locale } = source else {
        return Ok(None);
    };
    let text = |p: &str| payload.pointer(p).and_then(Value::as_str).map(str::to_string);
    let name = text(name).ok_or_else(|| format!("the payload has no text at {name}"))?;
    let email = text(email).ok_or_else(|| format!("the payload has no text at {email}"))?;
    let locale = locale.as_deref().and_then(text).and_then(|l| Lang::parse(&l));
    Ok(Some(Contact { name, email, locale }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> TriggerInput {
        serde_json::from_value(v).unwrap()
    }

    fn owner() -> TriggerOwner {
        TriggerOwner {
            sub: "ada".into(),
            email: Some("ada@u.example".into()),
            name: None,
            locale: None,
        }
    }

    #[test]
    fn a_trigger_matches_its_event_and_filter_only() {
        let now = Utc::now();
        let (t, _) = Trigger::create(
            "t1".into(),
            input(
                json!({"name": "ESP", "on": "order_placed", "filter": {"offer_category": "hardware"},
                "action": {"kind": "start_run", "process_id": "p1", "customer": {"from": "order_user"}}}),
            ),
            owner(),
            now,
        )
        .unwrap();
        let placed = |c, id| Happened {
            on: TriggerOn::OrderPlaced,
            offer: Some((c, id)),
            process_id: None,
        };
        assert!(t.matches(&placed(OfferCategory::Hardware, "o1")));
        assert!(!t.matches(&placed(OfferCategory::Energy, "o1")));
        assert!(!t.matches(&Happened {
            on: TriggerOn::OrderActivated,
            ..placed(OfferCategory::Hardware, "o1")
        }));
        assert_eq!(t.starts(), Some("p1"));
        assert_eq!(t.secret_generation, None);
    }

    #[test]
    fn mappings_must_fit_the_event() {
        let now = Utc::now();
        let bad = input(json!({"name": " ", "on": "run_completed", "filter": {"offer_id": "x"},
            "action": {"kind": "start_run", "process_id": "p1", "customer": {"from": "order_user"},
                       "installer": {"from": "payload", "name": "name", "email": "/e"}}}));
        let Err(DomainError::Invalid(errors)) = Trigger::create("t".into(), bad, owner(), now) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "filter",
                "action.customer.from",
                "action.installer.from",
                "action.installer.name"
            ]
        );
        let bad_step = input(
            json!({"name": "x", "on": "partner_activated", "action": {"kind": "complete_order_step", "step": 7}}),
        );
        assert!(Trigger::create("t".into(), bad_step, owner(), now).is_err());
    }

    #[test]
    fn webhook_payloads_map_by_pointer_and_secrets_rotate() {
        let now = Utc::now();
        let (mut t, _) = Trigger::create(
            "t1".into(),
            input(json!({"name": "CRM", "on": "webhook",
                "action": {"kind": "start_run", "process_id": "p1", "title": "/title",
                    "customer": {"from": "payload", "name": "/customer/name", "email": "/customer/email", "locale": "/customer/lang"}}})),
            owner(),
            now,
        )
        .unwrap();
        assert_eq!(t.secret_generation, Some(1));
        let TriggerAction::StartRun {
            customer: Some(source), ..
        } = &t.action
        else {
            panic!()
        };
        let payload = json!({"customer": {"name": "Chiara", "email": "c@x.example", "lang": "it"}});
        let c = contact_from_payload(source, &payload).unwrap().unwrap();
        assert_eq!((c.email.as_str(), c.locale), ("c@x.example", Some(Lang::It)));
        assert!(contact_from_payload(source, &json!({})).is_err());
        t.rotate_secret(now).unwrap();
        assert_eq!(t.secret_generation, Some(2));
        assert_eq!(t.replace_process("p1", "p2", now).len(), 1);
        assert_eq!(t.starts(), Some("p2"));
        assert!(t.replace_process("p1", "p3", now).is_empty());
    }
}
