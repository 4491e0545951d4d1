//! Partner organisations: the partner item and its events, one transaction per change.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::access::{self, PortalParticipant};
use super::aggregate::aggregate;
use super::{load, save, Aggregate, Idempotency, PageParams};
use crate::error::{stale, AppError, AppResult};
use crate::keys;
use domain::events::{Actor, PartnerEvent};
use domain::ids::new_id;
use domain::partner::{participant_of, Partner, PartnerInput, PartnerStatus, UserInput};
use domain::DomainError;
use store::{Item, Table};

impl Aggregate for Partner {
    aggregate!(PartnerEvent, "partner", keys::partner);
    fn events_pk(tenant: &str, id: &str) -> String {
        keys::partner_events_pk(tenant, id)
    }

    fn wake(&self) -> Option<DateTime<Utc>> {
        self.digest_wake()
    }

    fn woken(&self) -> Option<DateTime<Utc>> {
        self.wake_at
    }
}

/// Invites a partner. With an idempotency key, a retry returns the partner the first request
/// created (and sends no second invitation).
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    input: PartnerInput,
    actor: &Actor,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Partner> {
    let idem = Idempotency::new(tenant, "partner", &actor.id, idempotency_key, &input);
    let (partner, events) = Partner::invite(new_id(), input, new_id(), now)?;
    super::create(table, tenant, partner, &events, actor, idem, now).await
}

pub async fn list(table: &dyn Table, tenant: &str, page: &PageParams) -> AppResult<(Vec<Partner>, Option<Item>)> {
    super::list_in(table, tenant, keys::partners_pk(tenant), keys::PARTNER_SK_PREFIX, page).await
}

/// Who invites, for the invitation page: 410 when the link was used, replaced or revoked.
pub async fn open_invitation(
    table: &dyn Table,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(access::InvitationRow, Partner), AppError> {
    let row = access::invitation(table, token, now).await?;
    let partner: Partner = load(table, &row.tenant_id, &row.partner_id).await?;
    if !partner.invitation_open(&row.invitation_id) {
        return Err(AppError::Domain(DomainError::Gone(match partner.status {
            PartnerStatus::Revoked => "this invitation was revoked",
            PartnerStatus::Active => "this invitation was used already",
            PartnerStatus::Invited => "this invitation was replaced by a newer one",
        })));
    }
    Ok((row, partner))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub organization_name: String,
    pub user: UserInput,
}

/// Accepts an invitation: the partner becomes active and its first user gets a portal session.
/// An accepted invitation: the partner, its first user's session and the utility's tenant.
pub struct Accepted {
    pub partner: Partner,
    pub session: String,
    pub tenant_id: String,
}

pub async fn accept(
    table: &dyn Table,
    token: &str,
    input: AcceptInput,
    now: DateTime<Utc>,
) -> Result<Accepted, AppError> {
    let (row, mut partner) = open_invitation(table, token, now).await?;
    let expected = partner.version;
    let user_id = new_id();
    let actor = Actor::new("partner", &user_id, Some(&input.user.name));
    let events = partner.accept(
        &row.invitation_id,
        &input.organization_name,
        input.user,
        user_id.clone(),
        now,
    )?;
    // The partner becomes active and its first user's session exists: together or not at all.
    let (session, write) = access::new_session(&partner_participant(&row.tenant_id, &partner, &user_id)?, now)?;
    save(
        table,
        &row.tenant_id,
        &partner,
        Some(expected),
        &events,
        &actor,
        now,
        vec![write],
    )
    .await
    .map_err(stale("the partner"))?;
    Ok(Accepted {
        partner,
        session,
        tenant_id: row.tenant_id,
    })
}

/// The portal identity of one of a partner's users.
pub fn partner_participant(tenant: &str, partner: &Partner, user_id: &str) -> Result<PortalParticipant, AppError> {
    let user = partner
        .users
        .iter()
        .find(|u| u.id == user_id)
        .ok_or(AppError::Domain(DomainError::NotFound("partner user")))?;
    Ok(PortalParticipant {
        landing: None,
        tenant_id: tenant.into(),
        participant_id: participant_of(&partner.id),
        kind: "partner".into(),
        name: user.name.clone(),
        locale: user.locale.or(partner.locale),
        partner_id: Some(partner.id.clone()),
        user_id: Some(user.id.clone()),
    })
}
