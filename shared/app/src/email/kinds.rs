//! Every email the product sends, with the variables its templates may use. Templates are
//! files (`templates/email/{kind}/{lang}.subject.txt`, `.text.txt`, `.html`) sharing one layout
//! and macros; they use only their kind's variables and test optional ones (which may be
//! empty strings) with `{% if var %}`. HTML parts rely on auto-escaping, never on `|safe`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    /// A customer, installer or partner user has a step to do; `link` is their portal link.
    StepActivatedParticipant,
    /// A staff member has been assigned a step; `link` opens the run in the back office.
    StepActivatedStaff,
    /// Tells the step's owner (and the run's creator) that the step was done.
    StepCompleted,
    /// Tells the staff member who started the run that all steps are done.
    RunCompleted,
    /// Tells the staff member who started the run; `link` may be empty.
    RunCancelled,
    /// Invites a partner organisation; `link` opens the invitation page; `expires_date` may be empty.
    PartnerInvitation,
    /// A user was added to a partner organisation; `link` is their personal portal link.
    PartnerUserAdded,
    /// Tells the step's owner that a partner set the appointment (due date) of its step.
    PartnerCommissioning,
    /// Confirms an end user's order; `step_*` describe the current (first) step.
    OrderPlaced,
    /// A step of an order is done (not sent for step five); `next_step_*` describe the step now current.
    OrderStepCompleted,
    /// All five steps of an order are done: the product is active.
    OrderActivated,
    /// An order in progress was cancelled, with the staff's `reason`.
    OrderCancelled,
    /// An active product was deactivated, with the staff's `reason`.
    OrderDeactivated,
}

use EmailKind::*;

impl EmailKind {
    pub const ALL: [EmailKind; 13] = [
        StepActivatedParticipant,
        StepActivatedStaff,
        StepCompleted,
        RunCompleted,
        RunCancelled,
        PartnerInvitation,
        PartnerUserAdded,
        PartnerCommissioning,
        OrderPlaced,
        OrderStepCompleted,
        OrderActivated,
        OrderCancelled,
        OrderDeactivated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StepActivatedParticipant => "step_activated_participant",
            StepActivatedStaff => "step_activated_staff",
            StepCompleted => "step_completed",
            RunCompleted => "run_completed",
            RunCancelled => "run_cancelled",
            PartnerInvitation => "partner_invitation",
            PartnerUserAdded => "partner_user_added",
            PartnerCommissioning => "partner_commissioning",
            OrderPlaced => "order_placed",
            OrderStepCompleted => "order_step_completed",
            OrderActivated => "order_activated",
            OrderCancelled => "order_cancelled",
            OrderDeactivated => "order_deactivated",
        }
    }

    pub fn parse(name: &str) -> Option<EmailKind> {
        EmailKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The variables its templates may use (`recipient_name`, `tenant_name` and `link` always).
    pub fn vars(self) -> &'static [&'static str] {
        match self {
            StepActivatedParticipant => &[
                "recipient_name",
                "tenant_name",
                "process_name",
                "run_title",
                "step_name",
                "info_text",
                "due_date",
                "link",
            ],
            StepActivatedStaff => &[
                "recipient_name",
                "tenant_name",
                "process_name",
                "run_title",
                "step_name",
                "due_date",
                "link",
            ],
            StepCompleted => &[
                "recipient_name",
                "tenant_name",
                "process_name",
                "run_title",
                "step_name",
                "completed_by",
                "link",
            ],
            RunCompleted => &["recipient_name", "tenant_name", "process_name", "run_title", "link"],
            RunCancelled => &[
                "recipient_name",
                "tenant_name",
                "process_name",
                "run_title",
                "reason",
                "link",
            ],
            PartnerInvitation => &["recipient_name", "tenant_name", "partner_name", "link", "expires_date"],
            PartnerUserAdded => &["recipient_name", "tenant_name", "partner_name", "link"],
            PartnerCommissioning => &[
                "recipient_name",
                "tenant_name",
                "partner_name",
                "process_name",
                "run_title",
                "step_name",
                "due_date",
                "link",
            ],
            OrderPlaced => &[
                "recipient_name",
                "tenant_name",
                "offer_title",
                "step_name",
                "step_explanation",
                "link",
            ],
            OrderStepCompleted => &[
                "recipient_name",
                "tenant_name",
                "offer_title",
                "step_number",
                "step_name",
                "next_step_name",
                "next_step_explanation",
                "link",
            ],
            OrderActivated => &[
                "recipient_name",
                "tenant_name",
                "offer_title",
                "step_explanation",
                "link",
            ],
            OrderCancelled | OrderDeactivated => &["recipient_name", "tenant_name", "offer_title", "reason", "link"],
        }
    }
}
