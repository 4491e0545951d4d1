//! Domain events: who did something ([`Actor`]) and, per aggregate, a serde-tagged enum of
//! what happened. A command returns its events; the repository writes them as outbox rows
//! in the aggregate's transaction (`type` and `data` are the serde tag and content), and the
//! notifier matches on them exhaustively, so an event nobody handles does not compile.
//!
//! Each event carries what its emails need as of the moment it happened (the step's name,
//! the due date that was set, the invitation's addressee…): a late delivery describes the
//! past, never the current state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::i18n::{I18n, Lang, Text};
use crate::process::{Assignee, Owner};
use crate::values::{Contact, OfferCategory, OfferStatus, Permission, Unreachable};

/// Who did something: a staff user, a participant, or the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// `staff`, `customer`, `installer`, `partner` or `system`.
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    pub fn staff(sub: &str, name: Option<&str>) -> Self {
        Actor::new("staff", sub, name)
    }

    pub fn new(kind: &str, id: &str, name: Option<&str>) -> Self {
        Actor {
            kind: kind.into(),
            id: id.into(),
            name: name.map(str::to_string),
        }
    }

    pub fn is_staff(&self) -> bool {
        self.kind == "staff"
    }

    /// How emails name the actor: the name, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// The events of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RunEvent {
    RunStarted {
        process_id: String,
        test: bool,
    },
    /// A step became someone's: `contact` is the customer or installer it went to, as the
    /// run knew them then; `info_text` the step's text for that assignee.
    StepActivated {
        step_key: String,
        step_name: Text,
        assignee: Assignee,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Contact>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        info_text: Option<I18n>,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
    },
    StepSubmitted {
        step_key: String,
    },
    StepCompleted {
        step_key: String,
        step_name: Text,
        #[serde(default)]
        owner: Option<Owner>,
        /// The names of the documents that came with the step.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        documents: Vec<String>,
    },
    /// A document was added to a step (`step_key`) or to the run itself.
    DocumentAdded {
        document_id: String,
        #[serde(default)]
        step_key: Option<String>,
        name: String,
        #[serde(default)]
        requirement: Option<String>,
        visibility: crate::document::Visibility,
    },
    /// The malware scan's result arrived for a document (`infected`: never served; staff are
    /// told).
    DocumentScanned {
        document_id: String,
        name: String,
        #[serde(default)]
        step_key: Option<String>,
        infected: bool,
    },
    /// A document was removed (it stays in the run, marked, and is served no more).
    DocumentRemoved {
        document_id: String,
        name: String,
    },
    /// A partner set the appointment of its step (commissioning).
    StepDueDateSet {
        step_key: String,
        step_name: Text,
        old: Option<DateTime<Utc>>,
        new: DateTime<Utc>,
        #[serde(default)]
        owner: Option<Owner>,
    },
    /// Staff set or moved an active step's due date, with a reason (history only).
    StepDueDateMoved {
        step_key: String,
        old: Option<DateTime<Utc>>,
        new: DateTime<Utc>,
        reason: String,
    },
    /// The sweeper found an active step past its due date (history; the overdue list).
    StepOverdue {
        step_key: String,
        due_at: DateTime<Utc>,
    },
    /// A reminder to the step's assignee: scheduled, or sent by staff (`manual`).
    /// `days_left`: whole days to the due day (negative: overdue by that many).
    StepReminderSent {
        step_key: String,
        step_name: Text,
        assignee: Assignee,
        reminder: crate::reminders::ReminderKind,
        number: u32,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
        days_left: i64,
        #[serde(default)]
        manual: bool,
    },
    /// A step was overdue long enough for its owner (else the run's creator) to be told.
    StepEscalated {
        step_key: String,
        step_name: Text,
        #[serde(default)]
        owner: Option<Owner>,
        assignee: Assignee,
        due_at: DateTime<Utc>,
        days_overdue: i64,
    },
    /// Staff paused the run's reminders and escalations.
    RemindersPaused {
        reason: String,
    },
    RemindersResumed {},
    RunCompleted {},
    RunCancelled {
        reason: String,
    },
    /// Email to a step's participant bounced or drew a complaint: those steps show it.
    ParticipantUnreachable {
        #[serde(flatten)]
        unreachable: Unreachable,
        step_keys: Vec<String>,
    },
    /// Staff sent a step back to its assignee (`reopened`: it was done; the step after it
    /// waits again). `field_labels`: the fields concerned, each language joined.
    StepChangesRequested {
        step_key: String,
        step_name: Text,
        assignee: Assignee,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Contact>,
        reason: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<String>,
        field_labels: Text,
        reopened: bool,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
    },
    /// Staff gave a pending or active step to another assignee (`active`: told at once).
    StepReassigned {
        step_key: String,
        step_name: Text,
        old: Assignee,
        assignee: Assignee,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Contact>,
        active: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        info_text: Option<I18n>,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
    },
    /// Staff made someone else responsible for a step (the new owner is told).
    StepOwnerChanged {
        step_key: String,
        step_name: Text,
        #[serde(default)]
        old: Option<Owner>,
        owner: Owner,
    },
    /// A team member took the team's step (the actor).
    StepClaimed {
        step_key: String,
        team_id: String,
    },
    /// A team's step went back to the team.
    StepReleased {
        step_key: String,
        claimed_by: String,
    },
    /// Staff corrected the run's customer or installer (`role`); the new address is told of
    /// the role's active step, if there is one.
    ParticipantChanged {
        role: String,
        old_email: String,
        contact: Contact,
    },
}

/// The events of a partner organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum PartnerEvent {
    /// An invitation link was made (first or resent); the email goes to `email`.
    PartnerInvited {
        invitation_id: String,
        #[serde(default)]
        resent: bool,
        name: String,
        email: String,
        #[serde(default)]
        locale: Option<Lang>,
    },
    PartnerAccepted {
        user_id: String,
        organization_name: String,
    },
    PartnerUserAdded {
        user_id: String,
        name: String,
        email: String,
        #[serde(default)]
        locale: Option<Lang>,
    },
    PartnerPermissionsChanged {
        old: Vec<Permission>,
        new: Vec<Permission>,
    },
    PartnerRevoked {},
    /// Staff turned the partner's daily digest on or off.
    PartnerDigestChanged {
        enabled: bool,
    },
    /// The daily digest: the partner's open tasks then (each user is emailed the list).
    PartnerDigestSent {
        tasks: Vec<crate::partner::DigestTask>,
    },
}

/// The events of a team (history only: nobody is emailed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum TeamEvent {
    TeamCreated { name: String, members: Vec<String> },
    TeamChanged { name: String, members: Vec<String> },
}

/// The events of a comment (history; the emails come from the readers' mailboxes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum CommentEvent {
    CommentAdded {
        run_id: String,
        #[serde(default)]
        step_key: Option<String>,
        visibility: crate::comment::CommentVisibility,
    },
    CommentDeleted {
        run_id: String,
    },
}

/// The events of a reader's comment mailbox for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum MailboxEvent {
    /// The comments the reader is emailed about now (one email).
    CommentsNoted {
        reader: crate::comment::Reader,
        comments: Vec<crate::comment::Noted>,
    },
}

/// The events of a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum TriggerEvent {
    TriggerCreated {
        on: crate::trigger::TriggerOn,
        #[serde(default)]
        process_id: Option<String>,
    },
    TriggerChanged {
        #[serde(default)]
        process_id: Option<String>,
        enabled: bool,
    },
    /// A process was replaced everywhere: the trigger starts `new` now.
    TriggerProcessReplaced {
        old: String,
        new: String,
    },
    TriggerSecretRotated {
        generation: u32,
    },
    /// The trigger's action failed on an event, for good (its creator is told).
    TriggerFailed {
        source_event_id: String,
        reason: String,
    },
}

/// The events of a webhook subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum SubscriptionEvent {
    SubscriptionCreated {
        url: String,
    },
    SubscriptionChanged {
        url: String,
        enabled: bool,
    },
    /// A day of failed deliveries: disabled (its creator is told).
    SubscriptionDisabled {
        reason: String,
    },
}

/// The events of a webhook delivery (its attempts are in its log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum DeliveryEvent {
    /// Staff sent it again.
    DeliveryRedelivered {},
}

/// The events of an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum OfferEvent {
    OfferCreated {
        category: OfferCategory,
    },
    OfferUpdated {
        old_category: OfferCategory,
        category: OfferCategory,
    },
    OfferActivated {
        category: OfferCategory,
        replaces: Option<String>,
    },
    OfferClosed {
        previous_status: OfferStatus,
        replaced_by: Option<String>,
    },
    /// An image was uploaded for the card (`teaser`) or the detail page.
    OfferImageSet {
        slot: crate::offer::ImageSlot,
    },
}

/// The events of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum OrderEvent {
    OrderPlaced {
        offer_id: String,
        offer_category: OfferCategory,
        current_step: u8,
    },
    /// `final`: step five, whose email is `order_activated`'s.
    OrderStepCompleted {
        step: u8,
        r#final: bool,
    },
    OrderActivated {},
    OrderCancelled {
        reason: String,
        at_step: Option<u8>,
    },
    OrderDeactivated {
        reason: String,
    },
    /// Staff wrote an internal note (history only; the end user is not told).
    OrderNoteAdded {
        note_id: String,
    },
    /// Staff corrected the end user's answers (`changed`: the keys; `labels`: their labels,
    /// for the end user's email).
    OrderAnswersCorrected {
        changed: Vec<String>,
        labels: Vec<Text>,
    },
}

/// The events of a tenant's configuration: its settings, its email templates and its five
/// order steps (audit only: nobody is emailed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum SettingsEvent {
    SettingsChanged {
        name: Option<String>,
        default_locale: Option<Lang>,
    },
    OrderStepsUpdated {
        version: u64,
    },
    /// An admin stored (or `removed`) the tenant's own template of an email kind and language.
    TemplateChanged {
        kind: String,
        locale: Lang,
        #[serde(default)]
        removed: bool,
    },
}

/// The events of a participant's portal access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum AccessEvent {
    /// Someone asked the portal for a new link for this participant's address, which has
    /// `open_tasks` open tasks here; the link goes to `email` and leads to the first of
    /// them (`run_id`, `step_key`). `kind`, `partner_id` and `user_id` are the participant's
    /// as their last access link knew them.
    AccessLinkRequested {
        email: String,
        name: String,
        kind: String,
        participant_id: String,
        #[serde(default)]
        locale: Option<Lang>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partner_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
        run_id: String,
        step_key: String,
        step_name: Text,
        process_name: Text,
        open_tasks: u32,
    },
}

/// The `type` of an event (its serde tag), for logs and tests.
pub fn type_of<E: Serialize>(event: &E) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// Any aggregate's event, as the notifier reads it from an outbox row.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Run(RunEvent),
    Partner(PartnerEvent),
    Offer(OfferEvent),
    Order(OrderEvent),
    Settings(SettingsEvent),
    Access(AccessEvent),
    Team(TeamEvent),
    Comment(CommentEvent),
    Mailbox(MailboxEvent),
    Trigger(TriggerEvent),
    Subscription(SubscriptionEvent),
    Delivery(DeliveryEvent),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_their_type_and_data_shape() {
        let e = RunEvent::RunCancelled { reason: "moved".into() };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "run_cancelled", "data": {"reason": "moved"}})
        );
        let done = serde_json::to_value(RunEvent::RunCompleted {}).unwrap();
        assert_eq!(done, serde_json::json!({"type": "run_completed", "data": {}}));
        let step = serde_json::to_value(OrderEvent::OrderStepCompleted { step: 5, r#final: true }).unwrap();
        assert_eq!(step["data"]["final"], true);
        let back: OrderEvent = serde_json::from_value(step).unwrap();
        assert_eq!(back, OrderEvent::OrderStepCompleted { step: 5, r#final: true });
    }
}
