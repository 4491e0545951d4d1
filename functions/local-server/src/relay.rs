//! The local stand-in for Streams -> SQS -> email-sender: polls the embedded store's change
//! feed and hands event items to the same notifier the email-sender Lambda uses. The cursor
//! is stored in the database, so a restart resumes where it stopped; a failure leaves the
//! cursor before the failed event, which is retried (claims keep it from sending twice).
//! Like the queue's DLQ in AWS, an event that fails [`MAX_ATTEMPTS`] times is set aside
//! (logged, and recorded as `dead_letter:{seq}` in the store's meta table) so that it cannot
//! hold up the events behind it.

use std::sync::Arc;
use std::time::Duration;

use crate::mailbox::FileMailer;
use app::config::Config;
use app::email::notify::{Notifier, NotifyError};
use store::attr_str;
use store_sqlite::EmbeddedTable;

const CURSOR: &str = "relay_cursor";
/// Attempts before an event is set aside (the SQS queue's maxReceiveCount in AWS).
pub const MAX_ATTEMPTS: u32 = 5;

fn cursor(table: &EmbeddedTable) -> Result<i64, String> {
    Ok(table
        .get_meta(CURSOR)
        .map_err(|e| e.to_string())?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// Whether the relay has handled everything written up to `position` (a [`head`]).
pub fn has_passed(table: &EmbeddedTable, position: i64) -> Result<bool, String> {
    Ok(cursor(table)? >= position)
}

/// The newest position in the change feed.
pub fn head(table: &EmbeddedTable) -> Result<i64, String> {
    table.stream_head().map_err(|e| e.to_string())
}

/// Whether writes after the cursor wait for the relay.
pub fn behind(table: &EmbeddedTable) -> Result<bool, String> {
    Ok(!table
        .read_stream(cursor(table)?, 1)
        .map_err(|e| e.to_string())?
        .is_empty())
}

/// A failed event: its position in the feed and why.
struct Failed {
    seq: i64,
    error: String,
    /// The event's email is claimed by a delivery in flight (or one that crashed) until then:
    /// wait it out; it counts as no attempt.
    wait_until: Option<chrono::DateTime<chrono::Utc>>,
}

async fn relay_once(table: &EmbeddedTable, notifier: &Notifier<'_>) -> Result<usize, Failed> {
    let backend = |error: String| Failed {
        seq: 0,
        error,
        wait_until: None,
    };
    let cursor = cursor(table).map_err(backend)?;
    let rows = table.read_stream(cursor, 100).map_err(|e| backend(e.to_string()))?;
    let n = rows.len();
    for (seq, item) in rows {
        if attr_str(&item, "entity") == Some("event") {
            // Emails and triggers, then the webhooks (their own branch of the event path in AWS).
            let handled = match notifier.handle(&item).await {
                Ok(_) => app::webhooks::handle(table, &item, notifier.config.clock.now())
                    .await
                    .map_err(NotifyError::from),
                Err(e) => Err(e),
            };
            match handled {
                Ok(_) => {}
                // Retrying cannot help: set aside at once, as email-sender drops such a message.
                Err(NotifyError::Permanent(reason)) => set_aside(table, seq, &reason).map_err(backend)?,
                Err(e) => {
                    let wait_until = match &e {
                        NotifyError::InFlight { until } => Some(*until),
                        _ => None,
                    };
                    return Err(Failed {
                        seq,
                        error: e.to_string(),
                        wait_until,
                    });
                }
            }
        }
        table
            .set_meta(CURSOR, &seq.to_string())
            .map_err(|e| backend(e.to_string()))?;
    }
    Ok(n)
}

/// Records a failing event as dead and moves the cursor past it.
fn set_aside(table: &EmbeddedTable, seq: i64, error: &str) -> Result<(), String> {
    tracing::error!(
        seq,
        error,
        "local relay: event set aside (it failed for good, or {MAX_ATTEMPTS} times)"
    );
    table
        .set_meta(&format!("dead_letter:{seq}"), error)
        .map_err(|e| e.to_string())?;
    table.set_meta(CURSOR, &seq.to_string()).map_err(|e| e.to_string())
}

pub async fn run(table: Arc<EmbeddedTable>, mailer: Arc<FileMailer>, config: Arc<Config>) {
    let notifier = Notifier {
        table: table.as_ref(),
        mailer: mailer.as_ref(),
        config: config.as_ref(),
    };
    let mut attempts: (i64, u32) = (0, 0);
    loop {
        match relay_once(&table, &notifier).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(Failed {
                wait_until: Some(until),
                ..
            }) => {
                // A claim left by a crash (or a delivery in flight): wait its lease out, then
                // deliver; never set the event aside for it.
                let wait = (until - chrono::Utc::now()).to_std().unwrap_or_default();
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "local relay: an email is claimed; waiting"
                );
                tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
            }
            Err(Failed { seq, error, .. }) if seq > 0 => {
                attempts = if attempts.0 == seq {
                    (seq, attempts.1 + 1)
                } else {
                    (seq, 1)
                };
                tracing::warn!(seq, error, attempt = attempts.1, "local relay: will retry");
                if attempts.1 >= MAX_ATTEMPTS {
                    if let Err(e) = set_aside(&table, seq, &error) {
                        tracing::error!(error = %e, "local relay: could not set the event aside");
                    }
                }
            }
            Err(Failed { error, .. }) => tracing::warn!(error, "local relay: store unavailable; will retry"),
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
