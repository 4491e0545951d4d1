//! From a domain event to emails: the event is read as its typed enum, [`super::recipients`]
//! says who is told; each (event, recipient) is claimed in the table before sending, so a
//! redelivered event sends no second email, and a failed send releases its claim so the
//! retry sends it. Failures are retryable (the table or SES unavailable, throttled) or
//! permanent (an unreadable event, a template that cannot render, an address SES rejects):
//! a permanent one is logged with its reason and not retried.

use chrono::{DateTime, Duration, Utc};
use domain::events::{Actor, Event, RunEvent};
use domain::i18n::Lang;
use domain::ids::participant_id;
use domain::order::Order;
use domain::partner::Partner;
use domain::process::Assignee;
use domain::run::Run;
use domain::team::Team;
use serde_json::{json, Map, Value};
use store::{attr_str, Cond, Item, StoreError, Table, Write};

use super::bounces::{TAG_EVENT, TAG_KIND, TAG_RUN, TAG_TENANT};
use super::mailer::{MailError, Mailer, OutgoingEmail};
use super::recipients::{
    access_recipients, mailbox_recipients, order_recipients, partner_recipients, run_recipients,
    subscription_recipients, trigger_recipients, Link, Parties, Recipient, Tenant,
};
use super::{default_template, render, EmailKind, Template};
use crate::config::Config;
use crate::error::AppError;
use crate::keys;
use crate::repo::access::{issue_access_link, issue_invitation_token};
use crate::repo::aggregate::parse_event;
use crate::repo::{load, settings, undeliverable};

/// How long a claim in flight keeps other deliveries of the same event away: longer than a
/// delivery can take (the sender's timeout is 30 s), shorter than the queue's visibility
/// timeout (180 s), so that after a crash the next delivery finds the lease over and sends.
pub const CLAIM_LEASE_SECONDS: i64 = 120;
const CLAIM_TTL_DAYS: i64 = 30;
/// Attempts (after the first) to mark a claim sent: about 3 s in all, well inside the lease.
const MARK_SENT_RETRIES: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Worth retrying: the message stays on the queue (or the local outbox cursor stays).
    #[error("retry: {0}")]
    Retry(String),
    /// Retrying cannot help; the event's other emails are still sent.
    #[error("permanent: {0}")]
    Permanent(String),
    /// Another delivery of the email holds its claim (or crashed holding it) until `until`:
    /// retry then; this is no failed attempt.
    #[error("another delivery of this email is in flight until {until}")]
    InFlight { until: DateTime<Utc> },
}

impl From<AppError> for NotifyError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(m) => NotifyError::Retry(m),
            // A write that collided with another delivery: the next attempt sorts it out.
            AppError::Domain(domain::DomainError::Conflict(m)) => NotifyError::Retry(m),
            other => NotifyError::Permanent(other.to_string()),
        }
    }
}

impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<MailError> for NotifyError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::Retry(m) => NotifyError::Retry(m),
            MailError::Rejected(m) => NotifyError::Permanent(m),
        }
    }
}

pub struct Notifier<'a> {
    pub table: &'a dyn Table,
    pub mailer: &'a dyn Mailer,
    pub config: &'a Config,
}

/// Exactly the variables a kind declares: missing ones are empty strings.
fn vars_for(kind: EmailKind, vars: &Map<String, Value>) -> Value {
    Value::Object(
        kind.vars()
            .iter()
            .map(|n| (n.to_string(), vars.get(*n).cloned().unwrap_or_else(|| json!(""))))
            .collect(),
    )
}

/// The tenant's own template for (kind, language), else the built-in one.
pub async fn template_for(table: &dyn Table, tenant: &str, kind: EmailKind, lang: Lang) -> Result<Template, AppError> {
    if let Some(o) = settings::get_template(table, tenant, kind.name(), lang).await? {
        return Ok(o.template);
    }
    default_template(kind, lang).ok_or_else(|| AppError::Internal(format!("no default template for {}", kind.name())))
}

/// The aggregate, or none when it is gone.
fn found<T>(loaded: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match loaded {
        Ok(a) => Ok(Some(a)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl Notifier<'_> {
    async fn tenant(&self, id: &str) -> Result<Tenant, NotifyError> {
        let s = settings::get_settings(self.table, id).await?;
        let name = s.name.clone().unwrap_or_else(|| id.to_string());
        Ok(Tenant {
            id: id.into(),
            tz: s.tz(),
            sender_name: s.sender_name.clone().unwrap_or_else(|| name.clone()),
            name,
            default_locale: s.default_locale.unwrap_or(self.config.default_locale),
        })
    }

    async fn recipients(
        &self,
        row: &Item,
        event: Event,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Vec<Recipient>, AppError> {
        let t = &tenant.id;
        Ok(match event {
            Event::Run(e) => {
                let run: Run = load(self.table, t, id).await?;
                // The step's partner or team, for their users' and members' addresses.
                let assignee = match &e {
                    RunEvent::StepActivated { assignee, .. }
                    | RunEvent::StepReminderSent { assignee, .. }
                    | RunEvent::StepEscalated { assignee, .. }
                    | RunEvent::StepReassigned { assignee, .. }
                    | RunEvent::StepChangesRequested { assignee, .. } => Some(assignee.clone()),
                    RunEvent::StepDueDateSet { step_key, .. } => run.step(step_key).map(|s| s.assignee.clone()),
                    _ => None,
                };
                let partner = match &assignee {
                    Some(Assignee::Partner { partner_id }) => found(load::<Partner>(self.table, t, partner_id).await)?,
                    _ => None,
                };
                let team = match &assignee {
                    Some(Assignee::Team { team_id }) => found(load::<Team>(self.table, t, team_id).await)?,
                    _ => None,
                };
                let actor: Actor = row
                    .get("actor")
                    .cloned()
                    .and_then(|a| serde_json::from_value(a).ok())
                    .unwrap_or_else(|| Actor::new("system", "system", None));
                let parties = Parties {
                    partner: partner.as_ref(),
                    team: team.as_ref(),
                };
                run_recipients(&e, &actor, &run, parties, tenant, self.config)
            }
            Event::Partner(e) => {
                let at = row
                    .get("at")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_else(|| self.config.clock.now());
                partner_recipients(&e, &load(self.table, t, id).await?, tenant, at)
            }
            Event::Order(e) => order_recipients(&e, &load::<Order>(self.table, t, id).await?, tenant, self.config),
            Event::Access(e) => access_recipients(&e, tenant),
            Event::Mailbox(e) => {
                let mailbox: domain::comment::Mailbox = load(self.table, t, id).await?;
                let run: Run = load(self.table, t, &mailbox.run_id).await?;
                let partner = match &mailbox.reader.partner_id {
                    Some(p) => found(load::<Partner>(self.table, t, p).await)?,
                    None => None,
                };
                mailbox_recipients(&e, &run, partner.as_ref(), tenant, self.config)
            }
            Event::Trigger(e) => trigger_recipients(&e, &load(self.table, t, id).await?, tenant, self.config),
            Event::Subscription(e) => subscription_recipients(&e, &load(self.table, t, id).await?, tenant, self.config),
            Event::Offer(_) | Event::Settings(_) | Event::Team(_) | Event::Comment(_) | Event::Delivery(_) => {
                Vec::new()
            }
        })
    }

    /// Sends every email an event causes; `Ok(n)` is the number sent now (0 on redelivery).
    /// A permanent failure of one email is logged with its reason and does not stop the
    /// others; a retryable one makes the whole event come back (emails sent stay claimed).
    pub async fn handle(&self, row: &Item) -> Result<usize, NotifyError> {
        let (Some(tenant), Some(event_id), Some(id)) = (
            attr_str(row, "tenant_id"),
            attr_str(row, "event_id"),
            attr_str(row, "aggregate_id"),
        ) else {
            return Err(NotifyError::Permanent(
                "event without tenant_id, event_id or aggregate_id".into(),
            ));
        };
        let event = parse_event(row).map_err(NotifyError::Permanent)?;
        let run_id = matches!(event, Event::Run(_)).then_some(id);
        let tenant = self.tenant(tenant).await?;
        let sent = self.send_all(row, event.clone(), &tenant, event_id, id, run_id).await?;
        // Then the triggers it wakes (each acts once per event: a retry is safe). A lasting
        // failure is on the trigger already; only a passing one brings the event back.
        let now = self.config.clock.now();
        match crate::automation::on_event(self.table, &tenant.id, event_id, id, &event, now).await {
            Ok(_) | Err(AppError::Domain(_)) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        Ok(sent)
    }

    /// Sends every email of an event; the number sent now.
    async fn send_all(
        &self,
        row: &Item,
        event: Event,
        tenant: &Tenant,
        event_id: &str,
        id: &str,
        run_id: Option<&str>,
    ) -> Result<usize, NotifyError> {
        let recipients = match self.recipients(row, event, tenant, id).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => {
                tracing::error!(event_id, error = %e, "event of an unknown aggregate: no email");
                return Ok(0);
            }
            Err(e) => return Err(e.into()),
        };
        let mut sent = 0;
        for r in recipients {
            let kind = r.kind.name();
            // An address that bounced for good or complained gets nothing more; the run this
            // email was about shows it on the participant's steps.
            if let Some(u) = undeliverable::get(self.table, &tenant.id, &r.email).await? {
                tracing::warn!(event_id, kind, reason = ?u.reason, "email not sent: the address is undeliverable");
                if let Some(run) = run_id {
                    undeliverable::mark_run(self.table, &tenant.id, run, &u.unreachable()).await?;
                }
                continue;
            }
            match self.deliver(tenant, event_id, run_id, r).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(NotifyError::Permanent(reason)) => {
                    tracing::error!(event_id, kind, reason, "email not sent, permanently");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// Claims, renders and sends one email; `false` when it was sent before.
    async fn deliver(
        &self,
        tenant: &Tenant,
        event_id: &str,
        run_id: Option<&str>,
        r: Recipient,
    ) -> Result<bool, NotifyError> {
        let key = keys::mail_claim(&tenant.id, event_id, &participant_id(&r.email));
        let now = Utc::now();
        let existing = self.table.get(&key.pk, &key.sk).await?;
        let version = match &existing {
            // Sent, or failed for good (its reason is on the claim): nothing more to do.
            Some(c) if matches!(attr_str(c, "status"), Some("sent" | "failed")) => return Ok(false),
            Some(c) => {
                let claimed = attr_str(c, "claimed_at").and_then(|t| t.parse::<DateTime<Utc>>().ok());
                if let Some(until) = claimed.map(|t| t + Duration::seconds(CLAIM_LEASE_SECONDS)) {
                    if now < until {
                        return Err(NotifyError::InFlight { until });
                    }
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
            let row = json!({"pk": key.pk, "sk": key.sk, "entity": "mail_claim", "status": status, "claimed_at": now, "version": v, "ttl": ttl, "kind": r.kind.name()});
            row.as_object().cloned().unwrap_or_default()
        };
        self.table
            .transact(vec![Write::put(claim("pending", version + 1), cond)])
            .await
            .map_err(|e| NotifyError::Retry(format!("claim: {e}")))?;

        match self.render_and_send(tenant, event_id, run_id, &r).await {
            Ok(message_id) => {
                tracing::info!(event_id, kind = r.kind.name(), message_id, "email sent");
                // The one write that must not be lost: a claim left pending would send the
                // email again once its lease is over. A throttled or unavailable table is
                // tried again here, beyond the SDK's own retries.
                let mut attempt = 0;
                loop {
                    let sent = Write::put(claim("sent", version + 2), Cond::Version(version + 1));
                    match self.table.transact(vec![sent]).await {
                        Ok(()) => break,
                        Err(StoreError::Backend(e)) if attempt < MARK_SENT_RETRIES => {
                            attempt += 1;
                            tracing::warn!(error = %e, event_id, attempt, "marking the claim sent: retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, event_id, "email sent but its claim could not be marked sent");
                            break;
                        }
                    }
                }
                Ok(true)
            }
            // Failed for good: the claim records why, and no redelivery tries again.
            Err(NotifyError::Permanent(reason)) => {
                let mut failed = claim("failed", version + 2);
                failed.insert("reason".into(), json!(reason));
                let record = Write::put(failed, Cond::Version(version + 1));
                if let Err(err) = self.table.transact(vec![record]).await {
                    tracing::warn!(error = %err, "failure not recorded on the claim");
                }
                Err(NotifyError::Permanent(reason))
            }
            // Worth retrying: the claim is released so that the retry sends.
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

    async fn render_and_send(
        &self,
        tenant: &Tenant,
        event_id: &str,
        run_id: Option<&str>,
        r: &Recipient,
    ) -> Result<String, NotifyError> {
        let mut vars = r.vars.clone();
        let link = match &r.link {
            Link::To(url) => url.clone(),
            Link::Portal(p) => self
                .config
                .portal_access_link(&issue_access_link(self.table, p, &r.email, self.config.clock.now()).await?),
            Link::Invitation {
                partner_id,
                invitation_id,
            } => {
                let now = self.config.clock.now();
                let token = issue_invitation_token(self.table, &tenant.id, partner_id, invitation_id, now).await?;
                self.config.partner_invitation_link(&token)
            }
        };
        vars.insert("link".into(), json!(link));
        let template = template_for(self.table, &tenant.id, r.kind, r.lang).await?;
        let rendered =
            render(&template, &vars_for(r.kind, &vars)).map_err(|e| NotifyError::Permanent(e.to_string()))?;
        let subject = if r.test {
            format!("[TEST] {}", rendered.subject)
        } else {
            rendered.subject
        };
        let email = OutgoingEmail::new(
            &r.email,
            &self.config.email_from,
            &subject,
            rendered.text,
            rendered.html,
        )
        .sender_name(&tenant.sender_name)
        .tagged(TAG_TENANT, &tenant.id)
        .tagged(TAG_KIND, r.kind.name())
        .tagged(TAG_EVENT, event_id);
        let email = match run_id {
            Some(run) => email.tagged(TAG_RUN, run),
            None => email,
        };
        Ok(self.mailer.send(&email).await?)
    }
}
