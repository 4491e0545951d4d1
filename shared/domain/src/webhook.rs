//! Outbound webhooks: admins subscribe URLs to event types; every event of those types is a
//! delivery, signed like inbound webhooks, tried until it is taken (a 2xx answer) with
//! exponential backoff for up to a day, then dead. A subscription that has failed for a day
//! is disabled (its admin is told); deliveries can be sent again by hand.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{DomainError, FieldError};
use crate::events::SubscriptionEvent;
use crate::into_result;
use crate::trigger::TriggerOwner;

/// How long a delivery is tried, and how long a subscription may fail before it is disabled.
pub const GIVE_UP_HOURS: i64 = 24;
/// The first retry's wait; each next one doubles, up to [`MAX_BACKOFF_MINUTES`].
pub const FIRST_BACKOFF_SECONDS: i64 = 30;
pub const MAX_BACKOFF_MINUTES: i64 = 120;
/// What a delivery keeps of a response's body.
pub const RESPONSE_KEPT: usize = 1024;
/// The attempts a delivery keeps in its log (the newest).
pub const ATTEMPTS_KEPT: usize = 20;

/// The event types a subscription may name (`*`: all of them).
pub const EVENT_TYPES: &[&str] = &[
    "run_started",
    "step_activated",
    "step_completed",
    "run_completed",
    "run_cancelled",
    "order_placed",
    "order_step_completed",
    "order_activated",
    "order_cancelled",
    "order_deactivated",
    "partner_accepted",
    "document_added",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    Active,
    Disabled,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// `https://…` (local-server also takes `http://`).
    pub url: String,
    /// Event types (`order_placed`, …) or `*`.
    pub event_types: Vec<String>,
    /// `false` pauses it; `true` on a disabled one enables it again.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub status: SubscriptionStatus,
    /// Since when every attempt failed (none: the last one was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_by: TriggerOwner,
    /// Made in local-server (a development tool): it may reach loopback and private
    /// addresses over plain http. Never in AWS.
    #[serde(default)]
    pub allow_private_targets: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SubscriptionInput {
    fn checked(self) -> Result<SubscriptionInput, DomainError> {
        let mut errors = Vec::new();
        let url = self.url.trim().to_string();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() > 2000 || url.contains(char::is_whitespace) {
            errors.push(FieldError::new("url", "invalid", "must be an https:// URL"));
        }
        if self.event_types.is_empty() || self.event_types.len() > EVENT_TYPES.len() {
            errors.push(FieldError::new(
                "event_types",
                "invalid",
                "name at least one event type, or *",
            ));
        }
        for (i, t) in self.event_types.iter().enumerate() {
            if t != "*" && !EVENT_TYPES.contains(&t.as_str()) {
                errors.push(FieldError::new(
                    format!("event_types[{i}]"),
                    "unknown",
                    format!("is none of {}", EVENT_TYPES.join(", ")),
                ));
            }
        }
        into_result(errors)?;
        Ok(SubscriptionInput { url, ..self })
    }
}

impl Subscription {
    pub fn create(
        id: String,
        input: SubscriptionInput,
        created_by: TriggerOwner,
        allow_private_targets: bool,
        now: DateTime<Utc>,
    ) -> Result<(Subscription, Vec<SubscriptionEvent>), DomainError> {
        let input = input.checked()?;
        let s = Subscription {
            id,
            url: input.url,
            event_types: input.event_types,
            status: if input.enabled {
                SubscriptionStatus::Active
            } else {
                SubscriptionStatus::Disabled
            },
            failing_since: None,
            disabled_reason: None,
            created_by,
            allow_private_targets,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = SubscriptionEvent::SubscriptionCreated { url: s.url.clone() };
        Ok((s, vec![event]))
    }

    pub fn update(
        &mut self,
        input: SubscriptionInput,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, DomainError> {
        let input = input.checked()?;
        self.url = input.url;
        self.event_types = input.event_types;
        self.status = if input.enabled {
            SubscriptionStatus::Active
        } else {
            SubscriptionStatus::Disabled
        };
        if input.enabled {
            self.failing_since = None;
            self.disabled_reason = None;
        }
        self.updated_at = now;
        self.version += 1;
        Ok(vec![SubscriptionEvent::SubscriptionChanged {
            url: self.url.clone(),
            enabled: input.enabled,
        }])
    }

    pub fn wants(&self, event_type: &str) -> bool {
        self.status == SubscriptionStatus::Active && self.event_types.iter().any(|t| t == "*" || t == event_type)
    }

    /// An attempt's result; a day of failures disables it. Events only when its state changes
    /// (an empty list: nothing to write).
    pub fn noted(&mut self, taken: bool, now: DateTime<Utc>) -> Option<Vec<SubscriptionEvent>> {
        if taken {
            self.failing_since.take()?;
            self.version += 1;
            return Some(Vec::new());
        }
        let Some(since) = self.failing_since else {
            self.failing_since = Some(now);
            self.version += 1;
            return Some(Vec::new());
        };
        if self.status == SubscriptionStatus::Active && now - since >= Duration::hours(GIVE_UP_HOURS) {
            self.status = SubscriptionStatus::Disabled;
            let reason = format!("every delivery failed since {}", since.to_rfc3339());
            self.disabled_reason = Some(reason.clone());
            self.version += 1;
            return Some(vec![SubscriptionEvent::SubscriptionDisabled { reason }]);
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Tried for a day (or its subscription is disabled): sent no more unless by hand.
    Dead,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why no answer came (refused address, timeout, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first KB of the answer's body.
    #[serde(default)]
    pub response: String,
}

impl Attempt {
    pub fn taken(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    /// `{subscription}.{event}`: one per subscription and event.
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub event_type: String,
    /// What is sent: `{id, type, created_at, aggregate, aggregate_id, data}`.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The newest attempts, oldest first.
    #[serde(default)]
    pub log: Vec<Attempt>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    /// The due-index time its stored item has (the store writes it).
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub wake_at: Option<DateTime<Utc>>,
    /// When the current series of tries began (a redelivery starts a new one).
    pub tries_since: DateTime<Utc>,
}

impl Delivery {
    pub fn new(
        subscription_id: &str,
        event_id: &str,
        event_type: &str,
        payload: Value,
        now: DateTime<Utc>,
    ) -> Delivery {
        Delivery {
            id: format!("{subscription_id}.{event_id}"),
            subscription_id: subscription_id.to_string(),
            event_id: event_id.to_string(),
            event_type: event_type.to_string(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            log: Vec::new(),
            version: 1,
            created_at: now,
            wake_at: None,
            tries_since: now,
        }
    }

    /// The wait after the `n`th failed attempt.
    pub fn backoff(n: u32) -> Duration {
        let secs = FIRST_BACKOFF_SECONDS.saturating_mul(1_i64 << n.saturating_sub(1).min(20));
        Duration::seconds(secs.min(MAX_BACKOFF_MINUTES * 60))
    }

    /// Records an attempt: taken, tried again later, or dead after a day of tries.
    pub fn record(&mut self, attempt: Attempt, now: DateTime<Utc>) {
        let taken = attempt.taken();
        self.attempts += 1;
        self.log.push(attempt);
        if self.log.len() > ATTEMPTS_KEPT {
            self.log.remove(0);
        }
        self.version += 1;
        if taken {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt_at = None;
        } else if now - self.tries_since >= Duration::hours(GIVE_UP_HOURS) {
            self.status = DeliveryStatus::Dead;
            self.next_attempt_at = None;
        } else {
            self.next_attempt_at = Some(now + Delivery::backoff(self.attempts));
        }
    }

    /// Its subscription is disabled: no more tries.
    pub fn abandon(&mut self) {
        self.status = DeliveryStatus::Dead;
        self.next_attempt_at = None;
        self.version += 1;
    }

    /// Sent again by hand: a new series of tries, now.
    pub fn redeliver(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status == DeliveryStatus::Pending {
            return Err(DomainError::Conflict("the delivery is still being tried".into()));
        }
        self.status = DeliveryStatus::Pending;
        self.next_attempt_at = Some(now);
        self.tries_since = now;
        self.version += 1;
        Ok(())
    }

    pub fn wake(&self) -> Option<DateTime<Utc>> {
        self.next_attempt_at.filter(|_| self.status == DeliveryStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failed(at: DateTime<Utc>) -> Attempt {
        Attempt {
            at,
            status_code: Some(500),
            error: None,
            response: "oops".into(),
        }
    }

    #[test]
    fn deliveries_back_off_then_die_after_a_day_and_can_be_sent_again() {
        assert_eq!(Delivery::backoff(1), Duration::seconds(30));
        assert_eq!(Delivery::backoff(2), Duration::seconds(60));
        assert_eq!(Delivery::backoff(30), Duration::minutes(MAX_BACKOFF_MINUTES));
        let t0 = Utc::now();
        let mut d = Delivery::new("s1", "e1", "order_placed", json!({}), t0);
        assert_eq!(d.wake(), Some(t0));
        d.record(failed(t0), t0);
        assert_eq!(d.wake(), Some(t0 + Duration::seconds(30)));
        d.record(failed(t0), t0 + Duration::hours(25));
        assert_eq!((d.status, d.wake()), (DeliveryStatus::Dead, None));
        d.redeliver(t0 + Duration::hours(26)).unwrap();
        assert!(d.redeliver(t0).is_err(), "pending already");
        let ok = Attempt {
            status_code: Some(204),
            ..failed(t0)
        };
        d.record(ok, t0 + Duration::hours(26));
        assert_eq!(d.status, DeliveryStatus::Delivered);
        assert_eq!(d.attempts, 3);
    }

    #[test]
    fn a_subscription_fails_for_a_day_before_it_is_disabled() {
        let t0 = Utc::now();
        let owner = TriggerOwner {
            sub: "ada".into(),
            email: None,
            name: None,
            locale: None,
        };
        let bad = SubscriptionInput {
            url: "ftp://x".into(),
            event_types: vec!["nope".into()],
            enabled: true,
        };
        let Err(DomainError::Invalid(e)) = Subscription::create("s".into(), bad, owner.clone(), false, t0) else {
            panic!()
        };
        assert_eq!(e.len(), 2);
        let input = SubscriptionInput {
            url: "https://crm.example/hook".into(),
            event_types: vec!["order_placed".into()],
            enabled: true,
        };
        let (mut s, _) = Subscription::create("s".into(), input, owner, false, t0).unwrap();
        assert!(s.wants("order_placed") && !s.wants("run_completed"));
        assert!(s.noted(false, t0).is_some(), "failing since now");
        assert!(s.noted(false, t0 + Duration::hours(1)).is_none(), "nothing changes");
        let off = s.noted(false, t0 + Duration::hours(24)).unwrap();
        assert!(matches!(&off[..], [SubscriptionEvent::SubscriptionDisabled { .. }]));
        assert!(!s.wants("order_placed"));
        assert!(s.noted(true, t0).is_some(), "a taken one clears the failure");
    }
}
