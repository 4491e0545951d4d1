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
    /// An active product was deactivated, with the staff's `reason`.
    OrderDeactivated = "order_deactivated" ["recipient_name", "tenant_name", "offer_title", "reason", "link"];
}

impl EmailKind {
    pub fn parse(name: &str) -> Option<EmailKind> {
        EmailKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}
