//! The one repository shape: an [`Aggregate`] names its key, index attributes, denormalised
//! rows and event type; [`load`], [`change`] and [`save`] work for every aggregate. A change
//! is one transaction: the aggregate at the version it was read (optimistic locking), its
//! rows, and its events as outbox rows that double as its history.

use chrono::{DateTime, Utc};
use domain::events::{Actor, Event};
use domain::DomainError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use store::{Cond, Index, Item, Query, StoreError, Table, Write};

use super::{to_item, Idempotency};
use crate::error::{stale, AppError, AppResult};
use crate::keys::{self, Key};

/// An aggregate as the table stores it.
pub trait Aggregate: Serialize + DeserializeOwned + Clone + Send + Sync {
    /// Its typed events.
    type Event: Serialize + Send + Sync;
    /// The item's `entity`, the events' `aggregate` (`run`, `partner`, …), and how errors
    /// name it ("run not found", "the run was changed meanwhile").
    const KIND: &'static str;

    fn key(tenant: &str, id: &str) -> Key;
    fn id(&self) -> &str;
    fn version(&self) -> u64;

    /// The partition of its events (default: its own).
    fn events_pk(tenant: &str, id: &str) -> String {
        Self::key(tenant, id).pk
    }

    /// Secondary-index attributes of its item.
    fn index(&self, _tenant: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// When the sweeper should next look at it (reminders, digests); `None`: never.
    fn wake(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// The wake time its stored item has (whose due-index row exists).
    fn woken(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Rows written with it, in the same transaction (task rows, the open-order lock).
    /// `new`: the aggregate is being created.
    fn rows(&self, _tenant: &str, _new: bool) -> Vec<Write> {
        Vec::new()
    }

    /// The digests of the rows its stored item was written with, for aggregates with many
    /// rows (a run's task and inbox rows): a row whose digest is among them is as stored and
    /// is not written again. `None`: every row is written every time.
    fn row_digests(&self) -> Option<&[String]> {
        None
    }
}

/// A row's digest: the first 16 hex digits of the SHA-256 of its JSON.
fn digest(row: &Item) -> String {
    domain::ids::hash_token(&Value::Object(row.clone()).to_string())[..16].to_string()
}

/// The rows to write now, and the digests of all of them (when the aggregate keeps digests).
fn fresh_rows<A: Aggregate>(a: &A, tenant: &str, new: bool) -> (Vec<Write>, Option<Vec<String>>) {
    let rows = a.rows(tenant, new);
    let Some(stored) = a.row_digests() else {
        return (rows, None);
    };
    let mut digests = Vec::new();
    let mut out = Vec::new();
    for w in rows {
        match &w {
            Write::Put { item, .. } => {
                let d = digest(item);
                if new || !stored.contains(&d) {
                    out.push(w);
                }
                digests.push(d);
            }
            _ => out.push(w),
        }
    }
    (out, Some(digests))
}

/// Deletes of the rows the aggregate had before a command and has no more (a participant
/// replaced, a step reassigned): keys in `before` that `after` lacks.
pub fn rows_gone<A: Aggregate>(tenant: &str, before: &A, after: &A) -> Vec<Write> {
    // Every key `after` writes (puts and deletes alike: an order's lock row is deleted by
    // its own rows when the order ends).
    let now: Vec<(String, String)> = after.rows(tenant, false).iter().filter_map(write_key).collect();
    before
        .rows(tenant, false)
        .iter()
        .filter(|w| matches!(w, Write::Put { .. }))
        .filter_map(write_key)
        .filter(|k| !now.contains(k))
        .map(|(pk, sk)| Write::Delete {
            pk,
            sk,
            cond: Cond::None,
        })
        .collect()
}

fn write_key(w: &Write) -> Option<(String, String)> {
    match w {
        Write::Put { item, .. } => Some((
            store::attr_str(item, "pk")?.to_string(),
            store::attr_str(item, "sk")?.to_string(),
        )),
        Write::Delete { pk, sk, .. } => Some((pk.clone(), sk.clone())),
        _ => None,
    }
}

/// The part of an [`Aggregate`] impl that every aggregate spells the same way: its events,
/// its kind, its key builder, and `id` / `version` fields (`singleton`: one per tenant, its
/// key has no id).
macro_rules! aggregate {
    ($event:ty, $kind:literal, $key:path) => {
        type Event = $event;
        const KIND: &'static str = $kind;
        fn key(tenant: &str, id: &str) -> $crate::keys::Key {
            $key(tenant, id)
        }
        fn id(&self) -> &str {
            &self.id
        }
        fn version(&self) -> u64 {
            self.version
        }
    };
    ($event:ty, $kind:literal, singleton $key:path) => {
        type Event = $event;
        const KIND: &'static str = $kind;
        fn key(tenant: &str, _id: &str) -> $crate::keys::Key {
            $key(tenant)
        }
        fn id(&self) -> &str {
            $kind
        }
        fn version(&self) -> u64 {
            self.version
        }
    };
}
pub(crate) use aggregate;

/// The aggregate's item with its keys and index attributes.
pub fn item_of<A: Aggregate>(tenant: &str, a: &A) -> AppResult<Item> {
    to_item(a, A::key(tenant, a.id()), A::KIND, &a.index(tenant))
}

/// The outbox rows of a command's events, in the aggregate's event partition. Their sort key
/// is the aggregate's version (then the event's position), so the history reads in the order
/// things happened whatever the clocks; the event id is unique across aggregates (emails
/// are claimed per event id).
pub fn event_writes<A: Aggregate>(
    tenant: &str,
    a: &A,
    events: &[A::Event],
    actor: &Actor,
    at: DateTime<Utc>,
) -> AppResult<Vec<Write>> {
    let pk = A::events_pk(tenant, a.id());
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let key = keys::event(&pk, &format!("{:012}-{i:02}", a.version()));
            let at_version = EventOf {
                tenant,
                kind: A::KIND,
                id: a.id(),
                version: a.version(),
            };
            Ok(Write::put(
                event_item(key, &at_version, event, actor, at)?,
                Cond::NotExists,
            ))
        })
        .collect()
}

/// Whose event an outbox row holds: the tenant, the aggregate's kind and id, its version.
pub struct EventOf<'a> {
    pub tenant: &'a str,
    pub kind: &'a str,
    pub id: &'a str,
    pub version: u64,
}

/// An outbox row: the event (its `type` and `data`, the serde tag and content) with whose it
/// is, who did it and when, under a new event id.
pub fn event_item<E: serde::Serialize>(
    key: keys::Key,
    of: &EventOf,
    event: &E,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AppResult<Item> {
    let Value::Object(tagged) = serde_json::to_value(event).map_err(|e| AppError::Internal(format!("event: {e}")))?
    else {
        return Err(AppError::Internal("an event is not an object".into()));
    };
    let mut item = Item::new();
    item.insert("pk".into(), json!(key.pk));
    item.insert("sk".into(), json!(key.sk));
    item.insert("entity".into(), json!("event"));
    item.insert("event_id".into(), json!(domain::ids::new_id()));
    item.insert("tenant_id".into(), json!(of.tenant));
    item.insert("aggregate".into(), json!(of.kind));
    item.insert("aggregate_id".into(), json!(of.id));
    item.insert("version".into(), json!(of.version));
    item.insert("at".into(), json!(at));
    item.insert("actor".into(), json!(actor));
    item.extend(tagged);
    Ok(item)
}

/// Every write of one aggregate after a command: the item (new when `expected` is none,
/// else at the version read), its rows and its events.
pub fn writes_of<A: Aggregate>(
    tenant: &str,
    a: &A,
    expected: Option<u64>,
    events: &[A::Event],
    actor: &Actor,
    at: DateTime<Utc>,
) -> AppResult<Vec<Write>> {
    let mut item = item_of(tenant, a)?;
    let (woken, wake) = (a.woken().filter(|_| expected.is_some()), a.wake());
    match wake {
        Some(at) => item.insert("wake_at".into(), json!(at)),
        None => item.remove("wake_at"),
    };
    let (rows, digests) = fresh_rows(a, tenant, expected.is_none());
    if let Some(d) = digests {
        item.insert("row_digests".into(), json!(d));
    }
    let mut writes = vec![Write::put(item, expected.map_or(Cond::NotExists, Cond::Version))];
    writes.extend(rows);
    if woken != wake {
        writes.extend(wake_writes::<A>(tenant, a.id(), woken, wake));
    }
    writes.extend(event_writes(tenant, a, events, actor, at)?);
    Ok(writes)
}

/// Moves an aggregate's row in the due index from `old` to `new` (either may be none).
fn wake_writes<A: Aggregate>(
    tenant: &str,
    id: &str,
    old: Option<DateTime<Utc>>,
    new: Option<DateTime<Utc>>,
) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(at) = old {
        let k = keys::wake(tenant, A::KIND, id, at);
        writes.push(Write::Delete {
            pk: k.pk,
            sk: k.sk,
            cond: Cond::None,
        });
    }
    if let Some(at) = new {
        let k = keys::wake(tenant, A::KIND, id, at);
        let row =
            json!({"pk": k.pk, "sk": k.sk, "entity": "wake", "tenant_id": tenant, "kind": A::KIND, "id": id, "at": at});
        if let Value::Object(row) = row {
            writes.push(Write::put(row, Cond::None));
        }
    }
    writes
}

/// The aggregate, or a 404 naming it.
pub async fn load<A: Aggregate>(table: &dyn Table, tenant: &str, id: &str) -> AppResult<A> {
    super::get_as(table, A::key(tenant, id), A::KIND).await
}

/// Writes the aggregate with its rows and events, plus `extra` writes (an idempotency
/// record, a version check on another item) in the same transaction. Errors keep the
/// store's detail (which write's condition failed).
#[allow(clippy::too_many_arguments)]
pub async fn save<A: Aggregate>(
    table: &dyn Table,
    tenant: &str,
    a: &A,
    expected: Option<u64>,
    events: &[A::Event],
    actor: &Actor,
    at: DateTime<Utc>,
    extra: Vec<Write>,
) -> Result<(), StoreError> {
    let mut writes =
        writes_of(tenant, a, expected, events, actor, at).map_err(|e| StoreError::Invalid(e.to_string()))?;
    writes.extend(extra);
    table.transact(writes).await
}

/// Reads the aggregate once, applies a command to it (which checks permissions and state
/// and returns its events), and saves it at the version read: a concurrent change is a 409.
pub async fn change<A, F>(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    command: F,
) -> AppResult<A>
where
    A: Aggregate,
    F: FnOnce(&mut A, DateTime<Utc>) -> Result<Vec<A::Event>, DomainError>,
{
    let mut a: A = load(table, tenant, id).await?;
    let before = a.clone();
    let expected = a.version();
    let events = command(&mut a, now)?;
    let gone = rows_gone(tenant, &before, &a);
    save(table, tenant, &a, Some(expected), &events, actor, now, gone)
        .await
        .map_err(stale(&format!("the {}", A::KIND)))?;
    Ok(a)
}

/// Creates the aggregate. With an idempotency record, a retry gets what the first request
/// created instead of a second one (only the record, write 1 or later, can collide then).
pub async fn create<A: Aggregate>(
    table: &dyn Table,
    tenant: &str,
    a: A,
    events: &[A::Event],
    actor: &Actor,
    idempotency: Option<Idempotency>,
    now: DateTime<Utc>,
) -> AppResult<A> {
    let extra = idempotency.iter().map(|i| i.write(a.id())).collect();
    match (
        save(table, tenant, &a, None, events, actor, now, extra).await,
        idempotency,
    ) {
        (Ok(()), _) => Ok(a),
        (Err(StoreError::ConditionFailed(i)), Some(idem)) if i > 0 => match idem.lookup(table).await? {
            Some(id) => load(table, tenant, &id).await,
            None => Err(AppError::conflict("retry the request")),
        },
        (Err(e), _) => Err(e.into()),
    }
}

/// The aggregate's events, oldest first: its history (`type, at, actor, data, …`).
pub async fn history<A: Aggregate>(table: &dyn Table, tenant: &str, id: &str) -> AppResult<Vec<Value>> {
    load::<A>(table, tenant, id).await?;
    let mut events = Vec::new();
    let mut start = None;
    loop {
        let q = Query::new(Index::Primary, A::events_pk(tenant, id))
            .begins_with(keys::EVENT_SK_PREFIX)
            .limit(100)
            .start(start);
        let page = table.query(q).await?;
        for mut item in page.items {
            for k in ["pk", "sk", "entity", "tenant_id"] {
                item.remove(k);
            }
            events.push(Value::Object(item));
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => return Ok(events),
        }
    }
}

/// Reads an outbox row's event by its `aggregate`, `type` and `data`.
pub fn parse_event(row: &Item) -> Result<Event, String> {
    let tagged = json!({"type": row.get("type"), "data": row.get("data")});
    let aggregate = store::attr_str(row, "aggregate").unwrap_or_default();
    let parsed = match aggregate {
        "run" => serde_json::from_value(tagged).map(Event::Run),
        "partner" => serde_json::from_value(tagged).map(Event::Partner),
        "offer" => serde_json::from_value(tagged).map(Event::Offer),
        "order" => serde_json::from_value(tagged).map(Event::Order),
        "settings" | "order_steps" => serde_json::from_value(tagged).map(Event::Settings),
        "access" => serde_json::from_value(tagged).map(Event::Access),
        "team" => serde_json::from_value(tagged).map(Event::Team),
        "comment" => serde_json::from_value(tagged).map(Event::Comment),
        "mailbox" => serde_json::from_value(tagged).map(Event::Mailbox),
        "trigger" => serde_json::from_value(tagged).map(Event::Trigger),
        "subscription" => serde_json::from_value(tagged).map(Event::Subscription),
        "delivery" => serde_json::from_value(tagged).map(Event::Delivery),
        other => return Err(format!("unknown aggregate {other:?}")),
    };
    parsed.map_err(|e| format!("unreadable {aggregate} event: {e}"))
}
