//! Triggers: the trigger item (indexed by the event kind it reacts to and the process it
//! starts) and its events.

use chrono::{DateTime, Utc};
use domain::events::{Actor, TriggerEvent};
use domain::trigger::{Trigger, TriggerInput, TriggerOn, TriggerOwner};
use store::{Index, Item, Query, Table};

use super::aggregate::{aggregate, writes_of};
use super::{page_of, Aggregate, Idempotency, PageParams};
use crate::error::{AppError, AppResult};
use crate::keys;

impl Aggregate for Trigger {
    aggregate!(TriggerEvent, "trigger", keys::trigger);
    fn events_pk(tenant: &str, id: &str) -> String {
        keys::trigger_events_pk(tenant, id)
    }

    fn index(&self, tenant: &str) -> Vec<(&'static str, String)> {
        let mut index = vec![
            ("gsi1pk", keys::triggers_on(tenant, self.on.as_str())),
            ("gsi1sk", self.id.clone()),
        ];
        if let Some(p) = self.starts() {
            index.push(("gsi2pk", keys::triggers_starting(tenant, p)));
            index.push(("gsi2sk", self.id.clone()));
        }
        index
    }
}

/// Creates a trigger; the caller checks that the process it starts exists.
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    input: TriggerInput,
    owner: TriggerOwner,
    actor: &Actor,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Trigger> {
    let idem = Idempotency::new(tenant, "trigger", &actor.id, idempotency_key, &input);
    let (trigger, events) = Trigger::create(domain::ids::new_id(), input, owner, now)?;
    super::create(table, tenant, trigger, &events, actor, idem, now).await
}

pub async fn list(table: &dyn Table, tenant: &str, page: &PageParams) -> AppResult<(Vec<Trigger>, Option<Item>)> {
    super::list_in(table, tenant, keys::triggers_pk(tenant), keys::TRIGGER_SK_PREFIX, page).await
}

/// Every trigger in an index partition (a tenant has few; pages of 100).
async fn all_in(table: &dyn Table, index: Index, pk: String) -> AppResult<Vec<Trigger>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .query(Query::new(index, pk.clone()).limit(100).start(start))
            .await?;
        let (items, last): (Vec<Trigger>, _) = page_of(page)?;
        out.extend(items);
        match last {
            Some(k) => start = Some(k),
            None => return Ok(out),
        }
    }
}

/// The triggers reacting to an event kind (one Query).
pub async fn reacting_to(table: &dyn Table, tenant: &str, on: TriggerOn) -> AppResult<Vec<Trigger>> {
    all_in(table, Index::Gsi1, keys::triggers_on(tenant, on.as_str())).await
}

/// The triggers that start a process: where it is used.
pub async fn starting(table: &dyn Table, tenant: &str, process_id: &str) -> AppResult<Vec<Trigger>> {
    all_in(table, Index::Gsi2, keys::triggers_starting(tenant, process_id)).await
}

/// Every trigger that starts `old` starts `with` from now on, all in one transaction (a
/// trigger changed meanwhile makes the whole call a 409).
pub async fn replace_process(
    table: &dyn Table,
    tenant: &str,
    old: &str,
    with: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Vec<Trigger>> {
    let mut triggers = starting(table, tenant, old).await?;
    if triggers.len() > 30 {
        return Err(AppError::conflict(
            "more than 30 triggers start this process: replace them one by one",
        ));
    }
    let mut writes = Vec::new();
    for t in &mut triggers {
        let expected = t.version;
        let events = t.replace_process(old, with, now);
        writes.extend(writes_of(tenant, t, Some(expected), &events, actor, now)?);
    }
    if !writes.is_empty() {
        table.transact(writes).await.map_err(crate::error::stale("a trigger"))?;
    }
    Ok(triggers)
}
