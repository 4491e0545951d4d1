//! Persistence above the port: how aggregates become items, with their events and
//! denormalised rows, in one transaction ([`aggregate`]). Keys come from [`crate::keys`] only.

pub mod access;
pub mod aggregate;
pub mod comments;
pub mod definitions;
pub mod hooks;
pub mod inbox;
pub mod limits;
pub mod new_link;
pub mod offer_images;
pub mod offers;
pub mod orders;
pub mod partners;
pub mod runs;
pub mod settings;
pub mod teams;
pub mod triggers;
pub mod undeliverable;
pub mod uploads;

pub use aggregate::{change, create, history, load, save, Aggregate};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::keys::{self, Key};
use store::{Index, Item, Page};

/// Serialises `value` and adds its keys, its entity name and extra (index) attributes.
pub fn to_item<T: Serialize>(value: &T, key: Key, entity: &str, extra: &[(&str, String)]) -> Result<Item, AppError> {
    let Value::Object(mut item) = serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))? else {
        return Err(AppError::Internal(format!("{entity} is not an object")));
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
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, AppError> {
    serde_json::from_value(Value::Object(item)).map_err(|e| AppError::Internal(format!("unreadable item: {e}")))
}

/// Pagination: `limit` (1-100, default 25) and an opaque `cursor`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u32, AppError> {
        match self.limit {
            None => Ok(25),
            Some(l) if (1..=100).contains(&l) => Ok(l),
            Some(_) => Err(AppError::invalid("limit", "out_of_range", "must be between 1 and 100")),
        }
    }

    /// Decodes the cursor and checks that it is a key of the caller's tenant *and* of this very
    /// list (its partition on the query's index): another list's cursor is a 422.
    fn start(&self, tenant: &str, q: &store::Query) -> Result<Option<Item>, AppError> {
        let index = q.index;
        let Some(cursor) = &self.cursor else { return Ok(None) };
        let bad = || AppError::invalid("cursor", "invalid_cursor", "is not a cursor of this list");
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
    pub fn apply(&self, q: store::Query, tenant: &str) -> Result<store::Query, AppError> {
        let start = self.start(tenant, &q)?;
        Ok(q.limit(self.limit()?).start(start))
    }
}

/// The opaque cursor of the next page (base64 of the last key read), if there is one.
pub fn next_cursor(page_last_key: Option<Item>) -> Option<String> {
    page_last_key.map(|k| URL_SAFE_NO_PAD.encode(Value::Object(k).to_string()))
}

/// The item under `key` as a `T`, or a 404 naming `what`.
pub async fn get_as<T: DeserializeOwned>(
    table: &dyn store::Table,
    key: Key,
    what: &'static str,
) -> Result<T, AppError> {
    let item = table
        .get(&key.pk, &key.sk)
        .await?
        .ok_or(AppError::Domain(domain::DomainError::NotFound(what)))?;
    from_item(item)
}

/// A page of the `T` items in a partition whose sort keys start with `prefix`.
pub async fn list_in<T: DeserializeOwned>(
    table: &dyn store::Table,
    tenant: &str,
    pk: String,
    prefix: &str,
    page: &PageParams,
) -> Result<(Vec<T>, Option<Item>), AppError> {
    let q = page.apply(store::Query::new(Index::Primary, pk).begins_with(prefix), tenant)?;
    page_of(table.query(q).await?)
}

/// Reads a page of aggregates of type `T`.
pub fn page_of<T: DeserializeOwned>(page: Page) -> Result<(Vec<T>, Option<Item>), AppError> {
    let items = page.items.into_iter().map(from_item).collect::<Result<Vec<T>, _>>()?;
    Ok((items, page.last_key))
}

/// The record of an idempotent request (`Idempotency-Key`, after the IETF draft): scoped per
/// caller, written with `NotExists` in the transaction that creates the resource, with the
/// fingerprint of the request. A retry with the same request finds what the first one created;
/// the same key with another request is a 422. (A retry racing the first request never sees it
/// half done: the record and the resource commit together, so it finds both or neither.)
pub struct Idempotency {
    key: Key,
    fingerprint: String,
}

impl Idempotency {
    /// `scope` separates what the key may repeat (`run:{process}`, `partner`, `order`);
    /// `caller` is who sends it (their keys never meet anyone else's); `request` what it asks.
    pub fn new<R: Serialize>(tenant: &str, scope: &str, caller: &str, key: Option<&str>, request: &R) -> Option<Self> {
        let request = serde_json::to_string(request).unwrap_or_default();
        key.map(|k| Idempotency {
            key: keys::idempotency(tenant, &format!("{scope}#{}", keys::user_hash(caller)), k),
            fingerprint: domain::ids::hash_token(&request),
        })
    }

    pub fn write(&self, id: &str) -> store::Write {
        let mut item = Item::new();
        item.insert("pk".into(), json!(self.key.pk));
        item.insert("sk".into(), json!(self.key.sk));
        item.insert("entity".into(), json!("idempotency"));
        item.insert("id".into(), json!(id));
        item.insert("fingerprint".into(), json!(self.fingerprint));
        item.insert(
            "ttl".into(),
            json!((chrono::Utc::now() + chrono::Duration::days(2)).timestamp()),
        );
        store::Write::put(item, store::Cond::NotExists)
    }

    /// The id the first request with this key created, if there was one; a 422 when that
    /// request asked for something else.
    pub async fn lookup(&self, table: &dyn store::Table) -> Result<Option<String>, AppError> {
        let Some(record) = table.get(&self.key.pk, &self.key.sk).await? else {
            return Ok(None);
        };
        if record.get("fingerprint").and_then(Value::as_str) != Some(self.fingerprint.as_str()) {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "reused",
                "was used for a different request; send a new key",
            ));
        }
        Ok(record.get("id").and_then(Value::as_str).map(str::to_string))
    }
}
