//! The response shapes every area shares: a page of a list and an aggregate's history.

use serde::Serialize;
use serde_json::Value;

/// `{items, next_cursor}`: one page of a list; `next_cursor` is null on the last page.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, last_key: Option<store::Item>) -> Self {
        Page {
            items,
            next_cursor: app::repo::next_cursor(last_key),
        }
    }
}

/// `{events}`: an aggregate's events, oldest first (`type, at, actor, data, …`).
#[derive(Debug, Serialize)]
pub struct History {
    pub events: Vec<Value>,
}
