//! Portal access: emailed access links and the sessions they open. Only SHA-256 hashes of
//! tokens are stored; rows expire through the table's `ttl`.
//!
//! Decision: an access link works until it expires (it may be opened again to get a new
//! session, e.g. on another device); only the confirming POST uses it, never the GET, so mail
//! scanners that prefetch links open no session.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{from_item, to_item};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::ids::{hash_token, new_token};
use crate::keys;
use crate::store::{Cond, Table, Write};

pub const ACCESS_LINK_DAYS: i64 = 14;
pub const SESSION_HOURS: i64 = 12;

/// A portal participant as a token row knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalParticipant {
    pub tenant_id: String,
    pub participant_id: String,
    /// `customer` or `installer`.
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRow {
    token_kind: String,
    #[serde(flatten)]
    participant: PortalParticipant,
    expires_at: DateTime<Utc>,
    ttl: i64,
}

async fn store_token(
    table: &dyn Table,
    kind: &str,
    p: &PortalParticipant,
    expires_at: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = new_token();
    let row = TokenRow {
        token_kind: kind.into(),
        participant: p.clone(),
        expires_at,
        ttl: expires_at.timestamp(),
    };
    let item = to_item(&row, keys::token(&hash_token(&token)), "token", &[])?;
    table.transact(vec![Write::put(item, Cond::NotExists)]).await?;
    Ok(token)
}

/// Creates an access link token for a participant (returned once, stored hashed).
pub async fn issue_access_token(table: &dyn Table, p: &PortalParticipant) -> Result<String, ApiError> {
    store_token(table, "access", p, Utc::now() + Duration::days(ACCESS_LINK_DAYS)).await
}

async fn find(table: &dyn Table, token: &str, kind: &str) -> Result<Option<TokenRow>, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let k = keys::token(&hash_token(token));
    let Some(item) = table.get(&k.pk, &k.sk).await? else {
        return Ok(None);
    };
    let row: TokenRow = from_item(item)?;
    Ok((row.token_kind == kind).then_some(row))
}

/// Exchanges an access link token for a portal session.
pub async fn open_session(
    table: &dyn Table,
    access_token: &str,
) -> Result<(String, DateTime<Utc>, PortalParticipant), ApiError> {
    let row = find(table, access_token, "access")
        .await?
        .ok_or(ApiError::Unauthorized("this access link is not valid"))?;
    if row.expires_at <= Utc::now() {
        return Err(ApiError::Gone(
            "this access link has expired; a new one is sent with the next task",
        ));
    }
    let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
    let session = store_token(table, "session", &row.participant, expires_at).await?;
    Ok((session, expires_at, row.participant))
}

/// The participant behind a session token.
pub async fn session(table: &dyn Table, session_token: &str) -> Result<PortalParticipant, ApiError> {
    let row = find(table, session_token, "session")
        .await?
        .ok_or(ApiError::Unauthorized("a valid portal session is required"))?;
    if row.expires_at <= Utc::now() {
        return Err(ApiError::Unauthorized(
            "the portal session has expired; open the link from your email again",
        ));
    }
    Ok(row.participant)
}

/// Ends a session.
pub async fn close_session(table: &dyn Table, session_token: &str) -> Result<(), ApiError> {
    let k = keys::token(&hash_token(session_token));
    table
        .transact(vec![Write::Delete {
            pk: k.pk,
            sk: k.sk,
            cond: Cond::None,
        }])
        .await?;
    Ok(())
}

/// Who an access link is for, without using it (the confirmation page greets them).
pub async fn peek_access(table: &dyn Table, access_token: &str) -> Result<Option<PortalParticipant>, ApiError> {
    Ok(find(table, access_token, "access").await?.map(|row| row.participant))
}
