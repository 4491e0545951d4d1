//! Offers: the offer item, its events, and the per-category pointer to the active offer.
//!
//! Every activation writes, in one transaction: the activated offer (version check), the
//! offer it replaces, closed (version check), and the category's pointer (absent, or at the
//! version read). Two activations in one category therefore always collide on the pointer:
//! exactly one commits, the others get 409, and a category never has two active offers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::aggregate::aggregate;
use super::aggregate::writes_of;
use super::{from_item, load, page_of, save, to_item, Aggregate, PageParams};
use crate::error::{stale, AppError};
use crate::keys;
use domain::events::{Actor, OfferEvent};
use domain::ids::new_id;
use domain::offer::{Offer, OfferCategory, OfferInput, OfferStatus};
use domain::DomainError;
use store::{Cond, Index, Item, Query, Table, Write};

impl Aggregate for Offer {
    aggregate!(OfferEvent, "offer", keys::offer);

    fn index(&self, tenant: &str) -> Vec<(&'static str, String)> {
        let category = self.category.as_str();
        let status = self.status.as_str();
        vec![
            ("gsi1pk", keys::offers_by_category(tenant, category)),
            ("gsi1sk", keys::offers_by_category_sk(status, &self.id)),
            ("gsi2pk", keys::offers_by_status(tenant, status)),
            ("gsi2sk", keys::offers_grouped_sk(category, &self.id)),
            ("gsi3pk", keys::offers_all(tenant)),
            ("gsi3sk", keys::offers_grouped_sk(category, &self.id)),
        ]
    }
}

/// The category's pointer to its active offer (`offer_id` is none after the active offer
/// was closed without a successor). Its version only grows, so a stale read always fails.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActivePointer {
    category: OfferCategory,
    #[serde(default)]
    offer_id: Option<String>,
    version: u64,
    updated_at: DateTime<Utc>,
}

async fn pointer(table: &dyn Table, tenant: &str, category: OfferCategory) -> Result<Option<ActivePointer>, AppError> {
    let k = keys::active_offer(tenant, category.as_str());
    table.get(&k.pk, &k.sk).await?.map(from_item).transpose()
}

fn pointer_write(
    tenant: &str,
    category: OfferCategory,
    previous: Option<&ActivePointer>,
    offer_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Write, AppError> {
    let next = ActivePointer {
        category,
        offer_id,
        version: previous.map_or(1, |p| p.version + 1),
        updated_at: now,
    };
    let item = to_item(
        &next,
        keys::active_offer(tenant, category.as_str()),
        "active_offer",
        &[],
    )?;
    Ok(Write::put(
        item,
        previous.map_or(Cond::NotExists, |p| Cond::Version(p.version)),
    ))
}

pub async fn create(table: &dyn Table, tenant: &str, input: OfferInput, actor: &Actor) -> Result<Offer, AppError> {
    let now = Utc::now();
    let (offer, events) = Offer::create(new_id(), input, now)?;
    super::create(table, tenant, offer, &events, actor, None, now).await
}

/// `GET /offers?category&status&limit&cursor`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferFilter {
    pub category: Option<OfferCategory>,
    pub status: Option<OfferStatus>,
    /// Items per page (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Offers grouped by category (energy first), in creation order within a category, filtered
/// by category and/or status: one Query per page.
pub async fn list(table: &dyn Table, tenant: &str, f: &OfferFilter) -> Result<(Vec<Offer>, Option<Item>), AppError> {
    let (category, status) = (f.category, f.status);
    let q = match (category, status) {
        (Some(c), s) => {
            let q = Query::new(Index::Gsi1, keys::offers_by_category(tenant, c.as_str()));
            match s {
                Some(s) => q.begins_with(format!("{}#", s.as_str())),
                None => q,
            }
        }
        (None, Some(s)) => Query::new(Index::Gsi2, keys::offers_by_status(tenant, s.as_str())),
        (None, None) => Query::new(Index::Gsi3, keys::offers_all(tenant)),
    };
    let page = PageParams {
        limit: f.limit,
        cursor: f.cursor.clone(),
    };
    let q = page.apply(q, tenant)?;
    page_of(table.query(q).await?)
}

/// The active offers of a tenant (at most one per category), grouped by category: one Query.
pub async fn active_offers(table: &dyn Table, tenant: &str) -> Result<Vec<Offer>, AppError> {
    let q = Query::new(
        Index::Gsi2,
        keys::offers_by_status(tenant, OfferStatus::Active.as_str()),
    )
    .limit(100);
    let (offers, _) = page_of::<Offer>(table.query(q).await?)?;
    Ok(offers)
}

/// Replaces a draft's content. With `expected_version` (an `If-Match`), a stale version is a
/// 409 before anything else is checked.
pub async fn update(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    expected_version: Option<u64>,
    input: OfferInput,
    actor: &Actor,
) -> Result<Offer, AppError> {
    let mut offer: Offer = load(table, tenant, id).await?;
    if let Some(v) = expected_version {
        if v != offer.version {
            return Err(AppError::Domain(DomainError::Conflict(format!(
                "version {v} is stale; the current version is {}",
                offer.version
            ))));
        }
    }
    let prev = offer.version;
    let now = Utc::now();
    let events = offer.edit(input, now)?;
    save(table, tenant, &offer, Some(prev), &events, actor, now, Vec::new())
        .await
        .map_err(stale("the offer"))?;
    Ok(offer)
}

/// Makes a draft the active offer of its category and closes the one it replaces, in one
/// transaction. Returns the activated offer and the closed one, if any.
pub async fn activate(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    actor: &Actor,
) -> Result<(Offer, Option<Offer>), AppError> {
    let mut offer: Offer = load(table, tenant, id).await?;
    let prev = offer.version;
    let category = offer.category;
    let current = pointer(table, tenant, category).await?;
    let replaced_id = current
        .as_ref()
        .and_then(|p| p.offer_id.clone())
        .filter(|other| other != &offer.id);
    let mut replaced = match replaced_id {
        Some(other) => match load::<Offer>(table, tenant, &other).await {
            Ok(o) if o.status == OfferStatus::Active && o.category == category => Some(o),
            Ok(_) => None,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let now = Utc::now();
    let events = offer.activate(replaced.as_ref().map(|o| o.id.as_str()), now)?;
    let mut writes = writes_of(tenant, &offer, Some(prev), &events, actor, now)?;
    if let Some(old) = replaced.as_mut() {
        let old_prev = old.version;
        let closed = old.close(now, Some(&offer.id))?;
        writes.extend(writes_of(tenant, old, Some(old_prev), &closed, actor, now)?);
    }
    writes.push(pointer_write(
        tenant,
        category,
        current.as_ref(),
        Some(offer.id.clone()),
        now,
    )?);
    table
        .transact(writes)
        .await
        .map_err(stale("the offer or the active offer of its category"))?;
    Ok((offer, replaced))
}

/// Closes an active offer (its category then has no active offer) or discards a draft.
pub async fn close(table: &dyn Table, tenant: &str, id: &str, actor: &Actor) -> Result<Offer, AppError> {
    let mut offer: Offer = load(table, tenant, id).await?;
    let prev = offer.version;
    let was_active = offer.status == OfferStatus::Active;
    let now = Utc::now();
    let events = offer.close(now, None)?;
    let mut writes = writes_of(tenant, &offer, Some(prev), &events, actor, now)?;
    if was_active {
        let current = pointer(table, tenant, offer.category).await?;
        if current.as_ref().and_then(|p| p.offer_id.as_deref()) == Some(offer.id.as_str()) {
            writes.push(pointer_write(tenant, offer.category, current.as_ref(), None, now)?);
        }
    }
    table.transact(writes).await.map_err(stale("the offer"))?;
    Ok(offer)
}
