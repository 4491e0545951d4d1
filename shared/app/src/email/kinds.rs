//! Every email the product sends, with the variables its templates may use. Templates are
//! files (`templates/email/{kind}/{lang}.subject.txt`, `.text.txt`, `.html`) sharing one layout
//! and macros; they use only their kind's variables and test optional ones (which may be
//! empty strings) with `{% if var %}`. HTML parts rely on auto-escaping, never on `|safe`.

/// Declares the kinds once: variant, name, variables.
macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal [$($var:literal),* $(,)?];)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EmailKind {
            $($(#[$doc])* $kind,)*
        }

        impl EmailKind {
            pub const ALL: &'static [EmailKind] = &[$(EmailKind::$kind),*];

            pub fn name(self) -> &'static str {
                match self {
                    $(EmailKind::$kind => $name,)*
                }
            }

            /// The variables its templates may use (`recipient_name`, `tenant_name` and `link`
            /// always).
            pub fn vars(self) -> &'static [&'static str] {
                match self {
                    $(EmailKind::$kind => &[$($var),*],)*
                }
            }
        }
    };
}

kinds! {
    /// A customer, installer or partner user has a step to do; `link` is their portal link.
    StepActivatedParticipant = "step_activated_participant" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "info_text", "due_date", "link",
    ];
    /// A staff member has been assigned a step; `link` opens the run in the back office.
    StepActivatedStaff = "step_activated_staff" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "due_date", "link",
    ];
    /// Tells the step's owner (and the run's creator) that the step was done; `documents`
    /// names the documents that came with it (may be empty).
    StepCompleted = "step_completed" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "completed_by", "why", "documents", "link",
    ];
    /// Tells the staff member who started the run that all steps are done.
    RunCompleted = "run_completed" ["recipient_name", "tenant_name", "process_name", "run_title", "link"];
    /// Tells the staff member who started the run; `link` may be empty.
    RunCancelled = "run_cancelled" ["recipient_name", "tenant_name", "process_name", "run_title", "reason", "link"];
    /// Invites a partner organisation; `link` opens the invitation page; `expires_date` may be empty.
    PartnerInvitation = "partner_invitation" ["recipient_name", "tenant_name", "partner_name", "link", "expires_date"];
    /// A user was added to a partner organisation; `link` is their personal portal link.
    PartnerUserAdded = "partner_user_added" ["recipient_name", "tenant_name", "partner_name", "link"];
    /// Tells the step's owner that a partner set the appointment (due date) of its step.
    PartnerCommissioning = "partner_commissioning" [
        "recipient_name", "tenant_name", "partner_name", "process_name", "run_title", "step_name", "due_date", "link",
    ];
    /// The malware scan found a threat in a document of the run (never served); told to the
    /// run's creator and the step's owner. `step_name` may be empty (the run's own document).
    DocumentInfected = "document_infected" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "document_name", "link",
    ];
    /// A reminder before a step's due date (or a staff member's "remind now" while it is not
    /// overdue); `days_left` is a number; `link` is a fresh portal link (participants) or the
    /// run in the back office (staff assignees).
    StepReminder = "step_reminder" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "due_date", "days_left", "link",
    ];
    /// A step is overdue: a reminder of the overdue schedule (or "remind now" once overdue);
    /// `days_overdue` is a number (1 or more); `link` as for `step_reminder`.
    StepOverdue = "step_overdue" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "due_date", "days_overdue", "link",
    ];
    /// Tells the step's owner (or the run's creator, `why`) that a step is `days_overdue` days
    /// overdue; `assignee_name` says who has it; `link` opens the run in the back office.
    StepEscalated = "step_escalated" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "assignee_name", "due_date",
        "days_overdue", "why", "link",
    ];
    /// Staff sent a step back to its assignee: `reason`, and `fields` names the fields to
    /// look at (may be empty); `link` as for `step_activated_*`; `due_date` may be empty.
    ChangesRequested = "changes_requested" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "reason", "fields", "due_date", "link",
    ];
    /// A staff member was made responsible (owner) for a step; `link` opens the run.
    StepOwnerAssigned = "step_owner_assigned" [
        "recipient_name", "tenant_name", "process_name", "run_title", "step_name", "link",
    ];
    /// New comments on a run for the reader: `comment_count` of them, one block each in
    /// `comment_list` (author, step, time, text, as the reader writes dates); `link` is the
    /// reader's portal link (participants) or the run in the back office (staff).
    NewComments = "new_comments" [
        "recipient_name", "tenant_name", "process_name", "run_title", "comment_count", "comment_list", "link",
    ];
    /// A trigger's action failed for good on an event: told to the admin who made it, with
    /// the `reason`; `link` opens the trigger in the back office.
    TriggerFailed = "trigger_failed" ["recipient_name", "tenant_name", "trigger_name", "reason", "link"];
    /// A webhook subscription failed for a day and was disabled: told to the admin who made it,
    /// with its `url` and the `reason`; `link` opens it in the back office.
    WebhookDisabled = "webhook_disabled" ["recipient_name", "tenant_name", "url", "reason", "link"];
    /// A partner user's daily digest: the partner's `task_count` open tasks, `overdue_count` of
    /// them overdue, one line each in `task_list` (step, process, run title, due date, days
    /// overdue); `link` is the user's portal link (their task list).
    PartnerDigest = "partner_digest" [
        "recipient_name", "tenant_name", "partner_name", "task_count", "overdue_count", "task_list", "link",
    ];
    /// A new portal link someone asked for on a portal page, for the participant's
    /// `task_count` open tasks; `step_name` and `process_name` name the first, where `link` leads.
    AccessLink = "access_link" [
        "recipient_name", "tenant_name", "process_name", "step_name", "task_count", "link",
    ];
    /// Confirms an end user's order; `step_*` describe the current (first) step.
    OrderPlaced = "order_placed" [
        "recipient_name", "tenant_name", "offer_title", "step_name", "step_explanation", "link",
    ];
    /// A step of an order is done (not sent for step five); `next_step_*` describe the step now current.
    OrderStepCompleted = "order_step_completed" [
        "recipient_name", "tenant_name", "offer_title", "step_number", "step_name", "next_step_name",
        "next_step_explanation", "link",
    ];
    /// All five steps of an order are done: the product is active.
    OrderActivated = "order_activated" ["recipient_name", "tenant_name", "offer_title", "step_explanation", "link"];
    /// An order in progress was cancelled, with the staff's `reason`.
    OrderCancelled = "order_cancelled" ["recipient_name", "tenant_name", "offer_title", "reason", "link"];
    /// Staff corrected the end user's answers to the order's questions; `fields` names them.
    OrderAnswersCorrected = "order_answers_corrected" ["recipient_name", "tenant_name", "offer_title", "fields", "link"];
    /// An active product was deactivated, with the staff's `reason`.
    OrderDeactivated = "order_deactivated" ["recipient_name", "tenant_name", "offer_title", "reason", "link"];
}

impl EmailKind {
    pub fn parse(name: &str) -> Option<EmailKind> {
        EmailKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}
