//! Runs: a snapshot of a process definition moving step by step, and its state machine.
//!
//! Rules (decided here, see README): steps activate strictly in definition order; staff and
//! admins may complete any active step (they act for participants on the phone); a
//! participant may fill in and complete only the active steps assigned to them; completed and
//! cancelled runs are terminal: nothing changes them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::journey::{validate_answers, validate_draft, Field};
use super::process::{Assignee, InfoTexts, Owner, Process, ProcessStatus};
use super::{into_result, require_email, require_text};
pub use crate::collaboration::{ChangeRequest, Claim};
use crate::document::{Document, RequiredDocument};
use crate::due::{DueFrom, DueRule, RunCalendar};
use crate::error::{DomainError, FieldError};
pub use crate::events::Actor;
use crate::events::RunEvent;
use crate::i18n::{Lang, Missing, Text};
use crate::ids::participant_id;
use crate::reminders::{Reminded, ReminderPolicy};
pub use crate::values::{Contact, UndeliverableReason, Unreachable};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installer: Option<Contact>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// The order the run was started for (a trigger on `run_completed` can complete that
    /// order's step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    #[serde(default)]
    pub context: RunContext,
    #[serde(default)]
    pub participants: Participants,
    #[serde(default)]
    pub test: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Completed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Active,
    Done,
    Skipped,
}

/// The staff user who started the run (told when it completes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Creator {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JourneySnapshot {
    pub id: String,
    pub name: Text,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Submission {
    pub data: Map<String, Value>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Actor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunStep {
    pub key: String,
    pub name: Text,
    pub assignee: Assignee,
    #[serde(default)]
    pub info_texts: InfoTexts,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneySnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_by: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<Submission>,
    /// Set while the address this step's emails go to cannot be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Unreachable>,
    /// Documents the step needs before it can be done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_documents: Vec<RequiredDocument>,
    /// When it is due (runs started before due rules have `due_in_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DueRule>,
    /// Its reminder policy (the step's, the process's or the tenant's when the run started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<ReminderPolicy>,
    /// What was sent for its due date ([`RunStep::reminded_now`] reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<Reminded>,
    /// Staff sent it back to its assignee: why, and which fields (cleared when it is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_requested: Option<ChangeRequest>,
    /// A team's step: the member who claimed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claim>,
}

impl RunStep {
    /// Its due rule: `due`, else `due_in_days` after activation.
    pub fn due_rule(&self) -> Option<DueRule> {
        self.due
            .clone()
            .or_else(|| self.due_in_days.map(DueRule::days_after_activation))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Run {
    pub id: String,
    pub process_id: String,
    pub process_version: u64,
    pub process_name: Text,
    pub status: RunStatus,
    pub test: bool,
    #[serde(default)]
    pub context: RunContext,
    #[serde(default)]
    pub participants: Participants,
    pub steps: Vec<RunStep>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub created_by: Creator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// Its documents (deleted ones stay, marked, for the history), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// The calendar its due dates count in (its tenant's when it started).
    #[serde(default)]
    pub calendar: RunCalendar,
    /// The latest appointment set on it (what `from: appointment` counts from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_at: Option<DateTime<Utc>>,
    /// Staff paused its reminders and escalations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminders_paused: bool,
    /// When the sweeper looks at it next, as its row in the due index says (the store writes
    /// it, in step with [`Run::wake`]; not shown).
    #[serde(default, skip_serializing)]
    pub wake_at: Option<DateTime<Utc>>,
    /// The digests of the task and inbox rows its stored item was written with (the store
    /// keeps them; not shown).
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub row_digests: Vec<String>,
}

/// Who a participant of a run is, as the portal knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRef {
    /// `customer` or `installer`.
    pub kind: &'static str,
    pub id: String,
}

impl RunInput {
    fn validate(&self, process: &Process) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        for (kind, contact) in [
            ("customer", &self.participants.customer),
            ("installer", &self.participants.installer),
        ] {
            if let Some(c) = contact {
                require_text(&c.name, &format!("participants.{kind}.name"), 200, &mut errors);
                require_email(&c.email, &format!("participants.{kind}.email"), &mut errors);
            }
        }
        for (kind, contact, assignee) in [
            ("customer", &self.participants.customer, Assignee::Customer),
            ("installer", &self.participants.installer, Assignee::Installer),
        ] {
            if contact.is_none() && process.steps.iter().any(|s| s.assignee == assignee) {
                errors.push(FieldError::new(
                    format!("participants.{kind}"),
                    "required",
                    format!("is required: the process has a step for the {kind}"),
                ));
            }
        }
        if self
            .context
            .order_id
            .as_ref()
            .is_some_and(|o| o.is_empty() || o.len() > 64)
        {
            errors.push(FieldError::new(
                "context.order_id",
                "invalid",
                "must be 1 to 64 characters",
            ));
        }
        if let Some(t) = &self.context.title {
            if t.chars().count() > 300 {
                errors.push(FieldError::new(
                    "context.title",
                    "too_long",
                    "must be at most 300 characters",
                ));
            }
        }
        into_result(errors)
    }
}

/// Something the run was started with that its participants will notice: a language in which
/// a text they read is missing (they read it in the fallback language instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `missing_translation`.
    pub code: &'static str,
    /// The participant role (`customer`, `installer`, `partner`).
    pub participant: &'static str,
    /// For `partner`: which partner (one warning per language its users read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub lang: Lang,
    /// The texts that lack the language (`name`, `steps[0].name`, `steps[0].journey.fields[1].label`).
    pub texts: Vec<String>,
    pub message: String,
}

impl Run {
    /// Which texts each participant of the run will read in another language than theirs:
    /// the process and step names, and the info texts and journeys of their steps. Customers
    /// and installers read their contact's language; a partner's users each read theirs (else
    /// the partner's), so a partner is warned once per language its users read.
    pub fn translation_warnings(&self, tenant_default: Lang, partners: &[crate::partner::Partner]) -> Vec<Warning> {
        let mut out = Vec::new();
        for (role, contact) in [
            ("customer", &self.participants.customer),
            ("installer", &self.participants.installer),
        ] {
            let Some(contact) = contact else { continue };
            let lang = Lang::resolve(contact.locale, Some(tenant_default));
            let reads = |step: &RunStep| step.assignee.kind() == role;
            out.extend(self.warning(role, None, lang, tenant_default, reads));
        }
        for partner in partners {
            let mut langs: Vec<Lang> = partner
                .users
                .iter()
                .map(|u| Lang::resolve(u.locale.or(partner.locale), Some(tenant_default)))
                .collect();
            if langs.is_empty() {
                langs.push(Lang::resolve(partner.locale, Some(tenant_default)));
            }
            langs.sort_by_key(|l| l.code());
            langs.dedup();
            let reads = |step: &RunStep| matches!(&step.assignee, Assignee::Partner { partner_id } if *partner_id == partner.id);
            for lang in langs {
                out.extend(self.warning("partner", Some(&partner.id), lang, tenant_default, reads));
            }
        }
        out
    }

    /// The warning for one reader (`lang`) of the steps that `reads` picks, if a text lacks it.
    fn warning(
        &self,
        role: &'static str,
        partner_id: Option<&str>,
        lang: Lang,
        tenant_default: Lang,
        reads: impl Fn(&RunStep) -> bool,
    ) -> Option<Warning> {
        let mut missing = Missing::default();
        missing.check(&self.process_name, "name", tenant_default);
        for (i, step) in self.steps.iter().enumerate() {
            missing.check(&step.name, &format!("steps[{i}].name"), tenant_default);
            if !reads(step) {
                continue;
            }
            if let Some(text) = step.info_texts.for_kind(role) {
                let path = format!("steps[{i}].info_texts.{role}");
                missing.check(&Text::Langs(text.clone()), &path, tenant_default);
            }
            if let Some(j) = &step.journey {
                let at = format!("steps[{i}].journey");
                missing.check(&j.name, &format!("{at}.name"), tenant_default);
                crate::journey::missing_in_fields(&j.fields, &format!("{at}.fields"), tenant_default, &mut missing);
            }
        }
        let texts = missing.of(lang).to_vec();
        if texts.is_empty() {
            return None;
        }
        Some(Warning {
            code: "missing_translation",
            participant: role,
            partner_id: partner_id.map(str::to_string),
            lang,
            message: format!(
                "the {role} reads {}; {} text(s) lack it and show in the fallback language",
                lang.code(),
                texts.len()
            ),
            texts,
        })
    }

    /// Starts a run: snapshots the definition (and its journeys) and activates the first step.
    /// `calendar`: the tenant's, which the run keeps for its due dates; `tenant_reminders`: the
    /// tenant's default reminder policy.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: String,
        process: &Process,
        journeys: &[JourneySnapshot],
        input: RunInput,
        created_by: Creator,
        calendar: RunCalendar,
        tenant_reminders: Option<ReminderPolicy>,
        now: DateTime<Utc>,
    ) -> Result<(Run, Vec<RunEvent>), DomainError> {
        if process.status == ProcessStatus::Archived {
            return Err(DomainError::Conflict(
                "the process is archived; no new runs can be started".into(),
            ));
        }
        input.validate(process)?;
        let steps = process
            .steps
            .iter()
            .map(|s| RunStep {
                key: s.key.clone(),
                name: s.name.clone(),
                assignee: s.assignee.clone(),
                info_texts: s.info_texts.clone(),
                journey: s
                    .journey_id
                    .as_ref()
                    .and_then(|j| journeys.iter().find(|x| &x.id == j).cloned()),
                due_in_days: s.due_in_days,
                owner: s.owner.clone(),
                status: StepStatus::Pending,
                due_at: None,
                activated_at: None,
                completed_at: None,
                completed_by: None,
                submission: None,
                unreachable: None,
                required_documents: s.required_documents.clone(),
                due: s.due_rule(),
                reminders: ReminderPolicy::resolve(s.reminders, process.reminders, tenant_reminders),
                reminded: None,
                changes_requested: None,
                claimed: None,
            })
            .collect();
        let mut run = Run {
            id,
            process_id: process.id.clone(),
            process_version: process.version,
            process_name: process.name.clone(),
            status: RunStatus::Running,
            test: input.test,
            context: input.context,
            participants: input.participants,
            steps,
            version: 1,
            created_at: now,
            created_by,
            completed_at: None,
            cancel_reason: None,
            documents: Vec::new(),
            calendar,
            appointment_at: None,
            reminders_paused: false,
            wake_at: None,
            row_digests: Vec::new(),
        };
        let mut changes = vec![RunEvent::RunStarted {
            process_id: run.process_id.clone(),
            test: run.test,
        }];
        changes.extend(run.activate_next(now));
        Ok((run, changes))
    }

    /// The key of the active step, if any.
    pub fn current_step(&self) -> Option<&str> {
        self.steps
            .iter()
            .find(|s| s.status == StepStatus::Active)
            .map(|s| s.key.as_str())
    }

    pub fn step(&self, key: &str) -> Option<&RunStep> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The contact behind a customer or installer step.
    pub fn contact_for(&self, assignee: &Assignee) -> Option<&Contact> {
        match assignee {
            Assignee::Customer => self.participants.customer.as_ref(),
            Assignee::Installer => self.participants.installer.as_ref(),
            _ => None,
        }
    }

    /// The portal participant a step is assigned to, if any.
    pub fn participant_for(&self, step: &RunStep) -> Option<ParticipantRef> {
        if let Assignee::Partner { partner_id } = &step.assignee {
            return Some(ParticipantRef {
                kind: "partner",
                id: crate::partner::participant_of(partner_id),
            });
        }
        let contact = self.contact_for(&step.assignee)?;

        Some(ParticipantRef {
            kind: step.assignee.kind(),
            id: participant_id(&contact.email),
        })
    }

    /// Whether a participant has any step in this run.
    pub fn involves(&self, participant_id: &str) -> bool {
        self.steps
            .iter()
            .any(|s| self.participant_for(s).is_some_and(|p| p.id == participant_id))
    }

    /// Whether `actor` may fill in and complete `step` (staff: any step).
    pub fn may_act(&self, step: &RunStep, actor: &Actor) -> bool {
        actor.is_staff() || self.participant_for(step).is_some_and(|p| p.id == actor.id)
    }

    pub(crate) fn ensure_running(&self) -> Result<(), DomainError> {
        match self.status {
            RunStatus::Running => Ok(()),
            s => Err(DomainError::Conflict(format!(
                "the run is {}; nothing can change it",
                s.as_str()
            ))),
        }
    }

    pub(crate) fn active_step_index(&self, key: &str, actor: &Actor) -> Result<usize, DomainError> {
        let i = self
            .steps
            .iter()
            .position(|s| s.key == key)
            .ok_or(DomainError::NotFound("step"))?;
        if !self.may_act(&self.steps[i], actor) {
            return Err(DomainError::Forbidden("this step is not assigned to you"));
        }
        self.ensure_running()?;
        if self.steps[i].status != StepStatus::Active {
            return Err(DomainError::Conflict(format!("step {key} is not active")));
        }
        Ok(i)
    }

    fn activate_next(&mut self, now: DateTime<Utc>) -> Vec<RunEvent> {
        let Some(i) = self.steps.iter().position(|s| s.status == StepStatus::Pending) else {
            self.status = RunStatus::Completed;
            self.completed_at = Some(now);
            return vec![RunEvent::RunCompleted {}];
        };
        let due_at = self.steps[i].due_rule().and_then(|rule| self.due_from(&rule, now));
        let step = &mut self.steps[i];
        step.status = StepStatus::Active;
        step.activated_at = Some(now);
        step.due_at = due_at;
        let contact = match step.assignee {
            Assignee::Customer => self.participants.customer.clone(),
            Assignee::Installer => self.participants.installer.clone(),
            _ => None,
        };
        vec![RunEvent::StepActivated {
            step_key: step.key.clone(),
            step_name: step.name.clone(),
            assignee: step.assignee.clone(),
            contact,
            info_text: step.info_texts.for_kind(step.assignee.kind()).cloned(),
            due_at: step.due_at,
        }]
    }

    /// The due date a rule gives now, if its anchor has happened (`now`: the step's activation).
    fn due_from(&self, rule: &DueRule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let anchor = match &rule.from {
            DueFrom::Activated => Some(now),
            DueFrom::RunStarted => Some(self.created_at),
            DueFrom::Step(k) => self.step(k).and_then(|s| s.completed_at),
            DueFrom::Appointment => self.appointment_at,
        };
        anchor.map(|a| rule.due(a, &self.calendar))
    }

    /// Active steps whose rule counts from an anchor that just happened get their due date.
    fn anchor_happened(&mut self, happened: impl Fn(&DueFrom) -> bool, now: DateTime<Utc>) {
        for i in 0..self.steps.len() {
            let step = &self.steps[i];
            let Some(rule) = step.due_rule().filter(|r| happened(&r.from)) else {
                continue;
            };
            if step.status != StepStatus::Active {
                continue;
            }
            let due = self.due_from(&rule, now);
            self.steps[i].due_at = due.or(self.steps[i].due_at);
        }
    }

    /// Stores the answers to the active step's journey (all of them valid and complete).
    pub fn submit(
        &mut self,
        key: &str,
        data: Map<String, Value>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        self.store_answers(key, data, actor, now, true)
    }

    /// Stores answers; `complete: false` keeps them on the way (a page's "save"): each must
    /// fit its field, but required ones may still be missing until the step is marked done.
    pub fn store_answers(
        &mut self,
        key: &str,
        data: Map<String, Value>,
        actor: &Actor,
        now: DateTime<Utc>,
        complete: bool,
    ) -> Result<Vec<RunEvent>, DomainError> {
        let i = self.active_step_index(key, actor)?;
        let step = &mut self.steps[i];
        let journey = step
            .journey
            .as_ref()
            .ok_or_else(|| DomainError::Conflict(format!("step {key} has no journey to fill in")))?;
        if complete {
            validate_answers(&journey.fields, &data, "data")?;
        } else {
            validate_draft(&journey.fields, &data, "data")?;
        }
        // A file field's answer names documents of this very step.
        let mut errors = Vec::new();
        for f in journey
            .fields
            .iter()
            .filter(|f| f.kind == crate::journey::FieldType::File)
        {
            let ids = data.get(&f.key).and_then(Value::as_array).into_iter().flatten();
            for id in ids {
                let known = id.as_str().is_some_and(|id| {
                    self.documents
                        .iter()
                        .any(|d| d.id == id && !d.is_deleted() && d.step_key.as_deref() == Some(key))
                });
                if !known {
                    errors.push(FieldError::new(
                        format!("data.{}", f.key),
                        "unknown_document",
                        "names a document that is not one of this step",
                    ));
                    break;
                }
            }
        }
        into_result(errors)?;
        let step = &mut self.steps[i];
        step.submission = Some(Submission {
            data,
            submitted_at: now,
            submitted_by: actor.clone(),
        });
        self.version += 1;
        Ok(vec![RunEvent::StepSubmitted { step_key: key.into() }])
    }

    /// Marks the active step done and activates the next one (or completes the run).
    /// A participant must have filled in the step's journey first.
    pub fn complete(&mut self, key: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError> {
        self.complete_as(key, actor, false, now)
    }

    /// [`Run::complete`]; `force`: staff complete a team's step without holding its claim.
    pub fn complete_as(
        &mut self,
        key: &str,
        actor: &Actor,
        force: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        let i = self.active_step_index(key, actor)?;
        self.team_claim_allows(i, actor, force)?;
        // Its required documents, for everyone (staff upload them when they act for someone).
        let missing: Vec<FieldError> = self
            .missing_documents(key)
            .iter()
            .map(|r| {
                FieldError::new(
                    format!("required_documents.{}", r.key),
                    "required",
                    "is required: upload it before marking the step done",
                )
            })
            .collect();
        into_result(missing)?;
        let documents = self.document_names(key);
        let step = &mut self.steps[i];
        if !actor.is_staff() {
            if let Some(journey) = &step.journey {
                let empty = Map::new();
                let data = step.submission.as_ref().map(|s| &s.data).unwrap_or(&empty);
                validate_answers(&journey.fields, data, "data")?;
            }
        }
        step.status = StepStatus::Done;
        step.completed_at = Some(now);
        step.completed_by = Some(actor.clone());
        step.changes_requested = None;
        let mut changes = vec![RunEvent::StepCompleted {
            step_key: key.into(),
            step_name: step.name.clone(),
            owner: step.owner.clone(),
            documents,
        }];
        changes.extend(self.activate_next(now));
        let done = key.to_string();
        self.anchor_happened(|from| matches!(from, DueFrom::Step(k) if *k == done), now);
        self.version += 1;
        Ok(changes)
    }

    /// Sets the due date of the active step (a partner's commissioning appointment).
    pub fn set_due_date(
        &mut self,
        key: &str,
        due_at: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        let i = self.active_step_index(key, actor)?;
        if due_at <= now {
            return Err(DomainError::invalid("due_at", "not_in_future", "must be in the future"));
        }
        let step = &mut self.steps[i];
        let old = step.due_at;
        step.due_at = Some(due_at);
        self.appointment_at = Some(due_at);
        let own = key.to_string();
        // Other active steps that count from the appointment: their due date follows it.
        for j in 0..self.steps.len() {
            let other = &self.steps[j];
            if other.key == own || other.status != StepStatus::Active {
                continue;
            }
            if let Some(rule) = other.due_rule().filter(|r| r.from == DueFrom::Appointment) {
                self.steps[j].due_at = Some(rule.due(due_at, &self.calendar));
            }
        }
        let step = &self.steps[i];
        self.version += 1;
        Ok(vec![RunEvent::StepDueDateSet {
            step_key: key.into(),
            step_name: step.name.clone(),
            old,
            new: due_at,
            owner: step.owner.clone(),
        }])
    }

    /// Staff set or move an active step's due date, saying why.
    pub fn move_due_date(
        &mut self,
        key: &str,
        due_at: DateTime<Utc>,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunEvent>, DomainError> {
        if !actor.is_staff() {
            return Err(DomainError::Forbidden("only staff move due dates"));
        }
        let mut errors = Vec::new();
        require_text(reason, "reason", 2000, &mut errors);
        if due_at <= now {
            errors.push(FieldError::new("due_at", "not_in_future", "must be in the future"));
        }
        into_result(errors)?;
        let i = self.active_step_index(key, actor)?;
        let step = &mut self.steps[i];
        let old = step.due_at.replace(due_at);
        self.version += 1;
        Ok(vec![RunEvent::StepDueDateMoved {
            step_key: key.into(),
            old,
            new: due_at,
            reason: reason.trim().to_string(),
        }])
    }

    /// Cancels a running run; the steps not yet done are skipped.
    pub fn cancel(&mut self, reason: &str, now: DateTime<Utc>) -> Result<Vec<RunEvent>, DomainError> {
        let mut errors = Vec::new();
        require_text(reason, "reason", 2000, &mut errors);
        into_result(errors)?;
        self.ensure_running()?;
        for s in self
            .steps
            .iter_mut()
            .filter(|s| matches!(s.status, StepStatus::Pending | StepStatus::Active))
        {
            s.status = StepStatus::Skipped;
        }
        self.status = RunStatus::Cancelled;
        self.cancel_reason = Some(reason.trim().to_string());
        self.completed_at = Some(now);
        self.version += 1;
        Ok(vec![RunEvent::RunCancelled {
            reason: reason.trim().into(),
        }])
    }

    /// The address a step's emails go to, when it is one person's (partners: their users).
    fn recipient_email<'a>(&'a self, step: &'a RunStep) -> Option<&'a str> {
        match &step.assignee {
            Assignee::Staff { email, .. } => Some(email),
            Assignee::Customer | Assignee::Installer => self.contact_for(&step.assignee).map(|c| c.email.as_str()),
            Assignee::Partner { .. } | Assignee::Team { .. } => None,
        }
    }

    /// Marks the steps not yet done whose emails go to an address that cannot be reached;
    /// no event when none changes (already marked, or nobody of this run).
    pub fn mark_unreachable(&mut self, unreachable: &Unreachable) -> Vec<RunEvent> {
        let matching: Vec<usize> = (0..self.steps.len())
            .filter(|&i| {
                let s = &self.steps[i];
                matches!(s.status, StepStatus::Pending | StepStatus::Active)
                    && s.unreachable.is_none()
                    && self
                        .recipient_email(s)
                        .is_some_and(|e| e.eq_ignore_ascii_case(&unreachable.email))
            })
            .collect();
        if matching.is_empty() {
            return Vec::new();
        }
        let mut step_keys = Vec::new();
        for i in matching {
            self.steps[i].unreachable = Some(unreachable.clone());
            step_keys.push(self.steps[i].key.clone());
        }
        self.version += 1;
        vec![RunEvent::ParticipantUnreachable {
            unreachable: unreachable.clone(),
            step_keys,
        }]
    }

    /// Staff correct the customer's or installer's contact (`role`): the marks of the old
    /// address go, and a changed address ends the old one's portal access to this run at once
    /// (the portal asks the run who its participants are). Returns the old contact.
    pub fn change_participant(
        &mut self,
        role: &str,
        contact: Contact,
    ) -> Result<(Contact, Vec<RunEvent>), DomainError> {
        let assignee = match role {
            "customer" => Assignee::Customer,
            "installer" => Assignee::Installer,
            _ => return Err(DomainError::NotFound("participant role")),
        };
        let mut errors = Vec::new();
        require_text(&contact.name, "name", 200, &mut errors);
        require_email(&contact.email, "email", &mut errors);
        into_result(errors)?;
        self.ensure_running()?;
        let contact = Contact {
            name: contact.name.trim().to_string(),
            email: contact.email.trim().to_string(),
            locale: contact.locale,
        };
        let slot = match assignee {
            Assignee::Customer => &mut self.participants.customer,
            _ => &mut self.participants.installer,
        };
        let Some(old) = slot.replace(contact.clone()) else {
            *slot = None;
            return Err(DomainError::Conflict(format!("the run has no {role} to correct")));
        };
        for s in self.steps.iter_mut().filter(|s| s.assignee == assignee) {
            s.unreachable = None;
        }
        self.version += 1;
        let event = RunEvent::ParticipantChanged {
            role: role.into(),
            old_email: old.email.clone(),
            contact,
        };
        Ok((old, vec![event]))
    }

    /// The run as the API shows it.
    pub fn view(&self) -> RunView<'_> {
        let next_reminder = self.wake().and_then(|_| {
            self.steps
                .iter()
                .filter_map(|s| s.next_reminder(&self.calendar).map(|n| (s.key.as_str(), n)))
                .min_by_key(|(_, n)| n.at)
                .map(|(step_key, n)| NextStepReminder {
                    step_key,
                    at: n.at,
                    kind: n.kind,
                })
        });
        RunView {
            run: self,
            current_step: self.current_step(),
            overdue: self.overdue(),
            next_reminder,
        }
    }
}

/// The run as the API shows it: the stored fields plus `current_step`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView<'a> {
    #[serde(flatten)]
    pub run: &'a Run,
    pub current_step: Option<&'a str>,
    /// A step of it is overdue (the sweeper marked it).
    pub overdue: bool,
    /// What happens next by itself (none while reminders are paused).
    pub next_reminder: Option<NextStepReminder<'a>>,
}

/// The next scheduled reminder, escalation or overdue mark of a run, and its step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NextStepReminder<'a> {
    pub step_key: &'a str,
    pub at: DateTime<Utc>,
    pub kind: crate::reminders::NextAction,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use crate::journey::FieldType;
    use crate::process::StepDef;
    use chrono::Duration;

    fn step(key: &str, assignee: Assignee, journey: Option<&str>) -> StepDef {
        StepDef {
            key: key.into(),
            name: key.into(),
            assignee,
            info_texts: InfoTexts::default(),
            journey_id: journey.map(str::to_string),
            due_in_days: Some(3),
            due: None,
            owner: None,
            required_documents: Vec::new(),
            reminders: None,
        }
    }

    fn process() -> Process {
        let now = Utc::now();
        Process {
            id: "p1".into(),
            version: 1,
            name: "Meter change".into(),
            description: None,
            steps: vec![
                step(
                    "check",
                    Assignee::Staff {
                        user_id: "bob".into(),
                        email: "bob@u.ch".into(),
                        name: None,
                    },
                    None,
                ),
                step("install", Assignee::Installer, Some("j1")),
                step("confirm", Assignee::Customer, None),
            ],
            reminders: None,
            status: ProcessStatus::Active,
            created_at: now,
            updated_at: now,
        }
    }

    fn journeys() -> Vec<JourneySnapshot> {
        vec![JourneySnapshot {
            id: "j1".into(),
            name: "Install".into(),
            fields: vec![Field {
                key: "meter".into(),
                label: I18n::from([(Lang::De, "Zähler".to_string())]).into(),
                kind: FieldType::Text,
                required: true,
                options: None,
            }],
        }]
    }

    fn contact(email: &str) -> Contact {
        Contact {
            name: email.into(),
            email: email.into(),
            locale: Some(Lang::Fr),
        }
    }

    fn started() -> Run {
        let input = RunInput {
            context: RunContext::default(),
            participants: Participants {
                customer: Some(contact("c@x.ch")),
                installer: Some(contact("i@x.ch")),
            },
            test: false,
        };
        let creator = Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        Run::start(
            "r1".into(),
            &process(),
            &journeys(),
            input,
            creator,
            RunCalendar::default(),
            None,
            Utc::now(),
        )
        .unwrap()
        .0
    }

    fn participant(kind: &str, email: &str) -> Actor {
        Actor {
            kind: kind.into(),
            id: participant_id(email),
            name: None,
        }
    }

    #[test]
    fn translation_warnings_name_each_reader_and_each_partner_language() {
        use crate::partner::{Partner, PartnerInput, UserInput};
        let now = Utc::now();
        let mut p = process();
        p.steps.push(step(
            "commission",
            Assignee::Partner {
                partner_id: "pa1".into(),
            },
            None,
        ));
        p.steps[3].name = Text::Langs(I18n::from([
            (Lang::De, "Inbetriebnahme".into()),
            (Lang::It, "Messa in servizio".into()),
        ]));
        let input = RunInput {
            context: RunContext::default(),
            participants: Participants {
                customer: Some(contact("c@x.ch")),
                // German, the default: nothing lacks it.
                installer: Some(Contact {
                    locale: Some(Lang::De),
                    ..contact("i@x.ch")
                }),
            },
            test: false,
        };
        let creator = Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        let run = Run::start(
            "r1".into(),
            &p,
            &journeys(),
            input,
            creator,
            RunCalendar::default(),
            None,
            now,
        )
        .unwrap()
        .0;
        let partner_input = PartnerInput {
            name: "Solar".into(),
            email: "office@solar.example".into(),
            locale: Some(Lang::It),
            permissions: None,
        };
        let (mut partner, _) = Partner::invite("pa1".into(), partner_input, "inv".into(), now).unwrap();
        let user = |name: &str, locale| UserInput {
            name: name.into(),
            email: format!("{name}@solar.example"),
            locale,
        };
        partner
            .accept("inv", "Solar AG", user("ina", Some(Lang::Fr)), "u1".into(), now)
            .unwrap();
        partner.add_user(user("max", None), "u2".into(), now).unwrap();
        // The plain names are German (the default): every French or Italian reader lacks them.
        let w = run.translation_warnings(Lang::De, &[partner]);
        let who: Vec<(&str, Option<&str>, Lang)> = w
            .iter()
            .map(|w| (w.participant, w.partner_id.as_deref(), w.lang))
            .collect();
        assert_eq!(
            who,
            [
                ("customer", None, Lang::Fr),
                ("partner", Some("pa1"), Lang::Fr),
                ("partner", Some("pa1"), Lang::It)
            ],
            "Max reads the partner's Italian"
        );
        assert!(w[1].texts.contains(&"steps[3].name".to_string()), "{:?}", w[1].texts);
        assert!(
            !w[2].texts.contains(&"steps[3].name".to_string()),
            "Italian is there: {:?}",
            w[2].texts
        );
        assert!(run
            .translation_warnings(Lang::De, &[])
            .iter()
            .all(|w| w.participant == "customer"));
    }

    #[test]
    fn due_dates_count_from_their_anchor_in_the_runs_calendar() {
        use crate::calendar::HolidayRegion;
        use chrono::TimeZone;
        let input: crate::process::ProcessInput = serde_json::from_value(serde_json::json!({
            "name": "Commissioning",
            "steps": [
                {"key": "install", "name": "Install", "assignee": {"kind": "installer"}, "due": {"in_business_days": 3}},
                {"key": "commission", "name": "Commission", "assignee": {"kind": "partner", "partner_id": "pa1"}},
                {"key": "confirm", "name": "Confirm", "assignee": {"kind": "customer"},
                 "due": {"in_days": 2, "from": "appointment"}},
                {"key": "pay", "name": "Pay", "assignee": {"kind": "customer"},
                 "due": {"in_business_days": 1, "from": "step:install"}}]}))
        .unwrap();
        let process = Process::create("p1".into(), input, Utc::now()).unwrap();
        let participants: RunInput = serde_json::from_value(serde_json::json!({"participants": {
            "installer": {"name": "Ivo", "email": "i@x.ch"}, "customer": {"name": "Chiara", "email": "c@x.ch"}}}))
        .unwrap();
        let calendar = RunCalendar {
            time_zone: "Europe/Berlin".into(),
            holiday_region: Some(HolidayRegion::De),
        };
        let creator = Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        // Started on Thursday 2 April 2026: three business days skip Easter.
        let start = Utc.with_ymd_and_hms(2026, 4, 2, 8, 0, 0).unwrap();
        let (mut run, _) =
            Run::start("r1".into(), &process, &[], participants, creator, calendar, None, start).unwrap();
        let end_of = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 21, 59, 59).unwrap();
        assert_eq!(
            run.step("install").unwrap().due_at,
            Some(end_of(2026, 4, 9)),
            "Thursday after Easter"
        );
        // Done on Friday 10 April: `pay` will count one business day from then (Monday 13).
        let installer = participant("installer", "i@x.ch");
        run.complete(
            "install",
            &installer,
            Utc.with_ymd_and_hms(2026, 4, 10, 9, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(run.step("commission").unwrap().due_at, None, "no rule");
        let partner = Actor::new("partner", &crate::partner::participant_of("pa1"), None);
        let appointment = Utc.with_ymd_and_hms(2026, 4, 20, 7, 30, 0).unwrap();
        run.set_due_date(
            "commission",
            appointment,
            &partner,
            Utc.with_ymd_and_hms(2026, 4, 11, 9, 0, 0).unwrap(),
        )
        .unwrap();
        run.complete(
            "commission",
            &partner,
            Utc.with_ymd_and_hms(2026, 4, 20, 12, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(
            run.step("confirm").unwrap().due_at,
            Some(end_of(2026, 4, 22)),
            "two days after the appointment"
        );
        let customer = participant("customer", "c@x.ch");
        run.complete(
            "confirm",
            &customer,
            Utc.with_ymd_and_hms(2026, 4, 21, 9, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(
            run.step("pay").unwrap().due_at,
            Some(end_of(2026, 4, 13)),
            "one business day after install"
        );
    }

    #[test]
    fn first_step_activates_with_due_date() {
        let run = started();
        assert_eq!(run.current_step(), Some("check"));
        let s = run.step("check").unwrap();
        // Three days after activation, at the end of that day in Berlin.
        let (due, activated) = (s.due_at.unwrap(), s.activated_at.unwrap());
        let local = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(
            local(due).date_naive() - local(activated).date_naive(),
            Duration::days(3)
        );
        assert_eq!(local(due).format("%H:%M:%S").to_string(), "23:59:59");
        assert_eq!(run.step("install").unwrap().status, StepStatus::Pending);
        assert!(run.step("install").unwrap().journey.is_some(), "journey snapshotted");
    }

    #[test]
    fn steps_activate_in_order_until_completed() {
        let mut run = started();
        let staff = Actor::staff("bob", None);
        let changes = run.complete("check", &staff, Utc::now()).unwrap();
        assert_eq!(
            changes.iter().map(crate::events::type_of).collect::<Vec<_>>(),
            ["step_completed", "step_activated"]
        );
        assert_eq!(run.current_step(), Some("install"));
        let installer = participant("installer", "i@x.ch");
        let mut data = Map::new();
        data.insert("meter".into(), serde_json::json!("M-1"));
        run.submit("install", data, &installer, Utc::now()).unwrap();
        run.complete("install", &installer, Utc::now()).unwrap();
        let changes = run
            .complete("confirm", &participant("customer", "c@x.ch"), Utc::now())
            .unwrap();
        assert_eq!(crate::events::type_of(changes.last().unwrap()), "run_completed");
        assert_eq!(run.status, RunStatus::Completed);
        assert_eq!(run.current_step(), None);
        assert_eq!(run.version, 5, "one version per change");
    }

    #[test]
    fn who_may_complete_what() {
        let mut run = started();
        let installer = participant("installer", "i@x.ch");
        // A participant cannot complete a staff step.
        assert!(matches!(
            run.complete("check", &installer, Utc::now()),
            Err(DomainError::Forbidden(_))
        ));
        run.complete("check", &Actor::staff("bob", None), Utc::now()).unwrap();
        // The customer cannot complete the installer's step.
        let customer = participant("customer", "c@x.ch");
        assert!(matches!(
            run.complete("install", &customer, Utc::now()),
            Err(DomainError::Forbidden(_))
        ));
        // The installer must fill in the journey first.
        assert!(matches!(
            run.complete("install", &installer, Utc::now()),
            Err(DomainError::Invalid(_))
        ));
        // A step that is not active is a conflict, an unknown one is not found.
        assert!(matches!(
            run.complete("check", &Actor::staff("bob", None), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            run.complete("nope", &installer, Utc::now()),
            Err(DomainError::NotFound(_))
        ));
        // Staff may complete a participant's step for them.
        run.complete("install", &Actor::staff("bob", None), Utc::now()).unwrap();
        assert_eq!(run.current_step(), Some("confirm"));
    }

    #[test]
    fn terminal_states_stay_terminal() {
        let mut run = started();
        assert!(matches!(run.cancel("  ", Utc::now()), Err(DomainError::Invalid(_))));
        assert_eq!(run.status, RunStatus::Running);
        run.cancel("customer moved", Utc::now()).unwrap();
        assert_eq!(run.status, RunStatus::Cancelled);
        assert!(run.steps.iter().all(|s| s.status == StepStatus::Skipped));
        let staff = Actor::staff("bob", None);
        assert!(matches!(
            run.complete("check", &staff, Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(run.cancel("again", Utc::now()), Err(DomainError::Conflict(_))));
    }

    #[test]
    fn participants_are_required_for_their_steps() {
        let input = RunInput {
            context: RunContext::default(),
            participants: Participants::default(),
            test: false,
        };
        let creator = Creator {
            sub: "alice".into(),
            email: None,
            name: None,
            locale: None,
        };
        let Err(DomainError::Invalid(errors)) = Run::start(
            "r".into(),
            &process(),
            &journeys(),
            input,
            creator,
            RunCalendar::default(),
            None,
            Utc::now(),
        ) else {
            panic!("expected validation errors")
        };
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn a_draft_may_wait_for_required_answers_but_not_hold_wrong_ones() {
        let mut run = started();
        run.complete("check", &Actor::staff("bob", None), Utc::now()).unwrap();
        let installer = participant("installer", "i@x.ch");
        run.store_answers("install", Map::new(), &installer, Utc::now(), false)
            .expect("an empty draft");
        assert!(matches!(
            run.store_answers("install", Map::new(), &installer, Utc::now(), true),
            Err(DomainError::Invalid(_))
        ));
        let mut wrong = Map::new();
        wrong.insert("meter".into(), serde_json::json!(42));
        assert!(matches!(
            run.store_answers("install", wrong, &installer, Utc::now(), false),
            Err(DomainError::Invalid(_))
        ));
        // Done still needs every answer.
        assert!(matches!(
            run.complete("install", &installer, Utc::now()),
            Err(DomainError::Invalid(_))
        ));
    }

    fn bounce(email: &str) -> Unreachable {
        Unreachable {
            email: email.into(),
            reason: UndeliverableReason::Bounce,
            detail: Some("550 user unknown".into()),
            since: Utc::now(),
        }
    }

    #[test]
    fn an_unreachable_address_marks_its_open_steps_once() {
        let mut run = started();
        let events = run.mark_unreachable(&bounce("I@X.CH"));
        let RunEvent::ParticipantUnreachable { step_keys, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(step_keys, &["install"], "the installer's step, pending as it is");
        assert_eq!(run.version, 2);
        assert!(run.mark_unreachable(&bounce("i@x.ch")).is_empty(), "already marked");
        assert!(run.mark_unreachable(&bounce("nobody@x.ch")).is_empty());
        assert_eq!(run.version, 2);
        // A staff assignee's address marks the staff step.
        assert!(!run.mark_unreachable(&bounce("bob@u.ch")).is_empty());
        assert!(run.step("check").unwrap().unreachable.is_some());
    }

    #[test]
    fn correcting_a_participant_clears_the_mark_and_moves_access() {
        let mut run = started();
        run.mark_unreachable(&bounce("i@x.ch"));
        let new = Contact {
            name: " Ivo ".into(),
            email: "ivo@x.ch".into(),
            locale: None,
        };
        let (old, events) = run.change_participant("installer", new).unwrap();
        assert_eq!(old.email, "i@x.ch");
        assert!(matches!(&events[0], RunEvent::ParticipantChanged { role, .. } if role == "installer"));
        assert!(run.step("install").unwrap().unreachable.is_none());
        assert_eq!(run.participants.installer.as_ref().unwrap().name, "Ivo");
        assert!(
            !run.involves(&participant_id("i@x.ch")),
            "the old address lost its access"
        );
        assert!(run.involves(&participant_id("ivo@x.ch")));
        let bad = Contact {
            name: "".into(),
            email: "a@b\r\nBcc: x".into(),
            locale: None,
        };
        let Err(DomainError::Invalid(errors)) = run.change_participant("customer", bad) else {
            panic!("expected validation errors")
        };
        assert_eq!(errors.len(), 2);
        assert!(matches!(
            run.change_participant("owner", contact("o@x.ch")),
            Err(DomainError::NotFound(_))
        ));
        run.cancel("moved", Utc::now()).unwrap();
        assert!(matches!(
            run.change_participant("customer", contact("c2@x.ch")),
            Err(DomainError::Conflict(_))
        ));
    }
}
