//! Reminders and escalation: a step's policy (before the due date, overdue every N days up to
//! M times, the owner told after K days overdue), what has been sent for its current due date,
//! and the run's commands the sweeper and staff use. Times are in the run's calendar:
//! reminders go out at [`REMINDER_HOUR`] in the morning of their day, a step becomes overdue
//! the moment its due date passes.
//!
//! Decisions: the most specific policy applies as a whole (the step's, else the process's,
//! else the tenant's; none: no reminders). The first overdue reminder goes out the morning
//! after the due day, each further one N days after the previous one, so a sweeper that was
//! down sends one reminder per step and the schedule goes on from there. A before-due
//! reminder whose time had passed when the step was activated, or once the step is overdue, is
//! not sent. A new due date starts the schedule afresh.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::due::RunCalendar;
use crate::events::{Actor, RunEvent};
use crate::run::{Run, RunStatus, RunStep, StepStatus};
use crate::{DomainError, FieldError};

/// The local hour reminders go out at.
pub const REMINDER_HOUR: u32 = 8;
/// A manual reminder needs this long since the last reminder of the step.
pub const MANUAL_REMINDER_GAP_MINUTES: i64 = 60;
const MAX_DAYS: u32 = 365;

/// When a step's assignee is reminded and its owner told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderPolicy {
    /// A reminder this many days before the due day (1-365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_due_days: Option<u32>,
    /// Once overdue, a reminder every this many days (1-365)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_every_days: Option<u32>,
    /// …up to this many of them (default 3, at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_max: Option<u32>,
    /// The step's owner (else the run's creator) is told after this many days overdue (1-365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_days: Option<u32>,
}

/// Only an object is a policy (a derived struct would also take `[null, null]`).
impl<'de> Deserialize<'de> for ReminderPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(remote = "ReminderPolicy", deny_unknown_fields)]
        struct Fields {
            #[serde(default)]
            before_due_days: Option<u32>,
            #[serde(default)]
            overdue_every_days: Option<u32>,
            #[serde(default)]
            overdue_max: Option<u32>,
            #[serde(default)]
            escalate_after_days: Option<u32>,
        }
        let map = serde_json::Map::deserialize(d)?;
        Fields::deserialize(serde_json::Value::Object(map)).map_err(serde::de::Error::custom)
    }
}

impl ReminderPolicy {
    pub const DEFAULT_OVERDUE_MAX: u32 = 3;

    pub fn overdue_max(&self) -> u32 {
        self.overdue_max.unwrap_or(Self::DEFAULT_OVERDUE_MAX)
    }

    /// Checks the numbers; `at` is where the policy is (`reminders`, `steps[1].reminders`).
    pub fn validate(&self, at: &str, errors: &mut Vec<FieldError>) {
        let days = [
            ("before_due_days", self.before_due_days),
            ("overdue_every_days", self.overdue_every_days),
            ("escalate_after_days", self.escalate_after_days),
        ];
        for (name, v) in days {
            if v.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
                errors.push(FieldError::new(
                    format!("{at}.{name}"),
                    "out_of_range",
                    "must be 1-365 days",
                ));
            }
        }
        if self.overdue_max.is_some_and(|m| !(1..=50).contains(&m)) {
            errors.push(FieldError::new(
                format!("{at}.overdue_max"),
                "out_of_range",
                "must be 1-50",
            ));
        }
    }

    /// The most specific of the step's, the process's and the tenant's policies.
    pub fn resolve(
        step: Option<ReminderPolicy>,
        process: Option<ReminderPolicy>,
        tenant: Option<ReminderPolicy>,
    ) -> Option<ReminderPolicy> {
        step.or(process).or(tenant)
    }
}

/// Which reminder went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    BeforeDue,
    Overdue,
}

/// What was sent for a step's current due date (`due_at`; another one starts afresh).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reminded {
    /// The due date this record is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The before-due reminder went out (or was left out: too late for it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_due: bool,
    /// Since when the step is overdue (the sweeper marked it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_since: Option<DateTime<Utc>>,
    /// Overdue reminders sent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub overdue: u32,
    /// The owner was told.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escalated: bool,
    /// When the latest reminder (scheduled or manual) went out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<DateTime<Utc>>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What the sweeper or a reminder does next for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    BeforeDue,
    Overdue,
    Escalation,
    /// The step becomes overdue (no email; the run shows it and the overdue list has it).
    BecomesOverdue,
}

/// The next thing that happens to a step by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NextReminder {
    pub at: DateTime<Utc>,
    pub kind: NextAction,
}

impl RunCalendar {
    /// [`REMINDER_HOUR`] on a day, in this calendar's time zone.
    pub fn morning_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let at = day.and_hms_opt(REMINDER_HOUR, 0, 0).unwrap_or_default();
        let local = self.tz().from_local_datetime(&at);
        local
            .earliest()
            .or(local.latest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&at))
    }

    /// The local day of an instant.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz()).date_naive()
    }

    /// Whole local days from `now`'s day to `due`'s day (negative once past).
    pub fn days_between(&self, now: DateTime<Utc>, due: DateTime<Utc>) -> i64 {
        (self.day_of(due) - self.day_of(now)).num_days()
    }
}

impl RunStep {
    /// What was sent for its current due date.
    pub fn reminded_now(&self) -> Reminded {
        match &self.reminded {
            Some(r) if r.due_at == self.due_at => r.clone(),
            other => Reminded {
                due_at: self.due_at,
                last_at: other.as_ref().and_then(|r| r.last_at),
                ..Reminded::default()
            },
        }
    }

    /// Overdue at `now`: active, with a due date that has passed.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == StepStatus::Active && self.due_at.is_some_and(|d| d < now)
    }

    /// Every scheduled action still ahead for its current due date, each with its time.
    fn schedule(&self, calendar: &RunCalendar) -> Vec<NextReminder> {
        let (StepStatus::Active, Some(due)) = (self.status, self.due_at) else {
            return Vec::new();
        };
        let r = self.reminded_now();
        let due_day = calendar.day_of(due);
        let mut out = Vec::new();
        let mut add = |at: DateTime<Utc>, kind| out.push(NextReminder { at, kind });
        if r.overdue_since.is_none() {
            add(due, NextAction::BecomesOverdue);
        }
        let Some(policy) = self.reminders else {
            return out;
        };
        if let (Some(d), false) = (policy.before_due_days, r.before_due) {
            let at = calendar.morning_of(due_day - Duration::days(i64::from(d)));
            if self.activated_at.is_none_or(|a| a < at) && at < due {
                add(at, NextAction::BeforeDue);
            }
        }
        if let Some(n) = policy.overdue_every_days.filter(|_| r.overdue < policy.overdue_max()) {
            let at = match (r.overdue, r.last_at) {
                (0, _) | (_, None) => calendar.morning_of(due_day + Duration::days(1)),
                (_, Some(last)) => calendar.morning_of(calendar.day_of(last) + Duration::days(i64::from(n))),
            };
            add(at.max(due), NextAction::Overdue);
        }
        if let (Some(k), false) = (policy.escalate_after_days, r.escalated) {
            add(
                calendar.morning_of(due_day + Duration::days(i64::from(k))).max(due),
                NextAction::Escalation,
            );
        }
        out
    }

    /// The next scheduled action of the step.
    pub fn next_reminder(&self, calendar: &RunCalendar) -> Option<NextReminder> {
        self.schedule(calendar).into_iter().min_by_key(|n| n.at)
    }
}

impl Run {
    /// When the sweeper should next look at the run: its steps' earliest action, none while
    /// reminders are paused or once the run is finished.
    pub fn wake(&self) -> Option<DateTime<Utc>> {
        if self.status != RunStatus::Running || self.reminders_paused {
            return None;
        }
        self.steps
            .iter()
            .filter_map(|s| s.next_reminder(&self.calendar))
            .map(|n| n.at)
            .min()
    }

    /// Does what is due at `now`: marks steps overdue, sends at most one reminder per step
    /// (the most urgent), tells owners of steps overdue long enough. No events when nothing
    /// was due; the run's version moves whenever its state did.
    pub fn remind(&mut self, now: DateTime<Utc>) -> Vec<RunEvent> {
        if self.status != RunStatus::Running || self.reminders_paused {
            return Vec::new();
        }
        let calendar = self.calendar.clone();
        let mut events = Vec::new();
        let mut changed = false;
        for step in self.steps.iter_mut() {
            let due_now: Vec<NextAction> = step
                .schedule(&calendar)
                .into_iter()
                .filter(|n| n.at <= now)
                .map(|n| n.kind)
                .collect();
            if due_now.is_empty() {
                continue;
            }
            let Some(due) = step.due_at else { continue };
            let mut r = step.reminded_now();
            changed = true;
            if due_now.contains(&NextAction::BecomesOverdue) {
                r.overdue_since = Some(due);
                events.push(RunEvent::StepOverdue {
                    step_key: step.key.clone(),
                    due_at: due,
                });
            }
            let days = calendar.days_between(now, due);
            if due_now.contains(&NextAction::Overdue) {
                r.overdue += 1;
                r.before_due = true;
                r.last_at = Some(now);
                events.push(reminder_event(step, ReminderKind::Overdue, r.overdue, days, false));
            } else if due_now.contains(&NextAction::BeforeDue) {
                r.before_due = true;
                if now < due {
                    r.last_at = Some(now);
                    events.push(reminder_event(step, ReminderKind::BeforeDue, 1, days, false));
                }
            }
            if due_now.contains(&NextAction::Escalation) {
                r.escalated = true;
                events.push(RunEvent::StepEscalated {
                    step_key: step.key.clone(),
                    step_name: step.name.clone(),
                    owner: step.owner.clone(),
                    assignee: step.assignee.clone(),
                    due_at: due,
                    days_overdue: -days,
                });
            }
            step.reminded = Some(r);
        }
        if changed {
            self.version += 1;
        }
        events
    }

    /// Staff send a reminder for an active step now; 409 within an hour of the last one.
    pub fn remind_now(&mut self, key: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff send reminders"));
        }
        let i = self.active_step_index(key, actor)?;
        let step = &mut self.steps[i];
        let mut r = step.reminded_now();
        if let Some(last) = r
            .last_at
            .filter(|l| now - *l < Duration::minutes(MANUAL_REMINDER_GAP_MINUTES))
        {
            return Err(DomainError::Conflict(format!(
                "a reminder for this step went out less than an hour ago ({}); try again later",
                last.format("%Y-%m-%dT%H:%M:%SZ")
            )));
        }
        let (kind, days) = match step.due_at {
            Some(due) if due < now => (ReminderKind::Overdue, self.calendar.days_between(now, due)),
            Some(due) => (ReminderKind::BeforeDue, self.calendar.days_between(now, due)),
            None => (ReminderKind::BeforeDue, 0),
        };
        r.last_at = Some(now);
        let event = reminder_event(step, kind, r.overdue, days, true);
        step.reminded = Some(r);
        self.version += 1;
        Ok(vec![event])
    }

    /// Staff pause the run's reminders (and escalations), saying why; pausing a paused run
    /// changes nothing.
    pub fn pause_reminders(&mut self, reason: &str) -> Result<Vec<RunEvent>, DomainError> {
        let mut errors = Vec::new();
        crate::require_text(reason, "reason", 2000, &mut errors);
        crate::into_result(errors)?;
        self.ensure_running()?;
        if self.reminders_paused {
            return Ok(Vec::new());
        }
        self.reminders_paused = true;
        self.version += 1;
        Ok(vec![RunEvent::RemindersPaused {
            reason: reason.trim().to_string(),
        }])
    }

    /// Staff resume the run's reminders: what came due meanwhile goes out once, per step.
    pub fn resume_reminders(&mut self) -> Result<Vec<RunEvent>, DomainError> {
        self.ensure_running()?;
        if !self.reminders_paused {
            return Ok(Vec::new());
        }
        self.reminders_paused = false;
        self.version += 1;
        Ok(vec![RunEvent::RemindersResumed {}])
    }

    /// Whether any active step is overdue (as the sweeper last marked it).
    pub fn overdue(&self) -> bool {
        self.status == RunStatus::Running
            && self
                .steps
                .iter()
                .any(|s| s.status == StepStatus::Active && s.reminded_now().overdue_since.is_some())
    }
}

fn reminder_event(step: &RunStep, kind: ReminderKind, number: u32, days: i64, manual: bool) -> RunEvent {
    RunEvent::StepReminderSent {
        step_key: step.key.clone(),
        step_name: step.name.clone(),
        assignee: step.assignee.clone(),
        reminder: kind,
        number,
        due_at: step.due_at,
        days_left: days,
        manual,
    }
}

#[cfg(test)]
mod tests;
