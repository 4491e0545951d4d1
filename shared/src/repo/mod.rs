//! Persistence above the port: how aggregates become items, with their events and
//! denormalised rows, in one transaction. Keys come from [`crate::keys`] only.

pub mod access;
pub mod definitions;
pub mod offers;
pub mod orders;
pub mod partners;
pub mod runs;
pub mod settings;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::run::{Actor, Change};
use crate::error::ApiError;
use crate::keys::{self, Key};
use crate::store::{Index, Item, Page};

/// Serialises `value` and adds its keys, its entity name and extra (index) attributes.
pub fn to_item<T: Serialize>(value: &T, key: Key, entity: &str, extra: &[(&str, String)]) -> Result<Item, ApiError> {
    let Value::Object(mut item) = serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))? else {
        return Err(ApiError::Internal(format!("{entity} is not an object")));
    };
    item.insert("pk".into(), Value::String(key.pk));
    item.insert("sk".into(), Value::String(key.sk));
    item.insert("entity".into(), Value::String(entity.into()));
    for (name, v) in extra {
        item.insert((*name).into(), Value::String(v.clone()));
    }
    Ok(item)
}

/// Reads an aggregate back from its item (key and index attributes are ignored).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(item)).map_err(|e| ApiError::Internal(format!("unreadable item: {e}")))
}

/// The aggregate a command changed: its partition, kind, id and version after the change.
pub struct Source<'a> {
    pub pk: String,
    pub aggregate: &'a str,
    pub id: &'a str,
    pub version: u64,
}

/// The stored form of a domain event: the outbox row and the audit history in one.
pub fn event_item(
    tenant: &str,
    key: Key,
    event_id: &str,
    source: &Source<'_>,
    change: &Change,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), json!(key.pk));
    item.insert("sk".into(), json!(key.sk));
    item.insert("entity".into(), json!("event"));
    item.insert("event_id".into(), json!(event_id));
    item.insert("tenant_id".into(), json!(tenant));
    item.insert("type".into(), json!(change.kind));
    item.insert("aggregate".into(), json!(source.aggregate));
    item.insert("aggregate_id".into(), json!(source.id));
    item.insert("version".into(), json!(source.version));
    item.insert("at".into(), json!(at));
    item.insert("actor".into(), json!(actor));
    item.insert("data".into(), change.data.clone());
    item
}

/// The event rows of a command, one per change, in the aggregate's partition; written in the
/// same transaction as the aggregate. Their sort key is the aggregate's version (then the
/// change's position), so the history reads in the order the changes happened whatever the
/// clocks; the event id is unique across aggregates (emails are claimed per event id).
pub fn event_writes(
    tenant: &str,
    source: Source<'_>,
    changes: &[Change],
    actor: &Actor,
    at: DateTime<Utc>,
) -> Vec<crate::store::Write> {
    changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let key = keys::event(&source.pk, &format!("{:012}-{i:02}", source.version));
            let item = event_item(tenant, key, &crate::ids::new_id(), &source, change, actor, at);
            crate::store::Write::put(item, crate::store::Cond::NotExists)
        })
        .collect()
}

/// The events in an aggregate's partition, oldest first: its history.
pub async fn events_in(table: &dyn crate::store::Table, pk: &str) -> Result<Vec<Value>, ApiError> {
    let mut events = Vec::new();
    let mut start = None;
    loop {
        let q = crate::store::Query::new(Index::Primary, pk)
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

/// Pagination: `limit` (1-100, default 25) and an opaque `cursor`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageParams {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(25),
            Some(l) if (1..=100).contains(&l) => Ok(l),
            Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 100")),
        }
    }

    /// Decodes the cursor and checks that it is a key of the caller's tenant *and* of this very
    /// list (its partition on the query's index): another list's cursor is a 422.
    fn start(&self, tenant: &str, q: &crate::store::Query) -> Result<Option<Item>, ApiError> {
        let index = q.index;
        let Some(cursor) = &self.cursor else { return Ok(None) };
        let bad = || ApiError::invalid("cursor", "is not a cursor of this list");
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let key: Item = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let prefix = keys::tenant_prefix(tenant);
        let (p, s) = index.key_names();
        let mut names = vec!["pk", "sk"];
        if index != Index::Primary {
            names.extend([p, s]);
        }
        let fits = |n: &str| {
            key.get(n)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty() && v.len() <= 1024)
        };
        let well_formed = key.len() == names.len() && names.iter().all(|n| fits(n));
        let own = [p, "pk"].iter().all(|n| {
            key.get(*n)
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with(&prefix))
        }) && key.get(p).and_then(Value::as_str) == Some(q.pk.as_str());
        if well_formed && own {
            Ok(Some(key))
        } else {
            Err(bad())
        }
    }

    /// The query with this page's limit and checked cursor.
    pub fn apply(&self, q: crate::store::Query, tenant: &str) -> Result<crate::store::Query, ApiError> {
        let start = self.start(tenant, &q)?;
        Ok(q.limit(self.limit()?).start(start))
    }
}

/// `{items, next_cursor}` for a page of aggregates.
pub fn page_json(items: Vec<Value>, page_last_key: Option<Item>) -> Value {
    let next = page_last_key.map(|k| URL_SAFE_NO_PAD.encode(Value::Object(k).to_string()));
    json!({ "items": items, "next_cursor": next })
}

/// Reads a page of aggregates of type `T`.
pub fn page_of<T: DeserializeOwned>(page: Page) -> Result<(Vec<T>, Option<Item>), ApiError> {
    let items = page.items.into_iter().map(from_item).collect::<Result<Vec<T>, _>>()?;
    Ok((items, page.last_key))
}

/// The record of an idempotent request (`Idempotency-Key`): written with `NotExists` in the
/// transaction that creates the resource, so a retry finds the id the first request created.
pub struct Idempotency {
    key: Key,
}

impl Idempotency {
    /// `scope` separates what the key may repeat (`run:{process}`, `partner`, …).
    pub fn new(tenant: &str, scope: &str, key: Option<&str>) -> Option<Self> {
        key.map(|k| Idempotency {
            key: keys::idempotency(tenant, scope, k),
        })
    }

    pub fn write(&self, id: &str) -> crate::store::Write {
        let mut item = Item::new();
        item.insert("pk".into(), json!(self.key.pk));
        item.insert("sk".into(), json!(self.key.sk));
        item.insert("entity".into(), json!("idempotency"));
        item.insert("id".into(), json!(id));
        item.insert(
            "ttl".into(),
            json!((chrono::Utc::now() + chrono::Duration::days(2)).timestamp()),
        );
        crate::store::Write::put(item, crate::store::Cond::NotExists)
    }

    /// The id the first request with this key created, if there was one.
    pub async fn lookup(&self, table: &dyn crate::store::Table) -> Result<Option<String>, ApiError> {
        let Some(record) = table.get(&self.key.pk, &self.key.sk).await? else {
            return Ok(None);
        };
        Ok(record.get("id").and_then(Value::as_str).map(str::to_string))
    }
}
