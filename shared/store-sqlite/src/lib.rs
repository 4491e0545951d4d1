//! The embedded adapter: SQLite (ACID, durable on disk, or in memory for tests).
//!
//! Besides the port it keeps a change feed, the local stand-in for DynamoDB Streams: every
//! put appends the new image to `stream`, which the local relay reads in order.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use store::{check_item, key_of, Cond, Item, Page, Query, SortKey, StoreError, Table, Write};

pub struct EmbeddedTable {
    conn: Mutex<Connection>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT, gsi2pk TEXT, gsi2sk TEXT, gsi3pk TEXT, gsi3sk TEXT,
    gsi4pk TEXT, gsi4sk TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
);
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi3 ON items (gsi3pk, gsi3sk) WHERE gsi3pk IS NOT NULL;
CREATE TABLE IF NOT EXISTS stream (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

impl EmbeddedTable {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA).map_err(backend)?;
        // A data folder from before gsi4: add its columns (their rows have no gsi4 yet; a
        // row gets it when it is next written).
        let has_gsi4 = conn.prepare("SELECT gsi4pk FROM items LIMIT 0").is_ok();
        if !has_gsi4 {
            conn.execute_batch("ALTER TABLE items ADD COLUMN gsi4pk TEXT; ALTER TABLE items ADD COLUMN gsi4sk TEXT;")
                .map_err(backend)?;
        }
        conn.execute_batch("CREATE INDEX IF NOT EXISTS items_gsi4 ON items (gsi4pk, gsi4sk) WHERE gsi4pk IS NOT NULL;")
            .map_err(backend)?;
        Ok(EmbeddedTable { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Backend("embedded store lock poisoned".into()))
    }

    /// New images written after `after`, in commit order, at most `limit`.
    pub fn read_stream(&self, after: i64, limit: u32) -> Result<Vec<(i64, Item)>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("SELECT seq, body FROM stream WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, body) = row.map_err(backend)?;
            out.push((seq, parse(&body)?));
        }
        Ok(out)
    }

    /// The position of the newest image in the feed (0 when empty).
    pub fn stream_head(&self) -> Result<i64, StoreError> {
        let conn = self.lock()?;
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM stream", [], |r| r.get(0))
            .map_err(backend)
    }

    pub fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))
            .optional()
            .map_err(backend)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )
        .map_err(backend)?;
        Ok(())
    }
}

fn parse(body: &str) -> Result<Item, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Backend(format!("corrupt item: {e}")))
}

fn current(conn: &Connection, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM items WHERE pk = ?1 AND sk = ?2",
            params![pk, sk],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    body.map(|b| parse(&b)).transpose()
}

fn holds(cond: &Cond, existing: Option<&Item>) -> bool {
    match cond {
        Cond::None => true,
        Cond::NotExists => existing.is_none(),
        Cond::Exists => existing.is_some(),
        Cond::Version(v) => existing
            .and_then(|i| i.get("version"))
            .and_then(|x| x.as_u64())
            .is_some_and(|x| x == *v),
    }
}

fn gsi(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_str()).map(str::to_string)
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        if !store::key_fits(pk, Some(sk)) {
            return Ok(None);
        }
        let conn = self.lock()?;
        current(&conn, pk, sk)
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        if !store::key_fits(&q.pk, None) {
            return Ok(Page::default());
        }
        let (pcol, scol) = q.index.key_names();
        let mut sql = format!("SELECT body FROM items WHERE {pcol} = ?1");
        let mut args: Vec<String> = vec![q.pk.clone()];
        match &q.sk {
            Some(SortKey::BeginsWith(prefix)) => {
                args.push(prefix.clone());
                sql.push_str(&format!(" AND substr({scol}, 1, length(?{n})) = ?{n}", n = args.len()));
            }
            Some(SortKey::Below(bound)) => {
                args.push(bound.clone());
                sql.push_str(&format!(" AND {scol} < ?{}", args.len()));
            }
            None => {}
        }
        if let Some(start) = &q.start {
            let get = |name: &str| {
                start
                    .get(name)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .ok_or_else(|| StoreError::Invalid(format!("start key lacks {name}")))
            };
            let (s, p, k) = (get(scol)?, get("pk")?, get("sk")?);
            let op = if q.forward { ">" } else { "<" };
            let n = args.len();
            sql.push_str(&format!(
                " AND ({scol}, pk, sk) {op} (?{}, ?{}, ?{})",
                n + 1,
                n + 2,
                n + 3
            ));
            args.extend([s, p, k]);
        }
        let dir = if q.forward { "ASC" } else { "DESC" };
        sql.push_str(&format!(" ORDER BY {scol} {dir}, pk {dir}, sk {dir}"));
        if let Some(limit) = q.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let conn = self.lock()?;
        let mut stmt = conn.prepare(&sql).map_err(backend)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get::<_, String>(0))
            .map_err(backend)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(parse(&row.map_err(backend)?)?);
        }
        let last_key = match (q.limit, items.last()) {
            (Some(limit), Some(last)) if items.len() as u32 >= limit => Some(key_of(last, q.index)),
            _ => None,
        };
        Ok(Page { items, last_key })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut seen = std::collections::HashSet::new();
        for w in &writes {
            let key = match w {
                Write::Put { item, .. } => check_item(item)?,
                Write::Delete { pk, sk, .. } | Write::Check { pk, sk, .. } => (pk.clone(), sk.clone()),
            };
            if !seen.insert(key) {
                return Err(StoreError::Invalid("two writes on one item in a transaction".into()));
            }
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        for (i, w) in writes.iter().enumerate() {
            let (pk, sk, cond) = match w {
                Write::Put { item, cond } => {
                    let (pk, sk) = check_item(item)?;
                    (pk, sk, cond)
                }
                Write::Delete { pk, sk, cond } | Write::Check { pk, sk, cond } => (pk.clone(), sk.clone(), cond),
            };
            if !holds(cond, current(&tx, &pk, &sk)?.as_ref()) {
                return Err(StoreError::ConditionFailed(i));
            }
        }
        for w in &writes {
            match w {
                Write::Put { item, .. } => {
                    let (pk, sk) = check_item(item)?;
                    let body = serde_json::to_string(item).map_err(backend)?;
                    tx.execute(
                        "INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, gsi4pk, gsi4sk, body)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                        params![
                            pk,
                            sk,
                            gsi(item, "gsi1pk"),
                            gsi(item, "gsi1sk"),
                            gsi(item, "gsi2pk"),
                            gsi(item, "gsi2sk"),
                            gsi(item, "gsi3pk"),
                            gsi(item, "gsi3sk"),
                            gsi(item, "gsi4pk"),
                            gsi(item, "gsi4sk"),
                            body
                        ],
                    )
                    .map_err(backend)?;
                    tx.execute("INSERT INTO stream (body) VALUES (?1)", params![body])
                        .map_err(backend)?;
                }
                Write::Delete { pk, sk, .. } => {
                    tx.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", params![pk, sk])
                        .map_err(backend)?;
                }
                Write::Check { .. } => {}
            }
        }
        tx.commit().map_err(backend)
    }
}
