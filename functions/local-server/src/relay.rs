//! The local stand-in for Streams -> SQS -> email-sender: polls the embedded store's change
//! feed and hands event items to the same notifier the email-sender Lambda uses. The cursor
//! is stored in the database, so a restart resumes where it stopped; a failure leaves the
//! cursor before the failed event, which is retried (claims keep it from sending twice).

use std::sync::Arc;
use std::time::Duration;

use shared::config::Config;
use shared::email::mailer::FileMailer;
use shared::email::notify::Notifier;
use shared::store::attr_str;
use shared::store::embedded::EmbeddedTable;

const CURSOR: &str = "relay_cursor";

fn cursor(table: &EmbeddedTable) -> Result<i64, String> {
    Ok(table
        .get_meta(CURSOR)
        .map_err(|e| e.to_string())?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// Whether writes after the cursor wait for the relay.
pub fn behind(table: &EmbeddedTable) -> Result<bool, String> {
    Ok(!table
        .read_stream(cursor(table)?, 1)
        .map_err(|e| e.to_string())?
        .is_empty())
}

async fn relay_once(table: &EmbeddedTable, notifier: &Notifier<'_>) -> Result<usize, String> {
    let cursor = cursor(table)?;
    let rows = table.read_stream(cursor, 100).map_err(|e| e.to_string())?;
    let n = rows.len();
    for (seq, item) in rows {
        if attr_str(&item, "entity") == Some("event") {
            notifier.handle(&item).await.map_err(|e| e.to_string())?;
        }
        table.set_meta(CURSOR, &seq.to_string()).map_err(|e| e.to_string())?;
    }
    Ok(n)
}

pub async fn run(table: Arc<EmbeddedTable>, mailer: Arc<FileMailer>, config: Arc<Config>) {
    let notifier = Notifier {
        table: table.as_ref(),
        mailer: mailer.as_ref(),
        config: config.as_ref(),
    };
    loop {
        match relay_once(&table, &notifier).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "local relay: will retry"),
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
