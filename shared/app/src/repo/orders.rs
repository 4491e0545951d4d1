//! Orders: the order item, its events (outbox and history) and the user's open-order row,
//! always written together in one transaction guarded by the order's version; and the
//! tenant's five order steps.
//!
//! The open-order row (`T#t#USER#{h}` / `OPEN#{offer}`) is the lock behind "one open order per
//! user and offer": placing an order writes it only if absent, every change of an open order
//! rewrites it (the app's offer list shows it), and the change that ends the order (cancel,
//! deactivate) deletes it, in the same transaction as the order itself.

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::aggregate::aggregate;
use super::{from_item, load, page_of, save, Aggregate, Idempotency, PageParams};
use crate::error::{stale, AppError};
use crate::keys;
use domain::events::{Actor, OrderEvent, SettingsEvent};
use domain::ids::new_id;
use domain::offer::Offer;
use domain::order::{Order, OrderStatus, OrderSteps, OrderStepsInput, OrderUser};
use domain::DomainError;
use store::{Cond, Index, Item, Query, StoreError, Table, Write};

impl Aggregate for Order {
    aggregate!(OrderEvent, "order", keys::order);

    fn index(&self, tenant: &str) -> Vec<(&'static str, String)> {
        vec![
            ("gsi1pk", keys::orders_of_user(tenant, &self.user.sub)),
            ("gsi1sk", self.id.clone()),
            ("gsi2pk", keys::orders_by_status(tenant, self.status.as_str())),
            ("gsi2sk", self.id.clone()),
            ("gsi3pk", keys::orders_all(tenant)),
            ("gsi3sk", self.id.clone()),
        ]
    }

    /// The open-order row, write 1 of a new order: its condition failing means the user
    /// already has an open order of this offer. Rewritten while the order is open (the app's
    /// offer list shows it), deleted by the change that ends the order.
    fn rows(&self, tenant: &str, new: bool) -> Vec<Write> {
        let k = keys::open_order(tenant, &self.user.sub, &self.offer_id);
        if !new && !self.status.is_open() {
            return vec![Write::Delete {
                pk: k.pk,
                sk: k.sk,
                cond: Cond::None,
            }];
        }
        let row = json!({
            "pk": k.pk, "sk": k.sk, "entity": "open_order",
            "order_id": self.id, "offer_id": self.offer_id, "status": self.status,
            "current_step": self.current_step, "created_at": self.created_at, "updated_at": self.updated_at,
        });
        let mut m = row.as_object().cloned().unwrap_or_default();
        m.retain(|_, v| !v.is_null());
        vec![Write::put(m, if new { Cond::NotExists } else { Cond::None })]
    }
}

impl Aggregate for OrderSteps {
    aggregate!(SettingsEvent, "order_steps", singleton keys::order_steps);
}

/// Places an order for an active offer. With an idempotency key, a retry returns the order
/// the first request placed instead of a 409. The offer's version is checked in the same
/// transaction: an order never lands on an offer that was closed meanwhile.
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    offer_id: &str,
    answers: Map<String, Value>,
    user: OrderUser,
    idempotency_key: Option<&str>,
) -> Result<Order, AppError> {
    let idem = Idempotency::new(tenant, "order", &user.sub, idempotency_key, &(offer_id, &answers));
    let offer: Offer = match load(table, tenant, offer_id).await {
        Ok(o) => o,
        Err(e) if e.is_not_found() => return Err(DomainError::invalid("offer_id", "unknown", "no such offer").into()),
        Err(e) => return Err(e),
    };
    let steps = get_order_steps(table, tenant).await?;
    let now = Utc::now();
    let actor = user.actor();
    let (order, changes) = Order::place(new_id(), &offer, &steps, user, answers, now)?;
    let offer_key = keys::offer(tenant, &offer.id);
    let mut extra = vec![Write::Check {
        pk: offer_key.pk,
        sk: offer_key.sk,
        cond: Cond::Version(offer.version),
    }];
    extra.extend(idem.iter().map(|i| i.write(&order.id)));
    match save(table, tenant, &order, None, &changes, &actor, now, extra).await {
        Ok(()) => Ok(order),
        Err(StoreError::ConditionFailed(_)) => {
            // The same request again (idempotency record), the offer changed, or another open
            // order of the offer.
            if let Some(id) = match &idem {
                Some(i) => i.lookup(table).await?,
                None => None,
            } {
                return load(table, tenant, &id).await;
            }
            if load::<Offer>(table, tenant, offer_id).await?.version != offer.version {
                return Err(AppError::Domain(DomainError::Conflict(
                    "the offer changed meanwhile; reload it and order again".into(),
                )));
            }
            Err(AppError::Domain(DomainError::Conflict(format!(
                "you already have an open order for offer {offer_id}; a new one is possible once it is cancelled or deactivated"
            ))))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /orders?status&limit&cursor`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// Items per page (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Orders newest first, optionally with one status: one Query per page.
pub async fn list(table: &dyn Table, tenant: &str, f: &OrderFilter) -> Result<(Vec<Order>, Option<Item>), AppError> {
    let status = f.status;
    let q = match status {
        Some(s) => Query::new(Index::Gsi2, keys::orders_by_status(tenant, s.as_str())),
        None => Query::new(Index::Gsi3, keys::orders_all(tenant)),
    };
    let page = PageParams {
        limit: f.limit,
        cursor: f.cursor.clone(),
    };
    let q = page.apply(q.backward(), tenant)?;
    page_of(table.query(q).await?)
}

/// A user's own orders, newest first: one Query per page.
pub async fn user_orders(
    table: &dyn Table,
    tenant: &str,
    sub: &str,
    page: &PageParams,
) -> Result<(Vec<Order>, Option<Item>), AppError> {
    let q = Query::new(Index::Gsi1, keys::orders_of_user(tenant, sub));
    let q = page.apply(q.backward(), tenant)?;
    page_of(table.query(q).await?)
}

/// A user's open orders (at most one per offer), as open-order rows: one Query.
pub async fn open_orders_of(table: &dyn Table, tenant: &str, sub: &str) -> Result<Vec<Item>, AppError> {
    let q = Query::new(Index::Primary, keys::user_pk(tenant, sub))
        .begins_with(keys::OPEN_ORDER_SK_PREFIX)
        .limit(100);
    Ok(table.query(q).await?.items)
}

/// The tenant's five order steps, or the built-in set (version 0) until an admin sets them.
pub async fn get_order_steps(table: &dyn Table, tenant: &str) -> Result<OrderSteps, AppError> {
    let k = keys::order_steps(tenant);
    match table.get(&k.pk, &k.sk).await? {
        Some(item) => from_item(item),
        None => Ok(OrderSteps::default_set()),
    }
}

/// Sets the tenant's five order steps; orders already placed keep theirs. With
/// `expected_version` (an `If-Match`), a stale version is a 409.
pub async fn put_order_steps(
    table: &dyn Table,
    tenant: &str,
    input: OrderStepsInput,
    expected_version: Option<u64>,
    actor: &Actor,
) -> Result<OrderSteps, AppError> {
    input.validate()?;
    let current = get_order_steps(table, tenant).await?;
    if let Some(v) = expected_version {
        if v != current.version {
            return Err(AppError::Domain(DomainError::Conflict(format!(
                "version {v} is stale; the current version is {}",
                current.version
            ))));
        }
    }
    let now = Utc::now();
    let next = OrderSteps {
        steps: input.steps,
        version: current.version + 1,
        updated_at: Some(now),
        updated_by: Some(actor.clone()),
    };
    let expected = (current.version > 0).then_some(current.version);
    let events = [SettingsEvent::OrderStepsUpdated { version: next.version }];
    save(table, tenant, &next, expected, &events, actor, now, Vec::new())
        .await
        .map_err(stale("the order steps"))?;
    Ok(next)
}
