//! Small value types that the aggregates and their events share (so that [`crate::events`]
//! depends on no aggregate module and no aggregate module on another's internals). Each is
//! re-exported by the aggregate it belongs to.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A run's customer or installer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
}

/// What a partner organisation's users may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    /// Mark the partner's steps done, and set their due date (commissioning).
    #[serde(rename = "tasks:complete")]
    TasksComplete,
    /// Upload documents to the partner's steps (for the upload work that follows).
    #[serde(rename = "documents:upload")]
    DocumentsUpload,
    /// See every step of a run, not only the partner's own.
    #[serde(rename = "runs:view_all_steps")]
    RunsViewAllSteps,
}

/// The two kinds of offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OfferCategory {
    Energy,
    Hardware,
}

impl OfferCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferCategory::Energy => "energy",
            OfferCategory::Hardware => "hardware",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OfferStatus {
    Draft,
    Active,
    Closed,
}

impl OfferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Draft => "draft",
            OfferStatus::Active => "active",
            OfferStatus::Closed => "closed",
        }
    }
}

/// Why an address takes no more email: it bounced for good, or its owner marked an email as
/// spam. (Transient bounces, a full mailbox say, mark nothing: SES retries those itself.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UndeliverableReason {
    Bounce,
    Complaint,
}

/// An address that cannot be reached, as a step shows it to staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unreachable {
    pub email: String,
    pub reason: UndeliverableReason,
    /// What the receiving server said (a bounce's diagnostic), or the complaint's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub since: chrono::DateTime<chrono::Utc>,
}
