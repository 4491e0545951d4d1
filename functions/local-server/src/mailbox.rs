//! The local mailer: each email as an `.eml` file plus a JSON-lines index (`GET /local/outbox`).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use app::email::mailer::{MailError, Mailer, OutgoingEmail};
use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use store::Table;

/// One line of the local outbox index (`GET /local/outbox`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub sent_at: chrono::DateTime<Utc>,
    pub file: String,
    /// The message tags SES would get (tenant, run, kind, event).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
}

use app::email::mailer::AUTO_SUBMITTED;

/// Writes each email as an `.eml` file under `dir` and appends it to `dir/index.jsonl`.
pub struct FileMailer {
    dir: PathBuf,
    lock: Mutex<()>,
    /// Where the addresses of SES's mailbox simulator report back (see `app::email::bounces::simulated_report`).
    feedback: Option<Arc<dyn Table>>,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        crate::private_dir(&dir)?;
        Ok(FileMailer {
            dir,
            lock: Mutex::new(()),
            feedback: None,
        })
    }

    /// Reports what SES's mailbox simulator addresses would report to `table`.
    pub fn with_feedback(mut self, table: Arc<dyn Table>) -> Self {
        self.feedback = Some(table);
        self
    }

    /// Applies the simulated report of an email sent, as bounce-handler applies SES's.
    async fn report(&self, email: &OutgoingEmail) {
        let (Some(table), Some(report)) = (&self.feedback, app::email::bounces::simulated_report(email)) else {
            return;
        };
        match app::email::bounces::parse(&report) {
            Ok(notices) => {
                for n in notices {
                    if let Err(e) = app::email::bounces::apply(table.as_ref(), &n).await {
                        tracing::warn!(error = %e, "simulated report not recorded");
                    }
                }
            }
            Err(e) => tracing::warn!(error = e, "simulated report unreadable"),
        }
    }

    /// Every email written so far, oldest first.
    pub fn list(&self) -> std::io::Result<Vec<OutboxEntry>> {
        let path = self.dir.join("index.jsonl");
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let fail = |e: std::io::Error| MailError::Retry(e.to_string());
        let id = domain::ids::new_id();
        let from = match &email.from_name {
            Some(name) => {
                mail_builder::headers::address::Address::new_address(Some(name.as_str()), email.from.as_str())
            }
            None => mail_builder::headers::address::Address::new_address(None::<&str>, email.from.as_str()),
        };
        let mut builder = mail_builder::MessageBuilder::new()
            .from(from)
            .to(email.to.as_str())
            .subject(email.subject.as_str())
            .message_id(format!("{id}@local"))
            .header(AUTO_SUBMITTED.0, mail_builder::headers::raw::Raw::new(AUTO_SUBMITTED.1))
            .text_body(email.text.as_str());
        if let Some(html) = &email.html {
            builder = builder.html_body(html.as_str());
        }
        let eml = builder.write_to_string().map_err(fail)?;
        let file = format!("{id}.eml");
        let _guard = self
            .lock
            .lock()
            .map_err(|_| MailError::Retry("outbox lock poisoned".into()))?;
        std::fs::write(self.dir.join(&file), eml).map_err(fail)?;
        let entry = OutboxEntry {
            to: email.to.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            sent_at: Utc::now(),
            file,
            tags: email.tags.iter().cloned().collect(),
        };
        let line = serde_json::to_string(&entry).map_err(|e| MailError::Retry(e.to_string()))?;
        let mut index = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("index.jsonl"))
            .map_err(fail)?;
        writeln!(index, "{line}").map_err(fail)?;
        drop(_guard);
        self.report(email).await;
        Ok(id)
    }
}
