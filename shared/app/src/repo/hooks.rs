//! Inbound webhooks: the secret of each webhook trigger, in a row found by the trigger's id
//! before any tenant is known (`HOOK#{trigger}`); the tenant comes from that row, the
//! caller is who the signature says. The secret is shown once (when made or rotated) and
//! never again; it is kept as it is because HMAC needs it (a hash would not verify).

use chrono::{DateTime, Utc};
use domain::events::Actor;
use domain::trigger::{Trigger, TriggerInput, TriggerOn, TriggerOwner};
use serde::Deserialize;
use serde_json::json;
use store::{Cond, StoreError, Table, Write};

use super::{load, save, Idempotency};
use crate::error::{stale, AppError, AppResult};
use crate::keys;

#[derive(Debug, Clone, Deserialize)]
pub struct HookRow {
    pub tenant_id: String,
    pub trigger_id: String,
    pub secret: String,
    pub generation: u32,
}

fn row(tenant: &str, trigger_id: &str, secret: &str, generation: u32) -> Write {
    let k = keys::hook(trigger_id);
    let item = json!({"pk": k.pk, "sk": k.sk, "entity": "hook", "tenant_id": tenant, "trigger_id": trigger_id,
        "secret": secret, "generation": generation});
    Write::put(item.as_object().cloned().unwrap_or_default(), Cond::None)
}

/// Creates a trigger; a webhook trigger gets its secret, returned this once.
pub async fn create_trigger(
    table: &dyn Table,
    tenant: &str,
    input: TriggerInput,
    owner: TriggerOwner,
    actor: &Actor,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<(Trigger, Option<String>)> {
    if input.on != TriggerOn::Webhook {
        let t = super::triggers::create(table, tenant, input, owner, actor, idempotency_key, now).await?;
        return Ok((t, None));
    }
    let idem = Idempotency::new(tenant, "trigger", &actor.id, idempotency_key, &input);
    let (trigger, events) = Trigger::create(domain::ids::new_id(), input, owner, now)?;
    let secret = domain::ids::new_token();
    let mut extra: Vec<Write> = idem.iter().map(|i| i.write(&trigger.id)).collect();
    extra.push(row(tenant, &trigger.id, &secret, 1));
    match (
        save(table, tenant, &trigger, None, &events, actor, now, extra).await,
        idem,
    ) {
        (Ok(()), _) => Ok((trigger, Some(secret))),
        // A retry of a request that made it: the trigger, without its secret (shown once).
        (Err(StoreError::ConditionFailed(i)), Some(idem)) if i > 0 => match idem.lookup(table).await? {
            Some(id) => Ok((load(table, tenant, &id).await?, None)),
            None => Err(AppError::conflict("retry the request")),
        },
        (Err(e), _) => Err(e.into()),
    }
}

/// A new secret for a webhook trigger (the old one stops working at once); returned once.
pub async fn rotate(
    table: &dyn Table,
    tenant: &str,
    trigger_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<(Trigger, String)> {
    let mut t: Trigger = load(table, tenant, trigger_id).await?;
    let expected = t.version;
    let events = t.rotate_secret(now)?;
    let secret = domain::ids::new_token();
    let generation = t.secret_generation.unwrap_or(1);
    let extra = vec![row(tenant, &t.id, &secret, generation)];
    save(table, tenant, &t, Some(expected), &events, actor, now, extra)
        .await
        .map_err(stale("the trigger"))?;
    Ok((t, secret))
}

/// The hook of a trigger id, if it is a webhook trigger's.
pub async fn hook(table: &dyn Table, trigger_id: &str) -> AppResult<Option<HookRow>> {
    if !store::key_fits(&keys::hook(trigger_id).pk, None) {
        return Ok(None);
    }
    let k = keys::hook(trigger_id);
    match table.get(&k.pk, &k.sk).await? {
        Some(item) => Ok(Some(super::from_item(item)?)),
        None => Ok(None),
    }
}
