//! Orders: an end user's request for an offer, moved by staff through five steps until the
//! product is active, and its state machine.
//!
//! Rules (decided here, see README):
//! - an order starts `in_progress` at step 1; completing step `n` (the request names it, so a
//!   double click cannot skip a step: 409) makes `n + 1` current; completing step 5 makes the
//!   order `active` (no step is current any more);
//! - an order in progress can be cancelled, an active one deactivated, each with a reason
//!   (422 without); `cancelled` and `deactivated` are final: nothing changes them (409);
//! - an order keeps a snapshot of the tenant's five steps taken when it was placed, so a later
//!   change of the configuration does not rename the steps of running orders;
//! - "open" means `in_progress` or `active`: a user has at most one open order per offer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::journey::validate_answers;
use super::offer::{Offer, OfferCategory, OfferStatus};
use super::{into_result, require_text};
use crate::error::{DomainError, FieldError};
use crate::events::{Actor, OrderEvent};
use crate::i18n::pick_in;
use crate::i18n::{self, I18n, Lang};

pub const STEP_COUNT: usize = 5;

/// The name and explanation text of one of the five steps, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepText {
    pub name: I18n,
    pub explanation: I18n,
}

/// What `PUT /order-steps` takes: exactly five steps, in order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderStepsInput {
    pub steps: Vec<StepText>,
}

impl OrderStepsInput {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        if self.steps.len() != STEP_COUNT {
            errors.push(FieldError::new(
                "steps",
                "wrong_count",
                format!("needs exactly {STEP_COUNT} steps"),
            ));
        }
        for (i, s) in self.steps.iter().enumerate() {
            for (field, text, max) in [("name", &s.name, 100), ("explanation", &s.explanation, 2_000)] {
                let at = format!("steps[{i}].{field}");
                i18n::validate(text, &at, &mut errors);
                for (lang, value) in text {
                    if value.chars().count() > max {
                        errors.push(FieldError::new(
                            format!("{at}.{}", lang.code()),
                            "too_long",
                            format!("must be at most {max} characters"),
                        ));
                    }
                }
            }
        }
        into_result(errors)
    }
}

/// A tenant's five order steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSteps {
    pub steps: Vec<StepText>,
    /// 0 for the built-in set (nothing stored yet).
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<Actor>,
}

fn texts(de: &str, en: &str, fr: &str, it: &str) -> I18n {
    I18n::from([
        (Lang::De, de.to_string()),
        (Lang::En, en.to_string()),
        (Lang::Fr, fr.to_string()),
        (Lang::It, it.to_string()),
    ])
}

impl OrderSteps {
    /// The built-in set: received, checked, contract and date, installation or delivery,
    /// active.
    pub fn default_set() -> OrderSteps {
        let step = |name: I18n, explanation: I18n| StepText { name, explanation };
        OrderSteps {
            steps: vec![
                step(
                    texts("Bestellung eingegangen", "Order received", "Commande reçue", "Ordine ricevuto"),
                    texts(
                        "Wir haben Ihre Bestellung erhalten und prüfen sie in Kürze.",
                        "We have received your order and will review it shortly.",
                        "Nous avons bien reçu votre commande et l'examinerons prochainement.",
                        "Abbiamo ricevuto il Suo ordine e lo esamineremo a breve.",
                    ),
                ),
                step(
                    texts("Bestellung geprüft", "Order checked", "Commande vérifiée", "Ordine verificato"),
                    texts(
                        "Wir haben Ihre Angaben geprüft; Ihre Bestellung kann umgesetzt werden.",
                        "We have checked your details; your order can go ahead.",
                        "Nous avons vérifié vos informations ; votre commande peut être réalisée.",
                        "Abbiamo verificato i Suoi dati; il Suo ordine può essere eseguito.",
                    ),
                ),
                step(
                    texts("Vertrag und Termin", "Contract and date", "Contrat et rendez-vous", "Contratto e appuntamento"),
                    texts(
                        "Sie erhalten den Vertrag, und wir vereinbaren mit Ihnen einen Termin für die Installation oder Lieferung.",
                        "You receive the contract, and we agree on a date for the installation or delivery with you.",
                        "Vous recevez le contrat et nous convenons avec vous d'une date pour l'installation ou la livraison.",
                        "Riceve il contratto e concordiamo con Lei una data per l'installazione o la consegna.",
                    ),
                ),
                step(
                    texts("Installation oder Lieferung", "Installation or delivery", "Installation ou livraison", "Installazione o consegna"),
                    texts(
                        "Ihr Produkt wird installiert oder geliefert.",
                        "Your product is being installed or delivered.",
                        "Votre produit est en cours d'installation ou de livraison.",
                        "Il Suo prodotto viene installato o consegnato.",
                    ),
                ),
                step(
                    texts("Aktiv", "Active", "Actif", "Attivo"),
                    texts(
                        "Ihr Produkt ist aktiv. Bei Fragen sind wir gerne für Sie da.",
                        "Your product is active. If you have any questions, we are happy to help.",
                        "Votre produit est actif. Pour toute question, nous restons volontiers à votre disposition.",
                        "Il Suo prodotto è attivo. Per qualsiasi domanda siamo volentieri a Sua disposizione.",
                    ),
                ),
            ],
            version: 0,
            updated_at: None,
            updated_by: None,
        }
    }

    /// The configuration as the API shows it (`custom` is false for the built-in set).
    pub fn view(&self) -> OrderStepsView<'_> {
        OrderStepsView {
            steps: self
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| NumberedStep {
                    number: i + 1,
                    name: &s.name,
                    explanation: &s.explanation,
                })
                .collect(),
            version: self.version,
            custom: self.version > 0,
            updated_at: self.updated_at,
        }
    }
}

/// The tenant's five order steps as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderStepsView<'a> {
    pub steps: Vec<NumberedStep<'a>>,
    pub version: u64,
    pub custom: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NumberedStep<'a> {
    pub number: usize,
    pub name: &'a I18n,
    pub explanation: &'a I18n,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    InProgress,
    Active,
    Cancelled,
    Deactivated,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::InProgress => "in_progress",
            OrderStatus::Active => "active",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Deactivated => "deactivated",
        }
    }

    /// In progress or active: the user cannot order the same offer again meanwhile.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::InProgress | OrderStatus::Active)
    }
}

/// The end user who placed the order, as their token named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderUser {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
}

impl OrderUser {
    pub fn actor(&self) -> Actor {
        Actor {
            kind: "customer".into(),
            id: self.sub.clone(),
            name: self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderStep {
    pub number: u8,
    pub name: I18n,
    pub explanation: I18n,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_by: Option<Actor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    pub id: String,
    pub offer_id: String,
    pub offer_category: OfferCategory,
    /// The offer's title in every language it had when the order was placed.
    pub offer_title: I18n,
    pub user: OrderUser,
    #[serde(default)]
    pub answers: Map<String, Value>,
    pub status: OrderStatus,
    /// The number of the step being worked on; none unless in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<u8>,
    pub steps: Vec<OrderStep>,
    /// Why the order was cancelled or deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// When it was cancelled or deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Staff's internal notes (never shown to the end user), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<OrderNote>,
}

/// An internal note of staff on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderNote {
    pub id: String,
    pub text: String,
    pub author: Actor,
    pub at: DateTime<Utc>,
}

pub const MAX_NOTES: usize = 200;

fn require_reason(reason: &str) -> Result<(), DomainError> {
    let mut errors = Vec::new();
    require_text(reason, "reason", 2_000, &mut errors);
    into_result(errors)
}

impl Order {
    /// Staff add an internal note (the end user is not told and never sees it).
    pub fn add_note(
        &mut self,
        id: String,
        text: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff write notes"));
        }
        let mut errors = Vec::new();
        require_text(text, "text", 4_000, &mut errors);
        into_result(errors)?;
        if self.notes.len() >= MAX_NOTES {
            return Err(DomainError::Conflict(format!(
                "the order has {MAX_NOTES} notes already"
            )));
        }
        self.notes.push(OrderNote {
            id: id.clone(),
            text: text.trim().to_string(),
            author: actor.clone(),
            at: now,
        });
        self.updated_at = now;
        self.version += 1;
        Ok(vec![OrderEvent::OrderNoteAdded { note_id: id }])
    }

    /// Staff correct the end user's questionnaire answers while the order is in progress,
    /// checked against the questionnaire it was placed with (the offer's: an ordered offer's
    /// questionnaire no longer changes). The end user is told which answers changed.
    pub fn correct_answers(
        &mut self,
        questionnaire: &[crate::journey::Field],
        answers: Map<String, Value>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff correct answers"));
        }
        validate_answers(questionnaire, &answers, "answers")?;
        if self.status != OrderStatus::InProgress {
            return Err(DomainError::Conflict(format!(
                "the order is {}; only orders in progress are corrected",
                self.status.as_str()
            )));
        }
        let mut changed: Vec<String> = questionnaire
            .iter()
            .map(|f| f.key.clone())
            .filter(|k| self.answers.get(k) != answers.get(k))
            .collect();
        changed.sort();
        if changed.is_empty() {
            return Err(DomainError::Conflict("the answers are so already".into()));
        }
        let labels: Vec<crate::i18n::Text> = questionnaire
            .iter()
            .filter(|f| changed.contains(&f.key))
            .map(|f| f.label.clone())
            .collect();
        self.answers = answers;
        self.updated_at = now;
        self.version += 1;
        Ok(vec![OrderEvent::OrderAnswersCorrected { changed, labels }])
    }

    /// Places an order for an active offer: the answers are checked against its
    /// questionnaire, the tenant's steps are snapshotted, step 1 is current.
    pub fn place(
        id: String,
        offer: &Offer,
        steps: &OrderSteps,
        user: OrderUser,
        answers: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(Order, Vec<OrderEvent>), DomainError> {
        if offer.status != OfferStatus::Active {
            return Err(DomainError::Conflict(format!(
                "offer {} is {}; only the active offers can be ordered",
                offer.id,
                offer.status.as_str()
            )));
        }
        if steps.steps.len() != STEP_COUNT {
            return Err(DomainError::Conflict(format!(
                "the order-step configuration has {} steps",
                steps.steps.len()
            )));
        }
        validate_answers(&offer.questionnaire, &answers, "answers")?;
        let order = Order {
            id,
            offer_id: offer.id.clone(),
            offer_category: offer.category,
            offer_title: offer.titles(),
            user,
            answers,
            status: OrderStatus::InProgress,
            current_step: Some(1),
            steps: steps
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| OrderStep {
                    number: (i + 1) as u8,
                    name: s.name.clone(),
                    explanation: s.explanation.clone(),
                    completed_at: None,
                    completed_by: None,
                })
                .collect(),
            reason: None,
            notes: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            activated_at: None,
            ended_at: None,
        };
        let changes = vec![OrderEvent::OrderPlaced {
            offer_id: order.offer_id.clone(),
            offer_category: order.offer_category,
            current_step: 1,
        }];
        Ok((order, changes))
    }

    fn ensure_not_final(&self) -> Result<(), DomainError> {
        match self.status {
            OrderStatus::Cancelled | OrderStatus::Deactivated => Err(DomainError::Conflict(format!(
                "the order is {}; nothing can change it",
                self.status.as_str()
            ))),
            _ => Ok(()),
        }
    }

    /// Completes `expected_step`, which must be the current step; after step 5 the order is
    /// active.
    pub fn advance(
        &mut self,
        expected_step: u32,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, DomainError> {
        if !(1..=STEP_COUNT as u32).contains(&expected_step) {
            return Err(DomainError::invalid(
                "expected_step",
                "out_of_range",
                "must be a step number from 1 to 5",
            ));
        }
        self.ensure_not_final()?;
        if self.status == OrderStatus::Active {
            return Err(DomainError::Conflict(
                "the order is active: all five steps are done".into(),
            ));
        }
        let current = self.current_step.unwrap_or(0);
        if u32::from(current) != expected_step {
            return Err(DomainError::Conflict(format!(
                "step {expected_step} is not the current step; the current step is {current}"
            )));
        }
        let i = usize::from(current) - 1;
        let step = self
            .steps
            .get_mut(i)
            .ok_or_else(|| DomainError::Conflict(format!("order {} has no step {current}", self.id)))?;
        step.completed_at = Some(now);
        step.completed_by = Some(actor.clone());
        let last = usize::from(current) == STEP_COUNT;
        let mut changes = vec![OrderEvent::OrderStepCompleted {
            step: current,
            r#final: last,
        }];
        if last {
            self.status = OrderStatus::Active;
            self.current_step = None;
            self.activated_at = Some(now);
            changes.push(OrderEvent::OrderActivated {});
        } else {
            self.current_step = Some(current + 1);
        }
        self.updated_at = now;
        self.version += 1;
        Ok(changes)
    }

    /// Cancels an order in progress.
    pub fn cancel(&mut self, reason: &str, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, DomainError> {
        require_reason(reason)?;
        self.ensure_not_final()?;
        if self.status != OrderStatus::InProgress {
            return Err(DomainError::Conflict(
                "only an order in progress can be cancelled; an active order is deactivated".into(),
            ));
        }
        let at_step = self.current_step;
        self.end(OrderStatus::Cancelled, reason, now);
        Ok(vec![OrderEvent::OrderCancelled {
            reason: reason.trim().into(),
            at_step,
        }])
    }

    /// Deactivates an active order.
    pub fn deactivate(&mut self, reason: &str, now: DateTime<Utc>) -> Result<Vec<OrderEvent>, DomainError> {
        require_reason(reason)?;
        self.ensure_not_final()?;
        if self.status != OrderStatus::Active {
            return Err(DomainError::Conflict(
                "only an active order can be deactivated; an order in progress is cancelled".into(),
            ));
        }
        self.end(OrderStatus::Deactivated, reason, now);
        Ok(vec![OrderEvent::OrderDeactivated {
            reason: reason.trim().into(),
        }])
    }

    fn end(&mut self, status: OrderStatus, reason: &str, now: DateTime<Utc>) {
        self.status = status;
        self.current_step = None;
        self.reason = Some(reason.trim().to_string());
        self.ended_at = Some(now);
        self.updated_at = now;
        self.version += 1;
    }

    pub fn step(&self, number: u8) -> Option<&OrderStep> {
        self.steps.iter().find(|s| s.number == number)
    }

    /// The order in one language. Staff see who completed each step and who ordered; the
    /// user's own card (`staff = false`) leaves out staff identities.
    pub fn view(&self, lang: Lang, tenant_default: Lang, staff: bool) -> OrderView<'_> {
        let text = |t: &I18n| pick_in(t, lang, tenant_default).unwrap_or_default().to_string();
        let steps = self
            .steps
            .iter()
            .map(|s| OrderStepView {
                number: s.number,
                name: text(&s.name),
                explanation: text(&s.explanation),
                status: if s.completed_at.is_some() {
                    "done"
                } else if self.current_step == Some(s.number) {
                    "current"
                } else if self.status.is_open() {
                    "pending"
                } else {
                    "skipped"
                },
                completed_at: s.completed_at,
                completed_by: staff.then_some(s.completed_by.as_ref()),
            })
            .collect();
        OrderView {
            id: &self.id,
            offer_id: &self.offer_id,
            offer_category: self.offer_category,
            offer_title: text(&self.offer_title),
            status: self.status,
            current_step: self.current_step,
            steps,
            reason: self.reason.as_deref(),
            answers: &self.answers,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            activated_at: self.activated_at,
            ended_at: self.ended_at,
            locale: lang,
            user: staff.then_some(&self.user),
            notes: staff.then_some(&self.notes),
        }
    }
}

/// An order as the app (its user) or the back office (staff) shows it, in one language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderView<'a> {
    pub id: &'a str,
    pub offer_id: &'a str,
    pub offer_category: OfferCategory,
    pub offer_title: String,
    pub status: OrderStatus,
    pub current_step: Option<u8>,
    pub steps: Vec<OrderStepView<'a>>,
    pub reason: Option<&'a str>,
    pub answers: &'a Map<String, Value>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub locale: Lang,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a OrderUser>,
    /// Staff only: the internal notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a Vec<OrderNote>>,
}

/// One of an order's five steps: `done`, `current`, `pending` or `skipped` (order ended).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderStepView<'a> {
    pub number: u8,
    pub name: String,
    pub explanation: String,
    pub status: &'static str,
    pub completed_at: Option<DateTime<Utc>>,
    /// Staff only (`Some(None)`: not completed yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_by: Option<Option<&'a Actor>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use std::collections::BTreeMap;

    use super::*;
    use crate::journey::{Field, FieldType};
    use crate::offer::{OfferContent, OfferInput};

    fn offer(active: bool) -> Offer {
        let input = OfferInput {
            category: OfferCategory::Hardware,
            content: BTreeMap::from([(
                Lang::De,
                OfferContent {
                    title: "Wallbox".into(),
                    header: "Laden zu Hause".into(),
                    description: "d".into(),
                    details: "x".into(),
                    shop_url: None,
                },
            )]),
            teaser_image_url: None,
            detail_image_url: None,
            questionnaire: vec![Field {
                key: "parking".into(),
                label: I18n::from([(Lang::De, "Parkplatz".to_string())]).into(),
                kind: FieldType::Select,
                required: true,
                options: Some(vec!["garage".into(), "outdoor".into()]),
            }],
        };
        let mut o = Offer::create("of1".into(), input, Utc::now()).unwrap().0;
        if active {
            o.activate(None, Utc::now()).unwrap();
        }
        o
    }

    fn user() -> OrderUser {
        OrderUser {
            sub: "u1".into(),
            email: Some("u1@x.ch".into()),
            name: Some("Ursula".into()),
            locale: Some(Lang::Fr),
        }
    }

    fn answers() -> Map<String, Value> {
        json!({"parking": "garage"}).as_object().cloned().unwrap()
    }

    fn placed() -> Order {
        Order::place(
            "or1".into(),
            &offer(true),
            &OrderSteps::default_set(),
            user(),
            answers(),
            Utc::now(),
        )
        .unwrap()
        .0
    }

    fn admin() -> Actor {
        Actor::staff("alice", Some("Alice"))
    }

    #[test]
    fn placing_checks_the_offer_and_the_answers() {
        let steps = OrderSteps::default_set();
        let draft = offer(false);
        assert!(matches!(
            Order::place("x".into(), &draft, &steps, user(), answers(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        let bad = json!({"parking": "roof", "extra": 1}).as_object().cloned().unwrap();
        let Err(DomainError::Invalid(errors)) = Order::place("x".into(), &offer(true), &steps, user(), bad, Utc::now())
        else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["answers.extra", "answers.parking"]);
        let (order, changes) = Order::place("x".into(), &offer(true), &steps, user(), answers(), Utc::now()).unwrap();
        assert_eq!(crate::events::type_of(&changes[0]), "order_placed");
        assert_eq!(order.status, OrderStatus::InProgress);
        assert_eq!(order.current_step, Some(1));
        assert_eq!(order.steps.len(), 5);
        assert_eq!(order.offer_title[&Lang::De], "Wallbox");
    }

    #[test]
    fn five_steps_make_the_order_active() {
        let mut order = placed();
        for n in 1..=4u32 {
            let changes = order.advance(n, &admin(), Utc::now()).unwrap();
            assert_eq!(changes.len(), 1);
            assert_eq!(crate::events::type_of(&changes[0]), "order_step_completed");
            assert_eq!(
                serde_json::to_value(&changes[0]).unwrap()["data"],
                json!({"step": n, "final": false})
            );
            assert_eq!(order.current_step, Some(n as u8 + 1));
        }
        let changes = order.advance(5, &admin(), Utc::now()).unwrap();
        assert_eq!(
            changes.iter().map(crate::events::type_of).collect::<Vec<_>>(),
            ["order_step_completed", "order_activated"]
        );
        assert_eq!(serde_json::to_value(&changes[0]).unwrap()["data"]["final"], true);
        assert_eq!(order.status, OrderStatus::Active);
        assert_eq!(order.current_step, None);
        assert!(order.activated_at.is_some());
        assert!(order.steps.iter().all(|s| s.completed_at.is_some()));
        assert_eq!(order.steps[2].completed_by.as_ref().unwrap().id, "alice");
        assert_eq!(order.version, 6, "one version per change");
    }

    #[test]
    fn only_the_current_step_can_be_completed() {
        let mut order = placed();
        let before = order.clone();
        assert!(matches!(
            order.advance(2, &admin(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            order.advance(0, &admin(), Utc::now()),
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            order.advance(6, &admin(), Utc::now()),
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(order, before);
        order.advance(1, &admin(), Utc::now()).unwrap();
        // The double click: step 1 again.
        let before = order.clone();
        assert!(matches!(
            order.advance(1, &admin(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(order, before);
    }

    #[test]
    fn cancel_in_progress_only_with_a_reason() {
        let mut order = placed();
        order.advance(1, &admin(), Utc::now()).unwrap();
        let before = order.clone();
        assert!(matches!(order.cancel(" ", Utc::now()), Err(DomainError::Invalid(_))));
        assert!(matches!(
            order.deactivate("moved", Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(order, before);
        let changes = order.cancel(" moved away ", Utc::now()).unwrap();
        assert_eq!(crate::events::type_of(&changes[0]), "order_cancelled");
        assert_eq!(
            serde_json::to_value(&changes[0]).unwrap()["data"],
            json!({"reason": "moved away", "at_step": 2})
        );
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(order.reason.as_deref(), Some("moved away"));
        assert_eq!(order.current_step, None);
        assert!(!order.status.is_open());
    }

    #[test]
    fn deactivate_active_only_with_a_reason() {
        let mut order = placed();
        for n in 1..=5 {
            order.advance(n, &admin(), Utc::now()).unwrap();
        }
        let before = order.clone();
        assert!(matches!(order.deactivate("", Utc::now()), Err(DomainError::Invalid(_))));
        assert!(matches!(
            order.cancel("changed my mind", Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            order.advance(5, &admin(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(order.status.is_open(), "an active order is open");
        assert_eq!(order, before);
        let changes = order.deactivate("contract ended", Utc::now()).unwrap();
        assert_eq!(crate::events::type_of(&changes[0]), "order_deactivated");
        assert_eq!(order.status, OrderStatus::Deactivated);
        assert!(order.ended_at.is_some());
    }

    #[test]
    fn final_states_stay_final() {
        let mut cancelled = placed();
        cancelled.cancel("no longer needed", Utc::now()).unwrap();
        let mut deactivated = placed();
        for n in 1..=5 {
            deactivated.advance(n, &admin(), Utc::now()).unwrap();
        }
        deactivated.deactivate("ended", Utc::now()).unwrap();
        for order in [&mut cancelled, &mut deactivated] {
            let before = order.clone();
            assert!(matches!(
                order.advance(1, &admin(), Utc::now()),
                Err(DomainError::Conflict(_))
            ));
            assert!(matches!(
                order.advance(5, &admin(), Utc::now()),
                Err(DomainError::Conflict(_))
            ));
            assert!(matches!(
                order.cancel("again", Utc::now()),
                Err(DomainError::Conflict(_))
            ));
            assert!(matches!(
                order.deactivate("again", Utc::now()),
                Err(DomainError::Conflict(_))
            ));
            assert_eq!(*order, before);
        }
    }

    #[test]
    fn views_are_in_the_users_language() {
        let mut order = placed();
        order.advance(1, &admin(), Utc::now()).unwrap();
        let card = serde_json::to_value(order.view(Lang::Fr, Lang::De, false)).unwrap();
        assert_eq!(card["steps"][0]["name"], "Commande reçue");
        assert_eq!(card["steps"][0]["status"], "done");
        assert!(card["steps"][0]["completed_at"].is_string());
        assert!(
            card["steps"][0].get("completed_by").is_none(),
            "cards hide staff identities"
        );
        assert!(card.get("user").is_none());
        assert_eq!(card["steps"][1]["status"], "current");
        assert_eq!(card["steps"][2]["status"], "pending");
        assert_eq!(card["current_step"], 2);
        assert_eq!(card["status"], "in_progress");
        // The offer had only German: the title falls back.
        assert_eq!(card["offer_title"], "Wallbox");
        let staff = serde_json::to_value(order.view(Lang::It, Lang::De, true)).unwrap();
        assert_eq!(
            staff["steps"][1]["explanation"],
            "Abbiamo verificato i Suoi dati; il Suo ordine può essere eseguito."
        );
        assert_eq!(staff["steps"][0]["completed_by"]["id"], "alice");
        assert_eq!(staff["user"]["sub"], "u1");
        order.cancel("x", Utc::now()).unwrap();
        let card = serde_json::to_value(order.view(Lang::De, Lang::De, false)).unwrap();
        assert_eq!(card["current_step"], Value::Null);
        assert_eq!(card["steps"][4]["status"], "skipped");
        assert_eq!(card["reason"], "x");
    }

    #[test]
    fn step_configurations_are_checked() {
        let default = OrderSteps::default_set();
        assert_eq!(default.steps.len(), STEP_COUNT);
        for s in &default.steps {
            for lang in Lang::ALL {
                assert!(s.name.contains_key(&lang) && s.explanation.contains_key(&lang));
            }
            assert!(s.name.values().chain(s.explanation.values()).all(|t| !t.contains('ß')));
        }
        let ok = OrderStepsInput {
            steps: default.steps.clone(),
        };
        assert!(ok.validate().is_ok());
        let mut bad = OrderStepsInput {
            steps: default.steps[..4].to_vec(),
        };
        bad.steps[1].name = I18n::new();
        bad.steps[2].explanation.insert(Lang::En, " ".into());
        let Err(DomainError::Invalid(errors)) = bad.validate() else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["steps", "steps[1].name", "steps[2].explanation.en"]);
        let view = serde_json::to_value(default.view()).unwrap();
        assert_eq!(view["custom"], false);
        assert_eq!(view["steps"][4]["number"], 5);
    }
}
