//! The response shapes every area shares: a page of a list and an aggregate's history.

use serde::Serialize;
use serde_json::Value;

/// One event of an aggregate's history, as the outbox row stores it (the schema of
/// [`History`]'s items; the rows are passed through as stored).
#[derive(Debug, utoipa::ToSchema)]
pub struct HistoryEvent {
    /// `run_started`, `step_activated`, `order_placed`, …
    #[schema(rename = "type")]
    pub kind: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: domain::events::Actor,
    /// The event's own fields.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// `{items, next_cursor}`: one page of a list; `next_cursor` is null on the last page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    #[schema(value_type = Vec<HistoryEvent>)]
    pub events: Vec<Value>,
}
