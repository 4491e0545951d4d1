//! The table port: a small interface with DynamoDB semantics, implemented by
//! [`dynamo::DynamoTable`] (aws-sdk-dynamodb) and `store_sqlite::EmbeddedTable` (SQLite, in its
//! own crate so that only local-server and the tests link SQLite).
//!
//! Items are JSON objects. Every item has the string attributes `pk` and `sk`; items that
//! appear in a secondary index also carry `gsiNpk` / `gsiNsk` (strings, never null).
//! Key design and access patterns live in `app::keys`, above this port.

pub mod blobs;
pub mod dynamo;
pub mod s3;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// One stored item.
pub type Item = Map<String, Value>;

/// Which key schema a query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Primary,
    Gsi1,
    Gsi2,
    Gsi3,
    Gsi4,
}

impl Index {
    /// The partition and sort key attribute names of this index.
    pub fn key_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
            Index::Gsi4 => ("gsi4pk", "gsi4sk"),
        }
    }

    /// The DynamoDB index name, `None` for the table itself.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Primary => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
            Index::Gsi3 => Some("gsi3"),
            Index::Gsi4 => Some("gsi4"),
        }
    }

    pub const SECONDARY: [Index; 4] = [Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Gsi4];
}

/// Condition on the sort key of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    BeginsWith(String),
    /// Sort keys that sort before this one (`sk < value`).
    Below(String),
}

impl SortKey {
    /// The value the condition compares with.
    pub fn value(&self) -> &str {
        match self {
            SortKey::BeginsWith(v) | SortKey::Below(v) => v,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: Option<SortKey>,
    pub limit: Option<u32>,
    /// The `last_key` of the previous page.
    pub start: Option<Item>,
    /// `false` reads the sort key descending (newest first for ULID keys).
    pub forward: bool,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        Query {
            index,
            pk: pk.into(),
            sk: None,
            limit: None,
            start: None,
            forward: true,
        }
    }
    pub fn begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sk = Some(SortKey::BeginsWith(prefix.into()));
        self
    }
    pub fn below(mut self, bound: impl Into<String>) -> Self {
        self.sk = Some(SortKey::Below(bound.into()));
        self
    }
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
    pub fn start(mut self, start: Option<Item>) -> Self {
        self.start = start;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Key attributes of the last item read, when more may follow.
    pub last_key: Option<Item>,
}

/// A typed write condition, evaluated on the item currently stored under the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    None,
    /// No item exists under the key.
    NotExists,
    /// An item exists under the key.
    Exists,
    /// An item exists and its `version` attribute equals this number.
    Version(u64),
}

#[derive(Debug, Clone)]
pub enum Write {
    Put { item: Item, cond: Cond },
    Delete { pk: String, sk: String, cond: Cond },
    Check { pk: String, sk: String, cond: Cond },
}

impl Write {
    pub fn put(item: Item, cond: Cond) -> Self {
        Write::Put { item, cond }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition of the write at this position (in the transaction) did not hold;
    /// nothing was written.
    #[error("condition failed on write {0}")]
    ConditionFailed(usize),
    /// A transaction collided with another one in flight; retrying may succeed.
    #[error("transaction conflict")]
    Conflict,
    #[error("invalid item: {0}")]
    Invalid(String),
    /// The item is larger than a table item may be (DynamoDB: 400 KB).
    #[error("item too large: {0} bytes")]
    TooLarge(usize),
    #[error("storage backend: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    async fn query(&self, query: Query) -> Result<Page, StoreError>;
    /// All writes succeed together or none does.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// The string attribute `name` of an item.
pub fn attr_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(Value::as_str)
}

/// Checks what every adapter requires of an item before it is written.
/// Largest partition and sort key, in bytes (DynamoDB's limits).
pub const MAX_PK_BYTES: usize = 2048;
pub const MAX_SK_BYTES: usize = 1024;
/// Largest item we write, as JSON bytes: below DynamoDB's 400 KB with room for its encoding.
pub const MAX_ITEM_BYTES: usize = 350 * 1024;

/// Whether a key could exist at all; a longer one is simply not found (on both adapters).
pub fn key_fits(pk: &str, sk: Option<&str>) -> bool {
    !pk.is_empty() && pk.len() <= MAX_PK_BYTES && sk.is_none_or(|s| !s.is_empty() && s.len() <= MAX_SK_BYTES)
}

/// Checks what DynamoDB would refuse (shared by both adapters).
pub fn check_item(item: &Item) -> Result<(String, String), StoreError> {
    let pk = attr_str(item, "pk").ok_or_else(|| StoreError::Invalid("pk missing".into()))?;
    let sk = attr_str(item, "sk").ok_or_else(|| StoreError::Invalid("sk missing".into()))?;
    if !key_fits(pk, Some(sk)) {
        return Err(StoreError::Invalid("key empty or too long".into()));
    }
    let size = serde_json::to_vec(item).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::TooLarge(size));
    }
    for index in Index::SECONDARY {
        let (p, s) = index.key_names();
        for name in [p, s] {
            if let Some(v) = item.get(name) {
                if !v.is_string() {
                    return Err(StoreError::Invalid(format!("{name} must be a string")));
                }
            }
        }
    }
    Ok((pk.to_string(), sk.to_string()))
}

/// The key attributes of `item` for `index` (table keys always included), as DynamoDB
/// returns them in `LastEvaluatedKey`.
pub fn key_of(item: &Item, index: Index) -> Item {
    let mut key = Item::new();
    let (p, s) = index.key_names();
    for name in ["pk", "sk", p, s] {
        if let Some(v) = item.get(name) {
            key.insert(name.to_string(), v.clone());
        }
    }
    key
}
