//! Working together on a run: staff send a step back to its participant for changes, hand a
//! step to someone else or make someone else responsible for it, and team members claim and
//! release the steps of their team.
//!
//! Rules (decided here, see README):
//! - Changes can be requested on an active step that has a submission, or on the step just
//!   completed while no later step is done: it is active again (`changes_requested` says
//!   why and which fields), its answers stay, and the step that had become active after it
//!   waits again (its assignee hears of it once the step is done again).
//! - Reassigning works on pending and active steps; the new assignee of an active step is
//!   told at once, the one of a pending step when it becomes active.
//! - A team's step is the claimer's while claimed; completing it needs the claim, or a staff
//!   member's explicit override.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError};
use crate::events::{Actor, RunEvent};
use crate::i18n::{I18n, Lang, Text};
use crate::process::{Assignee, Owner};
use crate::run::{Run, StepStatus};
use crate::{into_result, require_email, require_text};

/// Why staff sent a step back, and which of its fields to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeRequest {
    pub reason: String,
    /// Keys of the journey's fields concerned (may be empty: the whole step).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub requested_by: Actor,
    pub requested_at: DateTime<Utc>,
}

/// The team member who took a team's step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claim {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub at: DateTime<Utc>,
}

impl Run {
    fn step_index(&self, key: &str) -> Result<usize, DomainError> {
        self.steps
            .iter()
            .position(|s| s.key == key)
            .ok_or(DomainError::NotFound("step"))
    }

    /// The labels of a step's journey fields `keys`, each language joined (for emails).
    fn field_labels(&self, i: usize, keys: &[String]) -> Text {
        let Some(journey) = &self.steps[i].journey else {
            return Text::default();
        };
        let labels: Vec<&Text> = keys
            .iter()
            .filter_map(|k| journey.fields.iter().find(|f| &f.key == k))
            .map(|f| &f.label)
            .collect();
        let joined: I18n = Lang::ALL
            .into_iter()
            .map(|lang| {
                let names: Vec<&str> = labels.iter().map(|t| t.pick(lang, lang)).collect();
                (lang, names.join(", "))
            })
            .collect();
        Text::Langs(joined)
    }

    /// Staff send a step back to its assignee with a reason (and the fields concerned).
    pub fn request_changes(
        &mut self,
        key: &str,
        reason: &str,
        fields: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff request changes"));
        }
        let i = self.step_index(key)?;
        let mut errors = Vec::new();
        require_text(reason, "reason", 2000, &mut errors);
        let known = |f: &String| {
            self.steps[i]
                .journey
                .as_ref()
                .is_some_and(|j| j.fields.iter().any(|x| &x.key == f))
        };
        for (n, f) in fields.iter().enumerate() {
            if !known(f) {
                errors.push(FieldError::new(
                    format!("fields[{n}]"),
                    "unknown_field",
                    "is not a field of this step's journey",
                ));
            }
        }
        into_result(errors)?;
        self.ensure_running()?;
        let reopened = match self.steps[i].status {
            StepStatus::Active if self.steps[i].submission.is_some() => false,
            StepStatus::Active => {
                return Err(DomainError::Conflict(format!(
                    "step {key} has nothing submitted to send back"
                )))
            }
            StepStatus::Done if self.steps[i + 1..].iter().all(|s| s.status != StepStatus::Done) => true,
            StepStatus::Done => {
                return Err(DomainError::Conflict(format!(
                    "a step after {key} is done already: it cannot go back"
                )))
            }
            _ => {
                return Err(DomainError::Conflict(format!(
                    "step {key} is not active or just completed"
                )))
            }
        };
        if reopened {
            // The step that became active after it waits again.
            for later in self.steps[i + 1..]
                .iter_mut()
                .filter(|s| s.status == StepStatus::Active)
            {
                later.status = StepStatus::Pending;
                later.activated_at = None;
                later.due_at = None;
                later.reminded = None;
                later.claimed = None;
            }
            let due = self.steps[i]
                .due_rule()
                .filter(|r| r.from == crate::due::DueFrom::Activated)
                .map(|r| r.due(now, &self.calendar));
            let step = &mut self.steps[i];
            step.status = StepStatus::Active;
            step.activated_at = Some(now);
            step.completed_at = None;
            step.completed_by = None;
            step.reminded = None;
            if due.is_some() {
                step.due_at = due;
            }
        }
        let field_labels = self.field_labels(i, fields);
        let reason = reason.trim().to_string();
        let step = &mut self.steps[i];
        step.changes_requested = Some(ChangeRequest {
            reason: reason.clone(),
            fields: fields.to_vec(),
            requested_by: actor.clone(),
            requested_at: now,
        });
        let contact = self.contact_for(&self.steps[i].assignee).cloned();
        let step = &self.steps[i];
        self.version += 1;
        Ok(vec![RunEvent::StepChangesRequested {
            step_key: key.into(),
            step_name: step.name.clone(),
            assignee: step.assignee.clone(),
            contact,
            reason,
            fields: fields.to_vec(),
            field_labels,
            reopened,
            due_at: step.due_at,
        }])
    }

    /// Staff give a pending or active step to another assignee (a staff member, a team, a
    /// partner, or the run's customer or installer).
    pub fn reassign_step(
        &mut self,
        key: &str,
        assignee: Assignee,
        actor: &Actor,
    ) -> Result<Vec<RunEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff reassign steps"));
        }
        let i = self.step_index(key)?;
        let mut errors = Vec::new();
        assignee.validate("assignee", &mut errors);
        if matches!(assignee, Assignee::Customer | Assignee::Installer) && self.contact_for(&assignee).is_none() {
            errors.push(FieldError::new(
                "assignee",
                "no_participant",
                format!("the run has no {}", assignee.kind()),
            ));
        }
        into_result(errors)?;
        self.open_step(i)?;
        if self.steps[i].assignee == assignee {
            return Err(DomainError::Conflict(format!("step {key} is assigned so already")));
        }
        let step = &mut self.steps[i];
        let old = std::mem::replace(&mut step.assignee, assignee);
        step.claimed = None;
        step.unreachable = None;
        let contact = self.contact_for(&self.steps[i].assignee).cloned();
        let step = &self.steps[i];
        self.version += 1;
        Ok(vec![RunEvent::StepReassigned {
            step_key: key.into(),
            step_name: step.name.clone(),
            old,
            assignee: step.assignee.clone(),
            contact,
            active: step.status == StepStatus::Active,
            info_text: step.info_texts.for_kind(step.assignee.kind()).cloned(),
            due_at: step.due_at,
        }])
    }

    /// Staff make someone else responsible for a pending or active step.
    pub fn change_owner(&mut self, key: &str, owner: Owner, actor: &Actor) -> Result<Vec<RunEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff change owners"));
        }
        let i = self.step_index(key)?;
        let mut errors = Vec::new();
        require_text(&owner.user_id, "user_id", 200, &mut errors);
        require_email(&owner.email, "email", &mut errors);
        if owner.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            errors.push(FieldError::too_long("name", 200));
        }
        into_result(errors)?;
        self.open_step(i)?;
        let owner = Owner {
            user_id: owner.user_id.trim().to_string(),
            email: owner.email.trim().to_string(),
            name: owner.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        };
        let step = &mut self.steps[i];
        let old = step.owner.replace(owner.clone());
        let step = &self.steps[i];
        self.version += 1;
        Ok(vec![RunEvent::StepOwnerChanged {
            step_key: key.into(),
            step_name: step.name.clone(),
            old,
            owner,
        }])
    }

    /// A member of the step's team takes it (`member`: the caller is one, checked against
    /// the team by the caller of this).
    pub fn claim(&mut self, key: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError> {
        let i = self.step_index(key)?;
        self.open_step(i)?;
        let step = &self.steps[i];
        let Assignee::Team { team_id } = &step.assignee else {
            return Err(DomainError::Conflict(format!("step {key} is not a team's")));
        };
        if let Some(c) = &step.claimed {
            return Err(DomainError::Conflict(if c.user_id == actor.id {
                format!("you have claimed step {key} already")
            } else {
                format!("step {key} is claimed by someone else")
            }));
        }
        let team_id = team_id.clone();
        self.steps[i].claimed = Some(Claim {
            user_id: actor.id.clone(),
            name: actor.name.clone(),
            at: now,
        });
        self.version += 1;
        Ok(vec![RunEvent::StepClaimed {
            step_key: key.into(),
            team_id,
        }])
    }

    /// The claimer (or staff overriding) gives a team's step back to the team.
    pub fn release(&mut self, key: &str, actor: &Actor, force: bool) -> Result<Vec<RunEvent>, DomainError> {
        let i = self.step_index(key)?;
        self.open_step(i)?;
        let Some(claim) = self.steps[i].claimed.clone() else {
            return Err(DomainError::Conflict(format!("step {key} is not claimed")));
        };
        if claim.user_id != actor.id && !(force && actor.is_staff()) {
            return Err(DomainError::Forbidden("only the claimer releases the step"));
        }
        self.steps[i].claimed = None;
        self.version += 1;
        Ok(vec![RunEvent::StepReleased {
            step_key: key.into(),
            claimed_by: claim.user_id,
        }])
    }

    /// A pending or active step of a running run (done ones are history).
    fn open_step(&self, i: usize) -> Result<(), DomainError> {
        self.ensure_running()?;
        match self.steps[i].status {
            StepStatus::Pending | StepStatus::Active => Ok(()),
            _ => Err(DomainError::Conflict(format!(
                "step {} is done; it keeps its assignment",
                self.steps[i].key
            ))),
        }
    }

    /// Whether `actor` may complete a team's step: it is theirs by claim, or staff override.
    pub(crate) fn team_claim_allows(&self, i: usize, actor: &Actor, force: bool) -> Result<(), DomainError> {
        let step = &self.steps[i];
        if !matches!(step.assignee, Assignee::Team { .. }) {
            return Ok(());
        }
        match &step.claimed {
            Some(c) if c.user_id == actor.id => Ok(()),
            _ if force && actor.is_staff() => Ok(()),
            Some(_) => Err(DomainError::Conflict(format!(
                "step {} is claimed by someone else (staff may override)",
                step.key
            ))),
            None => Err(DomainError::Conflict(format!(
                "claim step {} first (staff may override)",
                step.key
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
