//! The due-date sweeper: every few minutes (EventBridge in AWS, a loop in local-server) it
//! reads the due index up to now — one Query per shard and page, so its cost follows what is
//! due, not the number of runs — and lets each run or partner found do what is due:
//! reminders, overdue marks, escalations ([`domain::run::Run::remind`]), a partner's daily
//! digest. Each is saved at the version it was read together with the move of its index row,
//! so a tick that runs twice, or two ticks at once, send nothing twice (the loser's write
//! fails its version check and it moves on); a sweeper that was down finds each row once and
//! sends one reminder per step. The emails follow from the events, as for every change.

use chrono::{DateTime, Utc};
use domain::events::Actor;
use domain::partner::{participant_of, DigestTask, Partner};
use domain::run::Run;
use serde::Deserialize;
use store::{Cond, Index, Query, StoreError, Table, Write};

use crate::error::{AppError, AppResult};
use crate::keys;
use crate::repo::{from_item, load, runs, save};

/// At most this many rows per tick; the rest wait for the next one (a tick stays short).
pub const ROWS_PER_TICK: usize = 500;
const PAGE: u32 = 100;

/// What a tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// Runs and partners looked at.
    pub woken: usize,
    /// Events written (each may send emails).
    pub events: usize,
    /// Rows another tick or a concurrent change handled first.
    pub skipped: usize,
}

#[derive(Debug, Deserialize)]
struct WakeRow {
    pk: String,
    sk: String,
    tenant_id: String,
    kind: String,
    id: String,
    at: DateTime<Utc>,
}

fn sweeper() -> Actor {
    Actor::new("system", "sweeper", Some("reminders"))
}

/// One tick at `now`.
pub async fn tick(table: &dyn Table, now: DateTime<Utc>) -> AppResult<Swept> {
    let mut swept = Swept::default();
    for shard in 0..keys::WAKE_SHARDS {
        let mut start = None;
        loop {
            let q = Query::new(Index::Primary, keys::wake_pk(shard))
                .below(keys::wake_due_by(now))
                .limit(PAGE)
                .start(start);
            let page = table.query(q).await?;
            for item in page.items {
                if swept.woken >= ROWS_PER_TICK {
                    return Ok(swept);
                }
                let row: WakeRow = from_item(item)?;
                swept.woken += 1;
                match wake(table, &row, now).await {
                    Ok(n) => swept.events += n,
                    Err(e) if e.is_conflict() => swept.skipped += 1,
                    Err(e) if e.is_not_found() => {
                        forget(table, &row).await?;
                        swept.skipped += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
            match page.last_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
    }
    if swept.woken > 0 {
        tracing::info!(
            woken = swept.woken,
            events = swept.events,
            skipped = swept.skipped,
            "sweep"
        );
    }
    Ok(swept)
}

/// Does what is due for the row's run or partner; the number of events written.
async fn wake(table: &dyn Table, row: &WakeRow, now: DateTime<Utc>) -> AppResult<usize> {
    let t = &row.tenant_id;
    match row.kind.as_str() {
        "run" => {
            let mut run: Run = load(table, t, &row.id).await?;
            if run.wake_at != Some(row.at) {
                return stale(table, row).await;
            }
            let expected = run.version;
            let events = run.remind(now);
            save_at(table, t, &run, expected, &events, now).await?;
            Ok(events.len())
        }
        "partner" => {
            let mut partner: Partner = load(table, t, &row.id).await?;
            if partner.wake_at != Some(row.at) {
                return stale(table, row).await;
            }
            let expected = partner.version;
            let tasks = open_tasks(table, t, &partner.id).await?;
            let events = partner.record_digest(tasks, now);
            save_at(table, t, &partner, expected, &events, now).await?;
            Ok(events.len())
        }
        "delivery" => {
            let d: domain::webhook::Delivery = load(table, t, &row.id).await?;
            if d.wake_at != Some(row.at) {
                return stale(table, row).await;
            }
            crate::webhooks::retry_due(table, t, &row.id, now).await
        }
        "mailbox" => {
            let mut mailbox: domain::comment::Mailbox = load(table, t, &row.id).await?;
            if mailbox.wake_at != Some(row.at) {
                return stale(table, row).await;
            }
            let expected = mailbox.version;
            let events = mailbox.flush(now);
            save_at(table, t, &mailbox, expected, &events, now).await?;
            Ok(events.len())
        }
        other => {
            tracing::warn!(kind = other, "due-index row of an unknown kind: removed");
            forget(table, row).await?;
            Ok(0)
        }
    }
}

async fn save_at<A: crate::repo::Aggregate>(
    table: &dyn Table,
    tenant: &str,
    a: &A,
    expected: u64,
    events: &[A::Event],
    now: DateTime<Utc>,
) -> AppResult<()> {
    match save(table, tenant, a, Some(expected), events, &sweeper(), now, Vec::new()).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed(_) | StoreError::Conflict) => {
            Err(AppError::conflict("changed by another tick or request"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A row whose aggregate has moved on (another tick was first): nothing to do but make sure
/// it is gone.
async fn stale(table: &dyn Table, row: &WakeRow) -> AppResult<usize> {
    forget(table, row).await?;
    Err(AppError::conflict("handled by another tick"))
}

async fn forget(table: &dyn Table, row: &WakeRow) -> AppResult<()> {
    table
        .transact(vec![Write::Delete {
            pk: row.pk.clone(),
            sk: row.sk.clone(),
            cond: Cond::None,
        }])
        .await?;
    Ok(())
}

/// A partner's open tasks (its task rows: one Query), most urgent first.
async fn open_tasks(table: &dyn Table, tenant: &str, partner_id: &str) -> AppResult<Vec<DigestTask>> {
    let mut rows: Vec<_> = runs::tasks_of(table, tenant, &participant_of(partner_id))
        .await?
        .into_iter()
        .filter(runs::TaskRow::is_open)
        .collect();
    rows.sort_by_key(|r| runs::TaskRow::order(r.status, r.due_at));
    Ok(rows
        .into_iter()
        .map(|r| DigestTask {
            run_id: r.run_id,
            step_key: r.step_key,
            step_name: r.name,
            process_name: r.process_name,
            run_title: r.run_title,
            due_at: r.due_at,
        })
        .collect())
}
