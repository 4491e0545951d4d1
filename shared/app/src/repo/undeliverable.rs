//! The tenant's undeliverable addresses: marked when SES reports a hard bounce or a
//! complaint ([`crate::email::bounces`]), read before every email, cleared by staff.

use chrono::{DateTime, Utc};
use domain::run::{Run, UndeliverableReason, Unreachable};
use serde::{Deserialize, Serialize};
use store::{Cond, Table, Write};

use super::{from_item, list_in, load, save, to_item, PageParams};
use crate::error::{stale, AppError, AppResult};
use crate::keys;
use domain::events::Actor;

/// An address that takes no more email from this tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Undeliverable {
    pub email: String,
    pub reason: UndeliverableReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The first report.
    pub since: DateTime<Utc>,
    /// The latest report.
    pub last_at: DateTime<Utc>,
}

impl Undeliverable {
    pub fn unreachable(&self) -> Unreachable {
        Unreachable {
            email: self.email.clone(),
            reason: self.reason,
            detail: self.detail.clone(),
            since: self.since,
        }
    }
}

/// Records a report; a later report keeps the first date and takes the latest reason.
pub async fn record(table: &dyn Table, tenant: &str, u: &Unreachable) -> AppResult<Undeliverable> {
    let key = keys::undeliverable(tenant, &u.email);
    let since = match get(table, tenant, &u.email).await? {
        Some(old) => old.since.min(u.since),
        None => u.since,
    };
    let entry = Undeliverable {
        email: u.email.trim().to_string(),
        reason: u.reason,
        detail: u.detail.clone(),
        since,
        last_at: u.since.max(since),
    };
    let item = to_item(&entry, key, "undeliverable", &[])?;
    table.transact(vec![Write::put(item, Cond::None)]).await?;
    Ok(entry)
}

pub async fn get(table: &dyn Table, tenant: &str, email: &str) -> AppResult<Option<Undeliverable>> {
    let key = keys::undeliverable(tenant, email);
    table.get(&key.pk, &key.sk).await?.map(from_item).transpose()
}

pub async fn list(
    table: &dyn Table,
    tenant: &str,
    page: &PageParams,
) -> AppResult<(Vec<Undeliverable>, Option<store::Item>)> {
    list_in(
        table,
        tenant,
        keys::undeliverable_pk(tenant),
        keys::UNDELIVERABLE_SK_PREFIX,
        page,
    )
    .await
}

/// Staff say the address works again (the mailbox was fixed): emails go to it again. 404 when
/// it was not marked.
pub async fn clear(table: &dyn Table, tenant: &str, email: &str) -> AppResult<()> {
    let key = keys::undeliverable(tenant, email);
    let delete = Write::Delete {
        pk: key.pk,
        sk: key.sk,
        cond: Cond::Exists,
    };
    table.transact(vec![delete]).await.map_err(|e| match e {
        store::StoreError::ConditionFailed(_) => {
            AppError::Domain(domain::DomainError::NotFound("undeliverable address"))
        }
        other => other.into(),
    })
}

/// Shows on a run's steps that their participant's address cannot be reached (a no-op when
/// they already show it, or when the run has no such participant or is gone).
pub async fn mark_run(table: &dyn Table, tenant: &str, run_id: &str, u: &Unreachable) -> AppResult<()> {
    let mut run: Run = match load(table, tenant, run_id).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e),
    };
    let expected = run.version;
    let events = run.mark_unreachable(u);
    if events.is_empty() {
        return Ok(());
    }
    let actor = Actor::new("system", "email", None);
    save(
        table,
        tenant,
        &run,
        Some(expected),
        &events,
        &actor,
        Utc::now(),
        Vec::new(),
    )
    .await
    .map_err(stale("the run"))
}
