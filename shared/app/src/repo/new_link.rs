//! "Send me a new link": an address typed on a portal page gets a fresh access link from
//! each utility where it has open tasks, as an event whose email the notifier sends (the
//! link itself is minted only then, like every access link).
//!
//! Decisions: the page's answer is the same whether or not the address is known or gets an
//! email; an address with no open task gets nothing (a link would open an empty list); a
//! partner user gets one only while the partner is active and the user one of its users.
//! Beyond [`NEW_LINKS_PER_ADDRESS`] nothing more is sent (silently: the answer stays the
//! same); the per-client limit is the caller's (it answers 429).

use chrono::{DateTime, Utc};
use domain::events::{AccessEvent, Actor};
use domain::partner::{Partner, PartnerStatus};

use super::access::{addresses, PortalParticipant};
use super::aggregate::{event_item, EventOf};
use super::limits::{take, NEW_LINKS_PER_ADDRESS};
use super::partners::partner_participant;
use super::runs::{tasks_of, TaskRow};
use crate::error::{AppError, AppResult};
use crate::keys;
use store::{Cond, Table, Write};

/// The aggregate kind of access events (`aggregate` of their outbox rows).
pub const ACCESS: &str = "access";

/// Asks for a new link for `email` (already validated); the number of utilities that send
/// one (for logs and tests: never shown).
pub async fn request(table: &dyn Table, email: &str, now: DateTime<Utc>) -> AppResult<usize> {
    let address_id = domain::ids::participant_id(email);
    match take(table, NEW_LINKS_PER_ADDRESS, &address_id, now).await {
        Ok(()) => {}
        Err(AppError::RateLimited(_)) => {
            tracing::warn!("new link not sent: too many requests for this address");
            return Ok(0);
        }
        Err(e) => return Err(e),
    }
    let mut sent = 0;
    for row in addresses(table, email).await? {
        let Some(who) = current(table, row.participant).await? else {
            continue;
        };
        let mut open: Vec<TaskRow> = tasks_of(table, &who.tenant_id, &who.participant_id)
            .await?
            .into_iter()
            .filter(TaskRow::is_open)
            .collect();
        open.sort_by_key(|t| TaskRow::order(t.status, t.due_at));
        let Some(first) = open.first() else {
            continue;
        };
        let event = AccessEvent::AccessLinkRequested {
            email: row.email.clone(),
            name: who.name.clone(),
            kind: who.kind.clone(),
            participant_id: who.participant_id.clone(),
            locale: who.locale,
            partner_id: who.partner_id.clone(),
            user_id: who.user_id.clone(),
            run_id: first.run_id.clone(),
            step_key: first.step_key.clone(),
            step_name: first.name.clone(),
            process_name: first.process_name.clone(),
            open_tasks: u32::try_from(open.len()).unwrap_or(u32::MAX),
        };
        let pk = keys::participant_pk(&who.tenant_id, &who.participant_id);
        let key = keys::event(
            &pk,
            &format!("{}-{}", now.format("%Y%m%d%H%M%S%3f"), domain::ids::new_id()),
        );
        let of = EventOf {
            tenant: &who.tenant_id,
            kind: ACCESS,
            id: &who.participant_id,
            version: 0,
        };
        let actor = Actor::new("anonymous", "portal", None);
        let item = event_item(key, &of, &event, &actor, now)?;
        table.transact(vec![Write::put(item, Cond::NotExists)]).await?;
        sent += 1;
    }
    Ok(sent)
}

/// The participant as they are now: partner users only while their partner is active and
/// they are one of its users (with the name and language it has for them now).
async fn current(table: &dyn Table, p: PortalParticipant) -> AppResult<Option<PortalParticipant>> {
    let (Some(partner_id), Some(user_id)) = (&p.partner_id, &p.user_id) else {
        return Ok(Some(p));
    };
    let partner: Partner = match super::load(table, &p.tenant_id, partner_id).await {
        Ok(partner) => partner,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    if partner.status != PartnerStatus::Active {
        return Ok(None);
    }
    Ok(partner_participant(&p.tenant_id, &partner, user_id).ok())
}
