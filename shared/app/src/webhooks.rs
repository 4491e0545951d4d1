//! Outbound webhooks: subscriptions, their deliveries and the one sender. The event path
//! has a branch of its own for them (event-relay sends every event to the webhooks queue as
//! well, and webhook-sender consumes it; locally the relay calls [`handle`] after the
//! emails): one delivery per subscription that wants the event, tried at once; a failed one waits in the due index and the sweeper tries it
//! again with backoff for up to a day; then it is dead (redelivery by hand starts anew).
//!
//! Requests are signed (`Webhook-Signature`, as inbound webhooks), carry `Webhook-Id` (the
//! event id), time out after ten seconds and follow no redirect. Outside local-server only
//! `https` is sent, and never to a private, loopback, link-local or otherwise internal
//! address: IP literals are refused before connecting, names are checked on the addresses
//! they resolve to, at connect time (the resolver the client connects with).

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::events::{Actor, DeliveryEvent, SubscriptionEvent};
use domain::trigger::TriggerOwner;
use domain::webhook::{Attempt, Delivery, Subscription, SubscriptionInput, RESPONSE_KEPT};
use serde_json::{json, Value};
use store::{Cond, Index, Item, Query, StoreError, Table, Write};

use crate::error::{stale, AppError, AppResult};
use crate::keys;
use crate::repo::aggregate::aggregate;
use crate::repo::{load, save, Aggregate, PageParams};

impl Aggregate for Subscription {
    aggregate!(SubscriptionEvent, "subscription", keys::subscription);
    fn events_pk(tenant: &str, id: &str) -> String {
        keys::subscription_events_pk(tenant, id)
    }
}

impl Aggregate for Delivery {
    aggregate!(DeliveryEvent, "delivery", keys::delivery);

    fn wake(&self) -> Option<DateTime<Utc>> {
        Delivery::wake(self)
    }

    fn woken(&self) -> Option<DateTime<Utc>> {
        self.wake_at
    }
}

/// Subscribes a URL (admins); the secret is returned this once.
pub async fn subscribe(
    table: &dyn Table,
    tenant: &str,
    input: SubscriptionInput,
    owner: TriggerOwner,
    allow_private_targets: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<(Subscription, String)> {
    let (s, events) = Subscription::create(domain::ids::new_id(), input, owner, allow_private_targets, now)?;
    let secret = domain::ids::new_token();
    let k = keys::subscription_secret(tenant, &s.id);
    let row = json!({"pk": k.pk, "sk": k.sk, "entity": "subscription_secret", "secret": secret});
    let extra = vec![Write::put(
        row.as_object().cloned().unwrap_or_default(),
        Cond::NotExists,
    )];
    save(table, tenant, &s, None, &events, actor, now, extra).await?;
    Ok((s, secret))
}

pub async fn list(table: &dyn Table, tenant: &str, page: &PageParams) -> AppResult<(Vec<Subscription>, Option<Item>)> {
    crate::repo::list_in(
        table,
        tenant,
        keys::subscriptions_pk(tenant),
        keys::SUBSCRIPTION_SK_PREFIX,
        page,
    )
    .await
}

/// A subscription's deliveries, newest first.
pub async fn deliveries(
    table: &dyn Table,
    tenant: &str,
    subscription_id: &str,
    page: &PageParams,
) -> AppResult<(Vec<Delivery>, Option<Item>)> {
    load::<Subscription>(table, tenant, subscription_id).await?;
    let q = Query::new(Index::Primary, keys::deliveries_pk(tenant, subscription_id))
        .begins_with(keys::DELIVERY_SK_PREFIX)
        .backward();
    let q = page.apply(q, tenant)?;
    crate::repo::page_of(table.query(q).await?)
}

/// Sends a delivered or dead delivery again, now.
pub async fn redeliver(
    table: &dyn Table,
    tenant: &str,
    subscription_id: &str,
    delivery_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Delivery> {
    let d: Delivery = load(table, tenant, delivery_id).await?;
    if d.subscription_id != subscription_id {
        return Err(domain::DomainError::NotFound("delivery").into());
    }
    let d = crate::repo::change(table, tenant, delivery_id, actor, now, |d: &mut Delivery, now| {
        d.redeliver(now)?;
        Ok(vec![DeliveryEvent::DeliveryRedelivered {}])
    })
    .await?;
    attempt(table, tenant, &d.id, now).await?;
    load(table, tenant, &d.id).await
}

/// What a subscriber receives for an outbox row.
fn payload(row: &Item) -> Value {
    json!({
        "id": row.get("event_id"), "type": row.get("type"), "created_at": row.get("at"),
        "aggregate": row.get("aggregate"), "aggregate_id": row.get("aggregate_id"), "data": row.get("data"),
    })
}

/// The webhooks' consumer of an outbox row (webhook-sender in AWS, the relay locally): its
/// deliveries, made and tried; the number made.
pub async fn handle(table: &dyn Table, row: &Item, now: DateTime<Utc>) -> AppResult<usize> {
    if store::attr_str(row, "entity") != Some("event") {
        return Ok(0);
    }
    let Some(tenant) = store::attr_str(row, "tenant_id") else {
        return Ok(0);
    };
    on_event(table, tenant, row, now).await
}

/// The event path's part: a delivery for each subscription that wants the event, tried now.
/// A redelivered event makes no second delivery (one per subscription and event).
pub async fn on_event(table: &dyn Table, tenant: &str, row: &Item, now: DateTime<Utc>) -> AppResult<usize> {
    let (Some(event_id), Some(event_type)) = (store::attr_str(row, "event_id"), store::attr_str(row, "type")) else {
        return Ok(0);
    };
    if !domain::webhook::EVENT_TYPES.contains(&event_type) {
        return Ok(0);
    }
    let mut start = None;
    let mut made = Vec::new();
    loop {
        let q = Query::new(Index::Primary, keys::subscriptions_pk(tenant))
            .begins_with(keys::SUBSCRIPTION_SK_PREFIX)
            .limit(100)
            .start(start);
        let page = table.query(q).await?;
        let (subs, last): (Vec<Subscription>, _) = crate::repo::page_of(page)?;
        for s in subs.iter().filter(|s| s.wants(event_type)) {
            let d = Delivery::new(&s.id, event_id, event_type, payload(row), now);
            let system = Actor::new("system", "webhooks", None);
            match save(table, tenant, &d, None, &[], &system, now, Vec::new()).await {
                Ok(()) => made.push(d.id),
                Err(StoreError::ConditionFailed(_)) => made.push(d.id),
                Err(e) => return Err(e.into()),
            }
        }
        match last {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    for id in &made {
        attempt(table, tenant, id, now).await?;
    }
    Ok(made.len())
}

/// Tries a pending delivery that is due; records the attempt (and the subscription's state).
pub async fn attempt(table: &dyn Table, tenant: &str, delivery_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    let mut d: Delivery = load(table, tenant, delivery_id).await?;
    if d.wake().is_none_or(|at| at > now) {
        return Ok(());
    }
    let expected = d.version;
    let mut sub: Subscription = load(table, tenant, &d.subscription_id).await?;
    let system = Actor::new("system", "webhooks", None);
    if sub.status != domain::webhook::SubscriptionStatus::Active {
        d.abandon();
        return save(table, tenant, &d, Some(expected), &[], &system, now, Vec::new())
            .await
            .map_err(stale("the delivery"));
    }
    let k = keys::subscription_secret(tenant, &sub.id);
    let secret = table
        .get(&k.pk, &k.sk)
        .await?
        .and_then(|i| store::attr_str(&i, "secret").map(str::to_string))
        .ok_or_else(|| AppError::Internal(format!("subscription {} has no secret", sub.id)))?;
    let body = d.payload.to_string();
    let result = send(&sub, &secret, &d.event_id, &body, now).await;
    let taken = result.taken();
    d.record(result, now);
    save(table, tenant, &d, Some(expected), &[], &system, now, Vec::new())
        .await
        .map_err(stale("the delivery"))?;
    let sub_version = sub.version;
    if let Some(events) = sub.noted(taken, now) {
        // Another delivery may have noted the same at once: theirs stands.
        match save(
            table,
            tenant,
            &sub,
            Some(sub_version),
            &events,
            &system,
            now,
            Vec::new(),
        )
        .await
        {
            Ok(()) | Err(StoreError::ConditionFailed(_)) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Why a target may not be reached, if it may not.
fn refused(ip: IpAddr) -> Option<&'static str> {
    let internal = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8
        }
    };
    internal.then_some("a private, loopback or link-local address")
}

/// The resolver the public client connects with: a name's addresses, less internal ones; a
/// name with only internal ones does not resolve.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| refused(a.ip()).is_none())
                .collect();
            if addrs.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> =
                    format!("refused: {host} resolves only to private, loopback or link-local addresses").into();
                return Err(e);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn client(allow_private: bool) -> Result<&'static reqwest::Client, String> {
    static PUBLIC: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    static LOCAL: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    let build = |public: bool| {
        let b = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("process-portal-webhooks/1");
        let b = if public {
            b.dns_resolver(std::sync::Arc::new(PublicOnly))
        } else {
            b
        };
        b.build().map_err(|e| e.to_string())
    };
    let cell = if allow_private { &LOCAL } else { &PUBLIC };
    cell.get_or_init(|| build(!allow_private))
        .as_ref()
        .map_err(Clone::clone)
}

fn failed(now: DateTime<Utc>, error: impl Into<String>) -> Attempt {
    Attempt {
        at: now,
        status_code: None,
        error: Some(error.into()),
        response: String::new(),
    }
}

/// One signed POST of a delivery's body to the subscription's URL.
async fn send(sub: &Subscription, secret: &str, event_id: &str, body: &str, now: DateTime<Utc>) -> Attempt {
    let url = match reqwest::Url::parse(&sub.url) {
        Ok(u) => u,
        Err(e) => return failed(now, format!("the URL does not parse: {e}")),
    };
    if !sub.allow_private_targets {
        if url.scheme() != "https" {
            return failed(now, "refused: only https URLs are sent to");
        }
        let literal = url
            .host_str()
            .and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok());
        if let Some(why) = literal.and_then(refused) {
            return failed(now, format!("refused: {why}"));
        }
    }
    let http = match client(sub.allow_private_targets) {
        Ok(c) => c,
        Err(e) => return failed(now, e),
    };
    let signature = domain::signature::sign(secret, now.timestamp(), body.as_bytes());
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", event_id)
        .header("webhook-signature", signature)
        .body(body.to_string())
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            Attempt {
                at: now,
                status_code: Some(status),
                error: None,
                response: text.chars().take(RESPONSE_KEPT).collect(),
            }
        }
        Err(e) => {
            use std::error::Error;
            let mut why = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                why.push_str(": ");
                why.push_str(&s.to_string());
                source = s.source();
            }
            failed(now, why.chars().take(RESPONSE_KEPT).collect::<String>())
        }
    }
}

/// Sweeper: a due delivery's next try.
pub async fn retry_due(table: &dyn Table, tenant: &str, delivery_id: &str, now: DateTime<Utc>) -> AppResult<usize> {
    attempt(table, tenant, delivery_id, now).await?;
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(refused(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(refused(ip.parse().unwrap()).is_none(), "{ip}");
        }
    }
}
