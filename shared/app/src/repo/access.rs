//! Portal access: emailed access links and the sessions they open. Only SHA-256 hashes of
//! tokens are stored; rows expire through the table's `ttl`.
//!
//! Decision: an access link works until it expires (it may be opened again to get a new
//! session, e.g. on another device); only the confirming POST uses it, never the GET, so mail
//! scanners that prefetch links open no session.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{from_item, to_item};
use crate::error::AppError;
use crate::keys;
use domain::i18n::Lang;
use domain::ids::{hash_token, new_token};
use domain::DomainError;
use store::{Cond, Table, Write};

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
    /// For partner users: their organisation and their own user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The step an access link announced: where its confirm click leads (not kept on
    /// sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing: Option<Landing>,
}

/// A run's step, as a place in the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    pub run_id: String,
    pub step_key: String,
}

impl Landing {
    /// The run page, scrolled to the step (run ids are ULIDs, step keys `require_key`'s
    /// letters, digits, `-` and `_`: nothing to escape).
    /// No step: the run's comments.
    pub fn path(&self) -> String {
        if self.step_key.is_empty() {
            return format!("/portal/runs/{}#comments", self.run_id);
        }
        format!("/portal/runs/{}#step-{}", self.run_id, self.step_key)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRow {
    token_kind: String,
    #[serde(flatten)]
    participant: PortalParticipant,
    expires_at: DateTime<Utc>,
    ttl: i64,
}

/// A new token row (returned once, stored hashed) and the write that stores it.
fn token_write(kind: &str, p: &PortalParticipant, expires_at: DateTime<Utc>) -> Result<(String, Write), AppError> {
    let token = new_token();
    let row = TokenRow {
        token_kind: kind.into(),
        participant: p.clone(),
        expires_at,
        ttl: expires_at.timestamp(),
    };
    let item = to_item(&row, keys::token(&hash_token(&token)), "token", &[])?;
    Ok((token, Write::put(item, Cond::NotExists)))
}

async fn store_token(
    table: &dyn Table,
    kind: &str,
    p: &PortalParticipant,
    expires_at: DateTime<Utc>,
) -> Result<String, AppError> {
    let (token, write) = token_write(kind, p, expires_at)?;
    table.transact(vec![write]).await?;
    Ok(token)
}

/// How long an address stays in the directory after its last access link: "send me a new
/// link" finds it that long (and only sends while it has open tasks).
pub const ADDRESS_DAYS: i64 = 180;

/// An address's portal access at one tenant, as its last access link gave it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressRow {
    pub email: String,
    #[serde(flatten)]
    pub participant: PortalParticipant,
}

/// Creates an access link token for a participant at `email` (returned once, stored hashed),
/// and records in the same transaction that the address has portal access at this tenant.
pub async fn issue_access_link(
    table: &dyn Table,
    p: &PortalParticipant,
    email: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (token, write) = token_write("access", p, now + Duration::days(ACCESS_LINK_DAYS))?;
    let row = AddressRow {
        email: email.trim().to_string(),
        participant: PortalParticipant {
            landing: None,
            ..p.clone()
        },
    };
    let key = keys::address(
        &domain::ids::participant_id(email),
        &p.tenant_id,
        &p.participant_id,
        p.user_id.as_deref(),
    );
    let mut item = to_item(&row, key, "address", &[])?;
    item.insert(
        "ttl".into(),
        serde_json::json!((now + Duration::days(ADDRESS_DAYS)).timestamp()),
    );
    table.transact(vec![write, Write::put(item, Cond::None)]).await?;
    Ok(token)
}

/// Where an address has portal access (one Query; at most 20 tenants and organisations).
pub async fn addresses(table: &dyn Table, email: &str) -> Result<Vec<AddressRow>, AppError> {
    let q = store::Query::new(
        store::Index::Primary,
        keys::address_pk(&domain::ids::participant_id(email)),
    )
    .limit(20);
    table.query(q).await?.items.into_iter().map(from_item).collect()
}

/// The row of a token of the given kind (`access`, `session`, `invitation`).
async fn find_row<T: serde::de::DeserializeOwned>(
    table: &dyn Table,
    token: &str,
    kind: &str,
) -> Result<Option<T>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let k = keys::token(&hash_token(token));
    let Some(item) = table.get(&k.pk, &k.sk).await? else {
        return Ok(None);
    };
    if store::attr_str(&item, "token_kind") != Some(kind) {
        return Ok(None);
    }
    from_item(item).map(Some)
}

async fn find(table: &dyn Table, token: &str, kind: &str) -> Result<Option<TokenRow>, AppError> {
    find_row(table, token, kind).await
}

/// Exchanges an access link token for a portal session.
pub async fn open_session(
    table: &dyn Table,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>, PortalParticipant), AppError> {
    let participant = check_access(table, access_token, now).await?;
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let who = PortalParticipant {
        landing: None,
        ..participant.clone()
    };
    let session = store_token(table, "session", &who, expires_at).await?;
    Ok((session, expires_at, participant))
}

/// The participant behind a session token.
pub async fn session(
    table: &dyn Table,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<PortalParticipant, AppError> {
    let row = find(table, session_token, "session")
        .await?
        .ok_or(AppError::Unauthorized("a valid portal session is required"))?;
    if row.expires_at <= now {
        return Err(AppError::Unauthorized(
            "the portal session has expired; open the link from your email again",
        ));
    }
    Ok(row.participant)
}

/// Ends a session.
pub async fn close_session(table: &dyn Table, session_token: &str) -> Result<(), AppError> {
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
/// Whom a link is for, or why it opens nothing: unknown (401) or expired (410), the same
/// answers the confirming POST gives.
pub async fn check_access(
    table: &dyn Table,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<PortalParticipant, AppError> {
    let row = find(table, access_token, "access")
        .await?
        .ok_or(AppError::Unauthorized("this access link is not valid"))?;
    if row.expires_at <= now {
        return Err(AppError::Domain(DomainError::Gone(
            "this access link has expired; a new one is sent with the next task",
        )));
    }
    Ok(row.participant)
}

/// The utility an access link is from, expired or not (its row is kept until its `ttl`):
/// the page that says it opens nothing shows whose portal it was.
pub async fn tenant_of_link(table: &dyn Table, access_token: &str) -> Result<Option<String>, AppError> {
    Ok(find(table, access_token, "access")
        .await?
        .map(|row| row.participant.tenant_id))
}

pub const INVITATION_DAYS: i64 = 14;

/// A partner invitation link's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationRow {
    pub token_kind: String,
    pub tenant_id: String,
    pub partner_id: String,
    pub invitation_id: String,
    pub expires_at: DateTime<Utc>,
    pub ttl: i64,
}

/// The utility an invitation link is from, expired or used (its row is kept until its `ttl`).
pub async fn tenant_of_invitation(table: &dyn Table, token: &str) -> Result<Option<String>, AppError> {
    Ok(find_row::<InvitationRow>(table, token, "invitation")
        .await?
        .map(|row| row.tenant_id))
}

/// Creates the token of a partner invitation link (returned once, stored hashed).
pub async fn issue_invitation_token(
    table: &dyn Table,
    tenant: &str,
    partner_id: &str,
    invitation_id: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let token = new_token();
    let expires_at = now + Duration::days(INVITATION_DAYS);
    let row = InvitationRow {
        token_kind: "invitation".into(),
        tenant_id: tenant.into(),
        partner_id: partner_id.into(),
        invitation_id: invitation_id.into(),
        expires_at,
        ttl: (expires_at + Duration::days(30)).timestamp(),
    };
    let item = to_item(&row, keys::token(&hash_token(&token)), "token", &[])?;
    table.transact(vec![Write::put(item, Cond::NotExists)]).await?;
    Ok(token)
}

/// The invitation behind a link: 404 when unknown, 410 when expired.
pub async fn invitation(table: &dyn Table, token: &str, now: DateTime<Utc>) -> Result<InvitationRow, AppError> {
    let row: InvitationRow = find_row(table, token, "invitation")
        .await?
        .ok_or(AppError::Domain(DomainError::NotFound("invitation")))?;
    if row.expires_at <= now {
        return Err(AppError::Domain(DomainError::Gone(
            "this invitation has expired; ask for a new one",
        )));
    }
    Ok(row)
}

/// A new portal session for a participant, as a write to join another transaction (a partner
/// user who just accepted an invitation): the token and the write.
pub fn new_session(p: &PortalParticipant, now: DateTime<Utc>) -> Result<(String, Write), AppError> {
    token_write("session", p, now + Duration::hours(SESSION_HOURS))
}
