//! Triggers at work. The event path hands every event to [`on_event`] after its emails (the
//! same queue, the same retries): the triggers reacting to its kind (one Query) act, each
//! once per (trigger, source event). A failure that a retry cannot mend (the process is
//! archived, the order is at another step, the payload lacks a field) is recorded on the
//! trigger as `trigger_failed` and its creator is emailed; anything else (the table did not
//! answer) makes the event come back.

use chrono::{DateTime, Utc};
use domain::events::{Actor, Event, OrderEvent, PartnerEvent, RunEvent};
use domain::i18n::Lang;
use domain::order::{Order, OrderStatus};
use domain::process::Process;
use domain::run::{Contact, Creator, Participants, Run, RunContext, RunInput};
use domain::trigger::{contact_from_payload, ContactSource, Happened, Trigger, TriggerAction, TriggerOn};
use serde_json::Value;
use store::Table;

use crate::error::{AppError, AppResult};
use crate::repo::{self, load, runs, triggers};

/// What a trigger acts on: the event and what it is about.
pub struct Source<'a> {
    pub tenant: &'a str,
    pub event_id: &'a str,
    pub order: Option<Order>,
    pub run: Option<Run>,
    /// A webhook's payload.
    pub payload: Option<&'a Value>,
    /// A test of the trigger: the run it starts is a test run.
    pub test: bool,
}

/// What an action came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Started(String),
    OrderStepDone(String, u8),
    /// Nothing to do (the order step was done already).
    Nothing,
}

/// The kind of trigger an event wakes, if any.
fn kind_of(event: &Event) -> Option<TriggerOn> {
    match event {
        Event::Order(OrderEvent::OrderPlaced { .. }) => Some(TriggerOn::OrderPlaced),
        Event::Order(OrderEvent::OrderActivated {}) => Some(TriggerOn::OrderActivated),
        Event::Order(OrderEvent::OrderCancelled { .. }) => Some(TriggerOn::OrderCancelled),
        Event::Run(RunEvent::RunCompleted {}) => Some(TriggerOn::RunCompleted),
        Event::Partner(PartnerEvent::PartnerAccepted { .. }) => Some(TriggerOn::PartnerActivated),
        _ => None,
    }
}

/// Lets the triggers reacting to an event act; the number that acted.
pub async fn on_event(
    table: &dyn Table,
    tenant: &str,
    event_id: &str,
    aggregate_id: &str,
    event: &Event,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let Some(on) = kind_of(event) else {
        return Ok(0);
    };
    let candidates = triggers::reacting_to(table, tenant, on).await?;
    if candidates.iter().all(|t| !t.enabled) {
        return Ok(0);
    }
    let mut source = Source {
        tenant,
        event_id,
        order: None,
        run: None,
        payload: None,
        test: false,
    };
    if on.has_order() {
        source.order = Some(load(table, tenant, aggregate_id).await?);
    }
    if on == TriggerOn::RunCompleted {
        let run: Run = load(table, tenant, aggregate_id).await?;
        // Test runs start nothing and complete nothing.
        if run.test {
            return Ok(0);
        }
        source.run = Some(run);
    }
    let happened = Happened {
        on,
        offer: source.order.as_ref().map(|o| (o.offer_category, o.offer_id.as_str())),
        process_id: source.run.as_ref().map(|r| r.process_id.as_str()),
    };
    let mut acted = 0;
    for t in candidates.iter().filter(|t| t.matches(&happened)) {
        fire(table, t, &source, now).await?;
        acted += 1;
    }
    Ok(acted)
}

/// One trigger acts on a source; a lasting failure is recorded (and its creator told) and
/// returned as `Err(AppError::Domain)`, a passing one as any other error.
pub async fn fire(table: &dyn Table, t: &Trigger, source: &Source<'_>, now: DateTime<Utc>) -> AppResult<Outcome> {
    match act(table, t, source, now).await {
        Ok(outcome) => {
            tracing::info!(trigger = t.id, event_id = source.event_id, ?outcome, "trigger acted");
            Ok(outcome)
        }
        Err(AppError::Domain(e)) if !source.test => {
            let reason = reason_of(&e);
            tracing::warn!(trigger = t.id, event_id = source.event_id, reason, "trigger failed");
            let actor = trigger_actor(t);
            repo::change(table, source.tenant, &t.id, &actor, now, |t: &mut Trigger, now| {
                Ok(t.failed(source.event_id, &reason, now))
            })
            .await?;
            Err(AppError::Domain(e))
        }
        Err(e) => Err(e),
    }
}

/// Why an action failed, for people: what was invalid, field by field.
fn reason_of(e: &domain::DomainError) -> String {
    match e {
        domain::DomainError::Invalid(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn trigger_actor(t: &Trigger) -> Actor {
    Actor::new("trigger", &t.id, Some(&t.name))
}

fn failed(reason: impl Into<String>) -> AppError {
    AppError::Domain(domain::DomainError::Conflict(reason.into()))
}

async fn act(table: &dyn Table, t: &Trigger, source: &Source<'_>, now: DateTime<Utc>) -> AppResult<Outcome> {
    match &t.action {
        TriggerAction::StartRun {
            process_id,
            customer,
            installer,
            title,
        } => {
            let process: Process = match repo::definitions::get(table, source.tenant, process_id).await {
                Err(e) if e.is_not_found() => return Err(failed(format!("the process {process_id} does not exist"))),
                other => other?,
            };
            let contact = |s: &Option<ContactSource>, role: &str| -> Result<Option<Contact>, AppError> {
                match s {
                    None => Ok(None),
                    Some(ContactSource::Fixed { contact }) => Ok(Some(contact.clone())),
                    Some(ContactSource::OrderUser) => {
                        let order = source.order.as_ref().ok_or_else(|| failed("the event has no order"))?;
                        let email = order.user.email.clone().ok_or_else(|| {
                            failed(format!("the order's end user has no email address for the {role}"))
                        })?;
                        Ok(Some(Contact {
                            name: order.user.name.clone().unwrap_or_else(|| email.clone()),
                            email,
                            locale: order.user.locale,
                        }))
                    }
                    Some(p @ ContactSource::Payload { .. }) => {
                        let payload = source.payload.ok_or_else(|| failed("the event has no payload"))?;
                        contact_from_payload(p, payload).map_err(|e| failed(format!("{role}: {e}")))
                    }
                }
            };
            let title = match (title, source.payload, &source.order) {
                (Some(pointer), Some(payload), _) => {
                    payload.pointer(pointer).and_then(Value::as_str).map(str::to_string)
                }
                (_, _, Some(order)) => domain::i18n::pick(&order.offer_title, Lang::FALLBACK).map(str::to_string),
                _ => None,
            };
            let input = RunInput {
                context: RunContext {
                    opportunity_id: None,
                    order_id: source.order.as_ref().map(|o| o.id.clone()),
                    title: title.map(|t| t.chars().take(300).collect()),
                },
                participants: Participants {
                    customer: contact(customer, "customer")?,
                    installer: contact(installer, "installer")?,
                },
                test: source.test,
            };
            let creator = Creator {
                sub: t.created_by.sub.clone(),
                email: t.created_by.email.clone(),
                name: t.created_by.name.clone(),
                locale: t.created_by.locale,
            };
            // Once per (trigger, event): a redelivered event finds the run it started, even
            // when the trigger starts another process by then.
            let idem = repo::Idempotency::new(source.tenant, "trigger", &t.id, Some(source.event_id), &source.event_id);
            let actor = trigger_actor(t);
            let run = runs::create_once(table, source.tenant, &process, input, creator, actor, idem, now).await?;
            Ok(Outcome::Started(run.id))
        }
        TriggerAction::CompleteOrderStep { step } => {
            let order_id = match (&source.order, &source.run) {
                (Some(o), _) => o.id.clone(),
                (None, Some(r)) => r
                    .context
                    .order_id
                    .clone()
                    .ok_or_else(|| failed("the completed run was not started for an order"))?,
                _ => return Err(failed("the event has no order")),
            };
            let order: Order = match load(table, source.tenant, &order_id).await {
                Err(e) if e.is_not_found() => return Err(failed(format!("the order {order_id} does not exist"))),
                other => other?,
            };
            let done = order
                .steps
                .iter()
                .find(|s| s.number == *step)
                .is_some_and(|s| s.completed_at.is_some());
            if done || order.status == OrderStatus::Active {
                return Ok(Outcome::Nothing);
            }
            let actor = trigger_actor(t);
            let step_n = u32::from(*step);
            repo::change(table, source.tenant, &order_id, &actor, now, |o: &mut Order, now| {
                o.advance(step_n, &actor, now)
            })
            .await?;
            Ok(Outcome::OrderStepDone(order_id, *step))
        }
    }
}
