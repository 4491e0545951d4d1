//! Rate limits: a counter per (limit, subject) and fixed time window, in the table, so that
//! every Lambda instance counts together. A window's row expires through the table's `ttl`.
//!
//! Counting is one read and one conditional write (version check); a lost race is retried.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::config::SessionLimits;
use crate::error::{AppError, AppResult};
use crate::keys;
use store::{Cond, StoreError, Table, Write};

/// At most `max` requests per `window_secs` for one subject.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: u64,
    pub window_secs: i64,
}

/// Portal sessions opened with one access link, per minute.
pub fn sessions_per_link(limits: SessionLimits) -> Limit {
    Limit {
        name: "session-link",
        max: limits.per_link,
        window_secs: 60,
    }
}

/// Portal sessions asked for by one client address, per minute.
pub fn sessions_per_client(limits: SessionLimits) -> Limit {
    Limit {
        name: "session-client",
        max: limits.per_client,
        window_secs: 60,
    }
}

/// "Send me a new link" for one address, per hour: a few tries get through, more would only
/// flood the inbox (beyond it the page answers the same and no email goes out).
pub const NEW_LINKS_PER_ADDRESS: Limit = Limit {
    name: "new-link-address",
    max: 3,
    window_secs: 3600,
};

/// "Send me a new link" requests from one client address, per hour (429 beyond it): trying
/// addresses one after the other stays slow.
pub const NEW_LINKS_PER_CLIENT: Limit = Limit {
    name: "new-link-client",
    max: 20,
    window_secs: 3600,
};

/// Counts one request of `subject` against `limit`; `AppError::RateLimited` (with the seconds
/// until the window ends) once the window's count is reached.
pub async fn take(table: &dyn Table, limit: Limit, subject: &str, now: DateTime<Utc>) -> AppResult<()> {
    let window = now.timestamp().div_euclid(limit.window_secs);
    let hash = domain::ids::hash_token(subject);
    let key = keys::rate_limit(limit.name, &hash, window);
    let window_end = (window + 1) * limit.window_secs;
    for _ in 0..5 {
        let current = table.get(&key.pk, &key.sk).await?;
        let count = current
            .as_ref()
            .and_then(|i| i.get("count"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if count >= limit.max {
            let retry_after = (window_end - now.timestamp()).max(1);
            return Err(AppError::RateLimited(retry_after as u64));
        }
        let cond = if current.is_some() {
            Cond::Version(count)
        } else {
            Cond::NotExists
        };
        let item = json!({
            "pk": key.pk, "sk": key.sk, "count": count + 1, "version": count + 1,
            "ttl": window_end + limit.window_secs,
        });
        let Value::Object(item) = item else {
            return Err(AppError::Internal("rate limit row is not an object".into()));
        };
        match table.transact(vec![Write::put(item, cond)]).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed(_) | StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    // Many at once for the same subject: that is the burst the limit is for.
    Err(AppError::RateLimited(1))
}
