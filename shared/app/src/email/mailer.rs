//! Where emails go: the port. SES v2 in AWS (`lambda-host`, feature `ses`), `.eml` files
//! locally (`local-server`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Not sent now; sending again later may work (throttled, unavailable).
    #[error("email not sent: {0}")]
    Retry(String),
    /// Refused for good (the address or the message): sending again cannot help.
    #[error("email rejected: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;
}
