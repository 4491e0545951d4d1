//! From a domain event to emails: who is told, in which language, with which link; each
//! (event, recipient) is claimed in the table before sending, so a redelivered event sends no
//! second email, and a failed send releases its claim so the retry sends it.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::mailer::{Mailer, OutgoingEmail};
use super::{default_template, kind_vars, render, Template};
use crate::config::Config;
use crate::domain::partner::{Partner, PartnerStatus};
use crate::domain::process::Assignee;
use crate::domain::run::{Run, RunStep};
use crate::error::ApiError;
use crate::i18n::{pick, Lang};
use crate::ids::participant_id;
use crate::keys;
use crate::repo::access::{issue_access_token, issue_invitation_token, PortalParticipant, INVITATION_DAYS};
use crate::repo::{partners, runs::get_run, settings};
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

/// Where an email's link points; secret links are minted only when the email is sent.
#[derive(Debug, Clone)]
pub enum Link {
    To(String),
    Portal(PortalParticipant),
    Invitation { partner_id: String, invitation_id: String },
}

/// One email to send for an event.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub lang: Lang,
    pub kind: &'static str,
    pub vars: Map<String, Value>,
    pub link: Link,
    /// Emails of test runs are marked as such in their subject.
    pub test: bool,
}

/// What the notifier knows of the tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub default_locale: Lang,
}

pub struct Notifier<'a> {
    pub table: &'a dyn Table,
    pub mailer: &'a dyn Mailer,
    pub config: &'a Config,
}

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Builds recipients that share the tenant and the base variables.
struct Builder<'a> {
    tenant: &'a Tenant,
    base: Map<String, Value>,
    test: bool,
    out: Vec<Recipient>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        email: &str,
        name: &str,
        lang: Option<Lang>,
        kind: &'static str,
        extra: Map<String, Value>,
        link: Link,
    ) {
        let mut vars = self.base.clone();
        vars.insert("tenant_name".into(), json!(self.tenant.name));
        vars.insert("recipient_name".into(), json!(name));
        vars.extend(extra);
        let lang = Lang::resolve(lang, Some(self.tenant.default_locale));
        self.out.push(Recipient {
            email: email.into(),
            lang,
            kind,
            vars,
            link,
            test: self.test,
        });
    }
}

fn vars(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Who a run event tells, and what (pure: reads only the event, the run and its partner).
pub fn run_recipients(
    event: &Item,
    run: &Run,
    partner: Option<&Partner>,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Recipient> {
    let data = event.get("data").cloned().unwrap_or(Value::Null);
    let step: Option<&RunStep> = data.get("step_key").and_then(Value::as_str).and_then(|k| run.step(k));
    let base = vars(&[
        ("process_name", json!(run.process_name)),
        ("run_title", json!(run.context.title.clone().unwrap_or_default())),
    ]);
    let mut b = Builder {
        tenant,
        base,
        test: run.test,
        out: Vec::new(),
    };
    let staff_link = Link::To(config.staff_run_link(&tenant.id, &run.id));
    let creator_name = run
        .created_by
        .name
        .clone()
        .unwrap_or_else(|| run.created_by.sub.clone());
    let partner_name = partner
        .map(|p| p.organization_name.clone().unwrap_or_else(|| p.name.clone()))
        .unwrap_or_default();
    match attr_str(event, "type").unwrap_or_default() {
        "step_activated" => {
            let Some(step) = step else { return b.out };
            let extra = vars(&[("step_name", json!(step.name)), ("due_date", json!(date(step.due_at)))]);
            let info = |lang: Option<Lang>| {
                let lang = Lang::resolve(lang, Some(tenant.default_locale));
                json!(step
                    .info_texts
                    .for_kind(step.assignee.kind())
                    .and_then(|t| pick(t, lang))
                    .unwrap_or_default())
            };
            match &step.assignee {
                Assignee::Staff { user_id, email } => {
                    b.add(email, user_id, None, "step_activated_staff", extra, staff_link)
                }
                Assignee::Partner { .. } => {
                    let Some(p) = partner.filter(|p| p.status == PartnerStatus::Active) else {
                        return b.out;
                    };
                    for user in &p.users {
                        let mut extra = extra.clone();
                        extra.insert("info_text".into(), info(user.locale.or(p.locale)));
                        let Ok(who) = partners::partner_participant(&tenant.id, p, &user.id) else {
                            continue;
                        };
                        b.add(
                            &user.email,
                            &user.name,
                            who.locale,
                            "step_activated_participant",
                            extra,
                            Link::Portal(who),
                        );
                    }
                }
                other => {
                    let Some(contact) = run.contact_for(other) else {
                        return b.out;
                    };
                    let mut extra = extra;
                    extra.insert("info_text".into(), info(contact.locale));
                    let who = PortalParticipant {
                        tenant_id: tenant.id.clone(),
                        participant_id: participant_id(&contact.email),
                        kind: other.kind().into(),
                        name: contact.name.clone(),
                        locale: contact.locale,
                        partner_id: None,
                        user_id: None,
                    };
                    b.add(
                        &contact.email,
                        &contact.name,
                        contact.locale,
                        "step_activated_participant",
                        extra,
                        Link::Portal(who),
                    );
                }
            }
        }
        "step_completed" => {
            let Some(step) = step else { return b.out };
            let by = event
                .get("actor")
                .and_then(|a| a.get("name").or_else(|| a.get("id")))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let extra = vars(&[("step_name", json!(step.name)), ("completed_by", json!(by))]);
            if let Some(owner) = &step.owner {
                b.add(
                    &owner.email,
                    &owner.user_id,
                    None,
                    "step_completed",
                    extra.clone(),
                    staff_link.clone(),
                );
            }
            if let Some(email) = &run.created_by.email {
                if step.owner.as_ref().is_none_or(|o| !o.email.eq_ignore_ascii_case(email)) {
                    b.add(
                        email,
                        &creator_name,
                        run.created_by.locale,
                        "step_completed",
                        extra,
                        staff_link,
                    );
                }
            }
        }
        "step_due_date_set" => {
            let (Some(step), Some(owner)) = (step, step.and_then(|s| s.owner.as_ref())) else {
                return b.out;
            };
            let extra = vars(&[
                ("step_name", json!(step.name)),
                ("due_date", json!(date(step.due_at))),
                ("partner_name", json!(partner_name)),
            ]);
            b.add(
                &owner.email,
                &owner.user_id,
                None,
                "partner_commissioning",
                extra,
                staff_link,
            );
        }
        "run_completed" => {
            if let Some(email) = &run.created_by.email {
                b.add(
                    email,
                    &creator_name,
                    run.created_by.locale,
                    "run_completed",
                    Map::new(),
                    staff_link,
                );
            }
        }
        "run_cancelled" => {
            if let Some(email) = &run.created_by.email {
                let extra = vars(&[("reason", json!(run.cancel_reason.clone().unwrap_or_default()))]);
                b.add(
                    email,
                    &creator_name,
                    run.created_by.locale,
                    "run_cancelled",
                    extra,
                    staff_link,
                );
            }
        }
        _ => {}
    }
    b.out
}

/// Who a partner event tells: the invitation, and each added user's portal link.
pub fn partner_recipients(event: &Item, partner: &Partner, tenant: &Tenant) -> Vec<Recipient> {
    let data = event.get("data").cloned().unwrap_or(Value::Null);
    let name = partner
        .organization_name
        .clone()
        .unwrap_or_else(|| partner.name.clone());
    let mut b = Builder {
        tenant,
        base: vars(&[("partner_name", json!(name))]),
        test: false,
        out: Vec::new(),
    };
    match attr_str(event, "type").unwrap_or_default() {
        "partner_invited" => {
            let Some(invitation) = data.get("invitation_id").and_then(Value::as_str) else {
                return b.out;
            };
            if !partner.invitation_open(invitation) {
                return b.out; // replaced, accepted or revoked meanwhile: the link would be dead
            }
            let expires = date(Some(Utc::now() + Duration::days(INVITATION_DAYS)));
            let link = Link::Invitation {
                partner_id: partner.id.clone(),
                invitation_id: invitation.into(),
            };
            b.add(
                &partner.email,
                &partner.name,
                partner.locale,
                "partner_invitation",
                vars(&[("expires_date", json!(expires))]),
                link,
            );
        }
        "partner_user_added" => {
            let Some(user_id) = data.get("user_id").and_then(Value::as_str) else {
                return b.out;
            };
            let (Some(user), Ok(who)) = (
                partner.users.iter().find(|u| u.id == user_id),
                partners::partner_participant(&tenant.id, partner, user_id),
            ) else {
                return b.out;
            };
            if partner.status == PartnerStatus::Active {
                b.add(
                    &user.email,
                    &user.name,
                    who.locale,
                    "partner_user_added",
                    Map::new(),
                    Link::Portal(who),
                );
            }
        }
        _ => {}
    }
    b.out
}

/// Exactly the variables a kind declares: missing ones are empty strings.
fn vars_for(kind: &str, vars: &Map<String, Value>) -> Value {
    let names = kind_vars(kind).unwrap_or_default();
    Value::Object(
        names
            .iter()
            .map(|n| (n.to_string(), vars.get(*n).cloned().unwrap_or_else(|| json!(""))))
            .collect(),
    )
}

/// The tenant's own template for (kind, language), else the built-in one.
pub async fn template_for(table: &dyn Table, tenant: &str, kind: &str, lang: Lang) -> Result<Template, ApiError> {
    if let Some(o) = settings::get_template(table, tenant, kind, lang).await? {
        return Ok(o.template);
    }
    default_template(kind, lang).ok_or_else(|| ApiError::Internal(format!("no default template for {kind}")))
}

impl Notifier<'_> {
    async fn tenant(&self, id: &str) -> Result<Tenant, NotifyError> {
        let s = settings::get_settings(self.table, id).await?;
        Ok(Tenant {
            id: id.into(),
            name: s.name.unwrap_or_else(|| id.to_string()),
            default_locale: s.default_locale.unwrap_or(self.config.default_locale),
        })
    }

    async fn recipients(
        &self,
        event: &Item,
        tenant: &Tenant,
        aggregate: &str,
        id: &str,
    ) -> Result<Vec<Recipient>, ApiError> {
        match aggregate {
            "run" => {
                let run = get_run(self.table, &tenant.id, id).await?;
                let partner_id = event
                    .get("data")
                    .and_then(|d| d.get("step_key"))
                    .and_then(Value::as_str)
                    .and_then(|k| run.step(k))
                    .and_then(|s| match &s.assignee {
                        Assignee::Partner { partner_id } => Some(partner_id.clone()),
                        _ => None,
                    });
                let partner = match partner_id {
                    Some(p) => match partners::get(self.table, &tenant.id, &p).await {
                        Ok(p) => Some(p),
                        Err(ApiError::NotFound(_)) => None,
                        Err(e) => return Err(e),
                    },
                    None => None,
                };
                Ok(run_recipients(event, &run, partner.as_ref(), tenant, self.config))
            }
            "partner" => Ok(partner_recipients(
                event,
                &partners::get(self.table, &tenant.id, id).await?,
                tenant,
            )),
            "order" => {
                let order = crate::repo::orders::get_order(self.table, &tenant.id, id).await?;
                Ok(super::notify_orders::order_recipients(
                    event,
                    &order,
                    tenant,
                    self.config,
                ))
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Sends every email an event causes; `Ok(n)` is the number sent now (0 on redelivery).
    pub async fn handle(&self, event: &Item) -> Result<usize, NotifyError> {
        let (Some(tenant), Some(event_id), Some(aggregate), Some(id)) = (
            attr_str(event, "tenant_id"),
            attr_str(event, "event_id"),
            attr_str(event, "aggregate"),
            attr_str(event, "aggregate_id"),
        ) else {
            tracing::error!("event without tenant_id, event_id, aggregate or aggregate_id: dropped");
            return Ok(0);
        };
        let tenant = self.tenant(tenant).await?;
        let recipients = match self.recipients(event, &tenant, aggregate, id).await {
            Ok(r) => r,
            Err(ApiError::NotFound(what)) => {
                tracing::error!(event_id, "event of an unknown {what}: dropped");
                return Ok(0);
            }
            Err(e) => return Err(e.into()),
        };
        let mut sent = 0;
        for r in recipients {
            if self.deliver(&tenant.id, event_id, r).await? {
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
                let claimed = attr_str(c, "claimed_at").and_then(|t| t.parse::<DateTime<Utc>>().ok());
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

        match self.render_and_send(tenant, &r).await {
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

    async fn render_and_send(&self, tenant: &str, r: &Recipient) -> Result<String, NotifyError> {
        let mut vars = r.vars.clone();
        let link = match &r.link {
            Link::To(url) => url.clone(),
            Link::Portal(p) => self
                .config
                .portal_access_link(&issue_access_token(self.table, p).await?),
            Link::Invitation {
                partner_id,
                invitation_id,
            } => {
                let token = issue_invitation_token(self.table, tenant, partner_id, invitation_id).await?;
                self.config.partner_invitation_link(&token)
            }
        };
        vars.insert("link".into(), json!(link));
        let template = template_for(self.table, tenant, r.kind, r.lang).await?;
        let rendered = render(&template, &vars_for(r.kind, &vars)).map_err(|e| NotifyError::Retry(e.to_string()))?;
        let subject = if r.test {
            format!("[TEST] {}", rendered.subject)
        } else {
            rendered.subject
        };
        let email = OutgoingEmail {
            to: r.email.clone(),
            from: self.config.email_from.clone(),
            subject,
            text: rendered.text,
            html: rendered.html,
        };
        self.mailer
            .send(&email)
            .await
            .map_err(|e| NotifyError::Retry(e.to_string()))
    }
}
