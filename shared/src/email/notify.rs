//! From a domain event to emails: who is told, in which language, with which link; each
//! (event, recipient) is claimed in the table before sending, so a redelivered event sends no
//! second email, and a failed send releases its claim so the retry sends it.

use chrono::{Duration, Utc};
use serde_json::{json, Map, Value};

use super::mailer::{Mailer, OutgoingEmail};
use super::{default_template, defaults, render};
use crate::config::Config;
use crate::domain::process::Assignee;
use crate::domain::run::Run;
use crate::error::ApiError;
use crate::i18n::{pick, Lang};
use crate::ids::participant_id;
use crate::keys;
use crate::repo::access::{issue_access_token, PortalParticipant};
use crate::repo::runs::get_run;
use crate::store::{attr_str, Cond, Item, StoreError, Table, Write};

/// How long a claim in flight keeps other deliveries of the same event away.
const CLAIM_LEASE_SECONDS: i64 = 300;
const CLAIM_TTL_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Worth retrying: the message stays on the queue (or the local outbox cursor stays).
    #[error("retry: {0}")]
    Retry(String),
}

impl From<ApiError> for NotifyError {
    fn from(e: ApiError) -> Self {
        NotifyError::Retry(e.to_string())
    }
}
impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        NotifyError::Retry(e.to_string())
    }
}

/// One email to send for an event.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub lang: Lang,
    pub kind: &'static str,
    pub vars: Map<String, Value>,
    /// For portal participants: the access link is minted when the email is sent.
    pub portal: Option<PortalParticipant>,
}

pub struct Notifier<'a> {
    pub table: &'a dyn Table,
    pub mailer: &'a dyn Mailer,
    pub config: &'a Config,
}

fn run_vars(run: &Run, tenant: &str) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("tenant_name".into(), json!(tenant));
    v.insert("process_name".into(), json!(run.process_name));
    v.insert("run_title".into(), json!(run.context.title.clone().unwrap_or_default()));
    v
}

/// Who an event tells, and what (pure: reads only the event and the run).
pub fn recipients(event: &Item, run: &Run, tenant: &str, config: &Config) -> Vec<Recipient> {
    let tenant_lang = Some(config.default_locale);
    let data = event.get("data").cloned().unwrap_or(Value::Null);
    let step = data.get("step_key").and_then(Value::as_str).and_then(|k| run.step(k));
    let base = run_vars(run, tenant);
    let staff_link = config.staff_run_link(&run.id);
    let mut out = Vec::new();
    let mut staff = |email: &str, name: &str, lang: Option<Lang>, kind: &'static str, extra: Map<String, Value>| {
        let mut vars = base.clone();
        vars.extend(extra);
        vars.insert("link".into(), json!(staff_link));
        vars.insert("recipient_name".into(), json!(name));
        out.push(Recipient {
            email: email.into(),
            name: name.into(),
            lang: Lang::resolve(lang, tenant_lang),
            kind,
            vars,
            portal: None,
        });
    };
    let creator_name = run
        .created_by
        .name
        .clone()
        .unwrap_or_else(|| run.created_by.sub.clone());
    match attr_str(event, "type").unwrap_or_default() {
        "step_activated" => {
            let Some(step) = step else { return out };
            let mut extra = Map::new();
            extra.insert("step_name".into(), json!(step.name));
            extra.insert(
                "due_date".into(),
                json!(step
                    .due_at
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()),
            );
            match &step.assignee {
                Assignee::Staff { user_id, email } => staff(email, user_id, None, "step_activated_staff", extra),
                other => {
                    let Some(contact) = run.contact_for(other) else {
                        return out;
                    };
                    let lang = Lang::resolve(contact.locale, tenant_lang);
                    let mut vars = base.clone();
                    vars.extend(extra);
                    let info = step
                        .info_texts
                        .for_kind(other.kind())
                        .and_then(|t| pick(t, lang))
                        .unwrap_or_default();
                    vars.insert("info_text".into(), json!(info));
                    vars.insert("recipient_name".into(), json!(contact.name));
                    out.push(Recipient {
                        email: contact.email.clone(),
                        name: contact.name.clone(),
                        lang,
                        kind: "step_activated_participant",
                        vars,
                        portal: Some(PortalParticipant {
                            tenant_id: tenant.into(),
                            participant_id: participant_id(&contact.email),
                            kind: other.kind().into(),
                            name: contact.name.clone(),
                            locale: contact.locale,
                        }),
                    });
                }
            }
        }
        "step_completed" => {
            let Some(step) = step else { return out };
            let by = event
                .get("actor")
                .and_then(|a| a.get("name").or_else(|| a.get("id")))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut extra = Map::new();
            extra.insert("step_name".into(), json!(step.name));
            extra.insert("completed_by".into(), json!(by));
            if let Some(owner) = &step.owner {
                staff(&owner.email, &owner.user_id, None, "step_completed", extra.clone());
            }
            if let Some(email) = &run.created_by.email {
                if step.owner.as_ref().is_none_or(|o| !o.email.eq_ignore_ascii_case(email)) {
                    staff(email, &creator_name, run.created_by.locale, "step_completed", extra);
                }
            }
        }
        "run_completed" => {
            if let Some(email) = &run.created_by.email {
                staff(email, &creator_name, run.created_by.locale, "run_completed", Map::new());
            }
        }
        "run_cancelled" => {
            if let Some(email) = &run.created_by.email {
                let mut extra = Map::new();
                extra.insert("reason".into(), json!(run.cancel_reason.clone().unwrap_or_default()));
                staff(email, &creator_name, run.created_by.locale, "run_cancelled", extra);
            }
        }
        _ => {}
    }
    out
}

/// Exactly the variables a kind declares: missing ones are empty strings.
fn vars_for(kind: &str, vars: &Map<String, Value>) -> Value {
    let names = defaults::KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, v)| *v)
        .unwrap_or_default();
    Value::Object(
        names
            .iter()
            .map(|n| (n.to_string(), vars.get(*n).cloned().unwrap_or_else(|| json!(""))))
            .collect(),
    )
}

impl Notifier<'_> {
    /// Sends every email an event causes; `Ok(n)` is the number sent now (0 on redelivery).
    pub async fn handle(&self, event: &Item) -> Result<usize, NotifyError> {
        let (Some(tenant), Some(event_id), Some(aggregate)) = (
            attr_str(event, "tenant_id"),
            attr_str(event, "event_id"),
            attr_str(event, "aggregate"),
        ) else {
            tracing::error!("event without tenant_id, event_id or aggregate: dropped");
            return Ok(0);
        };
        if aggregate != "run" {
            return Ok(0);
        }
        let run_id = attr_str(event, "aggregate_id").unwrap_or_default();
        let run = match get_run(self.table, tenant, run_id).await {
            Ok(run) => run,
            Err(ApiError::NotFound(_)) => {
                tracing::error!(event_id, "event of an unknown run: dropped");
                return Ok(0);
            }
            Err(e) => return Err(e.into()),
        };
        let mut sent = 0;
        for r in recipients(event, &run, tenant, self.config) {
            if self.deliver(tenant, event_id, r).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Claims, renders and sends one email; `false` when it was sent before.
    async fn deliver(&self, tenant: &str, event_id: &str, r: Recipient) -> Result<bool, NotifyError> {
        let key = keys::mail_claim(tenant, event_id, &participant_id(&r.email));
        let now = Utc::now();
        let existing = self.table.get(&key.pk, &key.sk).await?;
        let version = match &existing {
            Some(c) if attr_str(c, "status") == Some("sent") => return Ok(false),
            Some(c) => {
                let claimed = attr_str(c, "claimed_at").and_then(|t| t.parse::<chrono::DateTime<Utc>>().ok());
                if claimed.is_some_and(|t| now - t < Duration::seconds(CLAIM_LEASE_SECONDS)) {
                    return Err(NotifyError::Retry("another delivery of this email is in flight".into()));
                }
                c.get("version").and_then(Value::as_u64).unwrap_or(0)
            }
            None => 0,
        };
        let cond = if existing.is_some() {
            Cond::Version(version)
        } else {
            Cond::NotExists
        };
        let claim = |status: &str, v: u64| -> Item {
            let ttl = (now + Duration::days(CLAIM_TTL_DAYS)).timestamp();
            let row = json!({"pk": key.pk, "sk": key.sk, "entity": "mail_claim", "status": status, "claimed_at": now, "version": v, "ttl": ttl});
            row.as_object().cloned().unwrap_or_default()
        };
        self.table
            .transact(vec![Write::put(claim("pending", version + 1), cond)])
            .await
            .map_err(|e| NotifyError::Retry(format!("claim: {e}")))?;

        match self.render_and_send(&r).await {
            Ok(message_id) => {
                tracing::info!(event_id, kind = r.kind, message_id, "email sent");
                let done = self
                    .table
                    .transact(vec![Write::put(claim("sent", version + 2), Cond::Version(version + 1))])
                    .await;
                if let Err(e) = done {
                    tracing::error!(error = %e, event_id, "email sent but its claim could not be marked sent");
                }
                Ok(true)
            }
            Err(e) => {
                let release = Write::Delete {
                    pk: key.pk.clone(),
                    sk: key.sk.clone(),
                    cond: Cond::Version(version + 1),
                };
                if let Err(err) = self.table.transact(vec![release]).await {
                    tracing::warn!(error = %err, "claim not released; it expires after its lease");
                }
                Err(e)
            }
        }
    }

    async fn render_and_send(&self, r: &Recipient) -> Result<String, NotifyError> {
        let mut vars = r.vars.clone();
        if let Some(p) = &r.portal {
            let token = issue_access_token(self.table, p).await?;
            vars.insert("link".into(), json!(self.config.portal_access_link(&token)));
        }
        let template = default_template(r.kind, r.lang)
            .ok_or_else(|| NotifyError::Retry(format!("no template for {}", r.kind)))?;
        let rendered = render(&template, &vars_for(r.kind, &vars)).map_err(|e| NotifyError::Retry(e.to_string()))?;
        let email = OutgoingEmail {
            to: r.email.clone(),
            from: self.config.email_from.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        };
        self.mailer
            .send(&email)
            .await
            .map_err(|e| NotifyError::Retry(e.to_string()))
    }
}
