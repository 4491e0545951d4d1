//! Orders: the order item, its events (outbox and history) and the user's open-order row,
//! always written together in one transaction guarded by the order's version; and the
//! tenant's five order steps.
//!
//! The open-order row (`T#t#USER#{h}` / `OPEN#{offer}`) is the lock behind "one open order per
//! user and offer": placing an order writes it only if absent, every change of an open order
//! rewrites it (the app's offer list shows it), and the change that ends the order (cancel,
//! deactivate) deletes it, in the same transaction as the order itself.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::offers::get_offer;
use super::{event_writes, events_in, from_item, page_of, to_item, Idempotency, PageParams, Source};
use crate::domain::order::{Order, OrderStatus, OrderSteps, OrderStepsInput, OrderUser};
use crate::domain::run::{Actor, Change};
use crate::error::{stale, ApiError};
use crate::ids::new_id;
use crate::keys;
use crate::store::{Cond, Index, Item, Query, StoreError, Table, Write};

fn order_item(tenant: &str, order: &Order) -> Result<Item, ApiError> {
    let status = order.status.as_str();
    to_item(
        order,
        keys::order(tenant, &order.id),
        "order",
        &[
            ("gsi1pk", keys::orders_of_user(tenant, &order.user.sub)),
            ("gsi1sk", order.id.clone()),
            ("gsi2pk", keys::orders_by_status(tenant, status)),
            ("gsi2sk", order.id.clone()),
            ("gsi3pk", keys::orders_all(tenant)),
            ("gsi3sk", order.id.clone()),
        ],
    )
}

/// The user's open order of an offer: what `GET /app/offers` shows next to the offer.
fn open_row(tenant: &str, order: &Order) -> Item {
    let k = keys::open_order(tenant, &order.user.sub, &order.offer_id);
    let row = json!({
        "pk": k.pk, "sk": k.sk, "entity": "open_order",
        "order_id": order.id, "offer_id": order.offer_id, "status": order.status,
        "current_step": order.current_step, "created_at": order.created_at, "updated_at": order.updated_at,
    });
    let mut m = row.as_object().cloned().unwrap_or_default();
    m.retain(|_, v| !v.is_null());
    m
}

/// Writes the order (new when `expected` is `None`), its open-order row and its events
/// atomically; `extra` writes (an idempotency record) join the same transaction. On a new
/// order, write 1 is the open-order row: its condition failing means the user already has
/// an open order of this offer.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    table: &dyn Table,
    tenant: &str,
    order: &Order,
    expected: Option<u64>,
    changes: &[Change],
    actor: &Actor,
    at: DateTime<Utc>,
    extra: Vec<Write>,
) -> Result<(), StoreError> {
    let item = order_item(tenant, order).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut writes = vec![Write::put(item, expected.map_or(Cond::NotExists, Cond::Version))];
    if expected.is_none() {
        writes.push(Write::put(open_row(tenant, order), Cond::NotExists));
    } else if order.status.is_open() {
        writes.push(Write::put(open_row(tenant, order), Cond::None));
    } else {
        let k = keys::open_order(tenant, &order.user.sub, &order.offer_id);
        writes.push(Write::Delete {
            pk: k.pk,
            sk: k.sk,
            cond: Cond::None,
        });
    }
    let source = Source {
        pk: keys::order(tenant, &order.id).pk,
        aggregate: "order",
        id: &order.id,
        version: order.version,
    };
    writes.extend(event_writes(tenant, source, changes, actor, at));
    writes.extend(extra);
    table.transact(writes).await
}

pub async fn get_order(table: &dyn Table, tenant: &str, id: &str) -> Result<Order, ApiError> {
    let k = keys::order(tenant, id);
    let item = table.get(&k.pk, &k.sk).await?.ok_or(ApiError::NotFound("order"))?;
    from_item(item)
}

/// The idempotency scope of a user's order requests (their keys never meet another user's).
fn idempotency_scope(sub: &str) -> String {
    format!("order:{}", keys::user_hash(sub))
}

/// Places an order for an active offer. With an idempotency key, a retry returns the order
/// the first request placed instead of a 409. The offer's version is checked in the same
/// transaction: an order never lands on an offer that was closed meanwhile.
pub async fn create_order(
    table: &dyn Table,
    tenant: &str,
    offer_id: &str,
    answers: Map<String, Value>,
    user: OrderUser,
    idempotency_key: Option<&str>,
) -> Result<Order, ApiError> {
    let idem = Idempotency::new(tenant, &idempotency_scope(&user.sub), idempotency_key);
    let offer = match get_offer(table, tenant, offer_id).await {
        Ok(o) => o,
        Err(ApiError::NotFound(_)) => return Err(ApiError::invalid("offer_id", "no such offer")),
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
                return get_order(table, tenant, &id).await;
            }
            if get_offer(table, tenant, offer_id).await?.version != offer.version {
                return Err(ApiError::Conflict(
                    "the offer changed meanwhile; reload it and order again".into(),
                ));
            }
            Err(ApiError::Conflict(format!(
                "you already have an open order for offer {offer_id}; a new one is possible once it is cancelled or deactivated"
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Applies a state change to an order and saves it with its events (optimistic locking).
pub async fn change_order<F>(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    actor: &Actor,
    apply: F,
) -> Result<Order, ApiError>
where
    F: FnOnce(&mut Order, DateTime<Utc>) -> Result<Vec<Change>, ApiError>,
{
    let mut order = get_order(table, tenant, id).await?;
    let expected = order.version;
    let now = Utc::now();
    let changes = apply(&mut order, now)?;
    save(table, tenant, &order, Some(expected), &changes, actor, now, Vec::new())
        .await
        .map_err(stale("the order"))?;
    Ok(order)
}

/// `GET /orders?status&limit&cursor`.
#[derive(Debug, Default, Deserialize)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Orders newest first, optionally with one status: one Query per page.
pub async fn list_orders(
    table: &dyn Table,
    tenant: &str,
    f: &OrderFilter,
) -> Result<(Vec<Order>, Option<Item>), ApiError> {
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
) -> Result<(Vec<Order>, Option<Item>), ApiError> {
    let q = Query::new(Index::Gsi1, keys::orders_of_user(tenant, sub));
    let q = page.apply(q.backward(), tenant)?;
    page_of(table.query(q).await?)
}

/// A user's open orders (at most one per offer), as open-order rows: one Query.
pub async fn open_orders_of(table: &dyn Table, tenant: &str, sub: &str) -> Result<Vec<Item>, ApiError> {
    let q = Query::new(Index::Primary, keys::user_pk(tenant, sub))
        .begins_with(keys::OPEN_ORDER_SK_PREFIX)
        .limit(100);
    Ok(table.query(q).await?.items)
}

/// The order's events in order: its history.
pub async fn history(table: &dyn Table, tenant: &str, id: &str) -> Result<Vec<Value>, ApiError> {
    get_order(table, tenant, id).await?;
    events_in(table, &keys::order(tenant, id).pk).await
}

/// The tenant's five order steps, or the built-in set (version 0) until an admin sets them.
pub async fn get_order_steps(table: &dyn Table, tenant: &str) -> Result<OrderSteps, ApiError> {
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
) -> Result<OrderSteps, ApiError> {
    input.validate()?;
    let current = get_order_steps(table, tenant).await?;
    if let Some(v) = expected_version {
        if v != current.version {
            return Err(ApiError::Conflict(format!(
                "version {v} is stale; the current version is {}",
                current.version
            )));
        }
    }
    let now = Utc::now();
    let next = OrderSteps {
        steps: input.steps,
        version: current.version + 1,
        updated_at: Some(now),
        updated_by: Some(actor.clone()),
    };
    let cond = if current.version == 0 {
        Cond::NotExists
    } else {
        Cond::Version(current.version)
    };
    let item = to_item(&next, keys::order_steps(tenant), "order_steps", &[])?;
    let change = Change {
        kind: "order_steps_updated",
        data: json!({"version": next.version}),
    };
    let mut writes = vec![Write::put(item, cond)];
    let source = Source {
        pk: keys::order_steps(tenant).pk,
        aggregate: "order_steps",
        id: tenant,
        version: next.version,
    };
    writes.extend(event_writes(tenant, source, &[change], actor, now));
    table.transact(writes).await.map_err(stale("the order steps"))?;
    Ok(next)
}
