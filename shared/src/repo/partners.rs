//! Partner organisations: the partner item and its events, one transaction per change.

use chrono::Utc;
use serde::Deserialize;

use super::access::{self, PortalParticipant};
use super::{event_writes, from_item, page_of, to_item, Idempotency, PageParams, Source};
use crate::domain::partner::{participant_of, Partner, PartnerInput, PartnerStatus, UserInput};
use crate::domain::run::{Actor, Change};
use crate::error::{stale, ApiError};
use crate::ids::new_id;
use crate::keys;
use crate::store::{Cond, Index, Item, Query, StoreError, Table, Write};

async fn save(
    table: &dyn Table,
    tenant: &str,
    p: &Partner,
    expected: Option<u64>,
    changes: &[Change],
    actor: &Actor,
    extra: Vec<Write>,
) -> Result<(), StoreError> {
    let item =
        to_item(p, keys::partner(tenant, &p.id), "partner", &[]).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut writes = vec![Write::put(item, expected.map_or(Cond::NotExists, Cond::Version))];
    let source = Source {
        pk: keys::partner_events_pk(tenant, &p.id),
        aggregate: "partner",
        id: &p.id,
        version: p.version,
    };
    writes.extend(event_writes(tenant, source, changes, actor, Utc::now()));
    writes.extend(extra);
    table.transact(writes).await
}

/// Invites a partner. With an idempotency key, a retry returns the partner the first request
/// created (and sends no second invitation).
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    input: PartnerInput,
    actor: &Actor,
    idempotency_key: Option<&str>,
) -> Result<Partner, ApiError> {
    let (partner, changes) = Partner::invite(new_id(), input, new_id(), Utc::now())?;
    let idem = Idempotency::new(tenant, "partner", idempotency_key);
    let extra = idem.iter().map(|i| i.write(&partner.id)).collect();
    match (save(table, tenant, &partner, None, &changes, actor, extra).await, idem) {
        (Ok(()), _) => Ok(partner),
        (Err(StoreError::ConditionFailed(i)), Some(idem)) if i > 0 => match idem.lookup(table).await? {
            Some(id) => get(table, tenant, &id).await,
            None => Err(ApiError::Conflict("retry the request".into())),
        },
        (Err(e), _) => Err(e.into()),
    }
}

pub async fn get(table: &dyn Table, tenant: &str, id: &str) -> Result<Partner, ApiError> {
    let k = keys::partner(tenant, id);
    from_item(table.get(&k.pk, &k.sk).await?.ok_or(ApiError::NotFound("partner"))?)
}

pub async fn list(
    table: &dyn Table,
    tenant: &str,
    page: &PageParams,
) -> Result<(Vec<Partner>, Option<Item>), ApiError> {
    let q = Query::new(Index::Primary, keys::partners_pk(tenant)).begins_with(keys::PARTNER_SK_PREFIX);
    let q = page.apply(q, tenant)?;
    page_of(table.query(q).await?)
}

/// Applies a change to a partner and saves it with its events (optimistic locking).
pub async fn change<F>(table: &dyn Table, tenant: &str, id: &str, actor: &Actor, apply: F) -> Result<Partner, ApiError>
where
    F: FnOnce(&mut Partner) -> Result<Vec<Change>, ApiError>,
{
    let mut partner = get(table, tenant, id).await?;
    let expected = partner.version;
    let changes = apply(&mut partner)?;
    save(table, tenant, &partner, Some(expected), &changes, actor, Vec::new())
        .await
        .map_err(stale("the partner"))?;
    Ok(partner)
}

/// Who invites, for the invitation page: 410 when the link was used, replaced or revoked.
pub async fn open_invitation(table: &dyn Table, token: &str) -> Result<(access::InvitationRow, Partner), ApiError> {
    let row = access::invitation(table, token).await?;
    let partner = get(table, &row.tenant_id, &row.partner_id).await?;
    if !partner.invitation_open(&row.invitation_id) {
        return Err(ApiError::Gone(match partner.status {
            PartnerStatus::Revoked => "this invitation was revoked",
            PartnerStatus::Active => "this invitation was used already",
            PartnerStatus::Invited => "this invitation was replaced by a newer one",
        }));
    }
    Ok((row, partner))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub organization_name: String,
    pub user: UserInput,
}

/// Accepts an invitation: the partner becomes active and its first user gets a portal session.
pub async fn accept(table: &dyn Table, token: &str, input: AcceptInput) -> Result<(Partner, String), ApiError> {
    let (row, mut partner) = open_invitation(table, token).await?;
    let expected = partner.version;
    let user_id = new_id();
    let actor = Actor {
        kind: "partner".into(),
        id: user_id.clone(),
        name: Some(input.user.name.clone()),
    };
    let changes = partner.accept(
        &row.invitation_id,
        &input.organization_name,
        input.user,
        user_id.clone(),
        Utc::now(),
    )?;
    // The partner becomes active and its first user's session exists: together or not at all.
    let (session, write) = access::new_session(&partner_participant(&row.tenant_id, &partner, &user_id)?)?;
    save(
        table,
        &row.tenant_id,
        &partner,
        Some(expected),
        &changes,
        &actor,
        vec![write],
    )
    .await
    .map_err(stale("the partner"))?;
    Ok((partner, session))
}

/// The portal identity of one of a partner's users.
pub fn partner_participant(tenant: &str, partner: &Partner, user_id: &str) -> Result<PortalParticipant, ApiError> {
    let user = partner
        .users
        .iter()
        .find(|u| u.id == user_id)
        .ok_or(ApiError::NotFound("partner user"))?;
    Ok(PortalParticipant {
        tenant_id: tenant.into(),
        participant_id: participant_of(&partner.id),
        kind: "partner".into(),
        name: user.name.clone(),
        locale: user.locale.or(partner.locale),
        partner_id: Some(partner.id.clone()),
        user_id: Some(user.id.clone()),
    })
}
