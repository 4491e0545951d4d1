//! STAGING FILE — not compiled (no `mod` line points here). Its body below the marker is the
//! block to append to `shared/src/keys.rs` (which already has `tenant`, `Key` and
//! `EVENT_SK_PREFIX`); the rows for the access-pattern table at the top of keys.rs are:
//!
//! | offer by id                              | table | pk = `T#t#OFFER#{id}`, sk = `OFFER`                    |
//! | history (events) of an offer             | table | pk = `T#t#OFFER#{id}`, sk begins_with `EVT#`           |
//! | offers of a category [with a status]     | gsi1  | gsi1pk = `T#t#OFFERS#C#{category}`, gsi1sk begins_with `{status}#` |
//! | offers with a status, by category        | gsi2  | gsi2pk = `T#t#OFFERS#S#{status}`, gsi2sk = `{category}#{id}` |
//! | all offers, by category                  | gsi3  | gsi3pk = `T#t#OFFERS`, gsi3sk = `{category}#{id}`      |
//! | the active offer of a category (pointer) | table | pk = `T#t#OFFERS#ACTIVE#{category}`, sk = `ACTIVE`     |
//! | order by id                              | table | pk = `T#t#ORDER#{id}`, sk = `ORDER`                    |
//! | history (events) of an order, in order   | table | pk = `T#t#ORDER#{id}`, sk begins_with `EVT#`           |
//! | an end user's orders, newest first       | gsi1  | gsi1pk = `T#t#USER#{h}#ORDERS`, gsi1sk = order id (desc) |
//! | orders with a status, newest first       | gsi2  | gsi2pk = `T#t#ORDERS#S#{status}`, gsi2sk = order id (desc) |
//! | all orders, newest first                 | gsi3  | gsi3pk = `T#t#ORDERS`, gsi3sk = order id (desc)        |
//! | an end user's open orders (one per offer)| table | pk = `T#t#USER#{h}`, sk begins_with `OPEN#`            |
//! | open order of (user, offer): the lock    | table | pk = `T#t#USER#{h}`, sk = `OPEN#{offer}`               |
//! | the tenant's five order steps            | table | pk = `T#t#ORDERSTEPS`, sk = `ORDERSTEPS`               |
//! | history of the order-step configuration  | table | pk = `T#t#ORDERSTEPS`, sk begins_with `EVT#`           |
//!
//! and, below the table: "`{h}` is the first 32 hex digits of the SHA-256 of the end user's
//! `sub`, so that no claim value can break the key structure."

#![allow(dead_code)]

use crate::keys::{Key, EVENT_SK_PREFIX};

// Already in keys.rs: do not copy.
fn tenant(t: &str) -> String {
    crate::keys::tenant_prefix(t)
}

// ------------------------------------------------------------------ copy from here into keys.rs

pub fn offer(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}OFFER#{id}", tenant(t)),
        sk: "OFFER".into(),
    }
}
pub fn offer_event(t: &str, offer_id: &str, event_id: &str) -> Key {
    Key {
        pk: offer(t, offer_id).pk,
        sk: format!("{EVENT_SK_PREFIX}{event_id}"),
    }
}
/// gsi1: offers of a category, sorted by status then id.
pub fn offers_by_category(t: &str, category: &str) -> String {
    format!("{}OFFERS#C#{category}", tenant(t))
}
pub fn offers_by_category_sk(status: &str, offer_id: &str) -> String {
    format!("{status}#{offer_id}")
}
/// gsi2: offers with a status, sorted (grouped) by category then id.
pub fn offers_by_status(t: &str, status: &str) -> String {
    format!("{}OFFERS#S#{status}", tenant(t))
}
/// gsi2 and gsi3 sort key of an offer: grouped by category, then in creation order.
pub fn offers_grouped_sk(category: &str, offer_id: &str) -> String {
    format!("{category}#{offer_id}")
}
/// gsi3: all offers, grouped by category.
pub fn offers_all(t: &str) -> String {
    format!("{}OFFERS", tenant(t))
}
/// The pointer to the one active offer of a category; every activation and every close of
/// an active offer writes it under a version check.
pub fn active_offer(t: &str, category: &str) -> Key {
    Key {
        pk: format!("{}OFFERS#ACTIVE#{category}", tenant(t)),
        sk: "ACTIVE".into(),
    }
}

pub fn order(t: &str, id: &str) -> Key {
    Key {
        pk: format!("{}ORDER#{id}", tenant(t)),
        sk: "ORDER".into(),
    }
}
pub fn order_event(t: &str, order_id: &str, event_id: &str) -> Key {
    Key {
        pk: order(t, order_id).pk,
        sk: format!("{EVENT_SK_PREFIX}{event_id}"),
    }
}
/// gsi2: orders with a status.
pub fn orders_by_status(t: &str, status: &str) -> String {
    format!("{}ORDERS#S#{status}", tenant(t))
}
/// gsi3: all orders.
pub fn orders_all(t: &str) -> String {
    format!("{}ORDERS", tenant(t))
}
/// An end user's partition (their open-order rows).
pub fn user_pk(t: &str, sub: &str) -> String {
    let h = crate::ids::hash_token(sub);
    format!("{}USER#{}", tenant(t), &h[..32])
}
/// gsi1: an end user's orders.
pub fn orders_of_user(t: &str, sub: &str) -> String {
    format!("{}#ORDERS", user_pk(t, sub))
}
pub const OPEN_ORDER_SK_PREFIX: &str = "OPEN#";
/// The open order of (user, offer): written only if absent when an order is placed, deleted
/// when it ends, so a user has at most one open order per offer.
pub fn open_order(t: &str, sub: &str, offer_id: &str) -> Key {
    Key {
        pk: user_pk(t, sub),
        sk: format!("{OPEN_ORDER_SK_PREFIX}{offer_id}"),
    }
}
/// The tenant's five order steps (absent: the built-in default set).
pub fn order_steps(t: &str) -> Key {
    Key {
        pk: format!("{}ORDERSTEPS", tenant(t)),
        sk: "ORDERSTEPS".into(),
    }
}
pub fn order_steps_event(t: &str, event_id: &str) -> Key {
    Key {
        pk: order_steps(t).pk,
        sk: format!("{EVENT_SK_PREFIX}{event_id}"),
    }
}
