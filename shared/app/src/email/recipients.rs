//! Who an event tells, and what: pure functions of the event (what happened, as of then), the
//! aggregate as it is now (only to tell whether the email still makes sense: a step done
//! meanwhile, an invitation replaced) and the tenant. They match every event exhaustively.
//!
//! Languages: the recipient's, else the tenant's default, else German. Order emails go to
//! the end user who placed the order, linking to `{CUSTOMER_APP_URL}/orders/{id}`; step five
//! sends only `order_activated`; orders without a valid email address send nothing.

use chrono::{DateTime, Duration, Utc};
use domain::events::{Actor, OrderEvent, PartnerEvent, RunEvent};
use domain::i18n::{pick, pick_in, I18n, Lang};
use domain::ids::participant_id;
use domain::order::Order;
use domain::partner::{Partner, PartnerStatus};
use domain::process::Assignee;
use domain::run::{Run, StepStatus};
use domain::valid_email;
use serde_json::{json, Map, Value};

use super::EmailKind;
use crate::config::Config;
use crate::repo::access::{PortalParticipant, INVITATION_DAYS};
use crate::repo::partners::partner_participant;

/// Where an email's link points; secret links are minted only when the email is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    To(String),
    Portal(PortalParticipant),
    Invitation { partner_id: String, invitation_id: String },
}

/// One email to send for an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub email: String,
    pub lang: Lang,
    pub kind: EmailKind,
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

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn vars(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Builds recipients that share the tenant and the base variables.
struct Builder<'a> {
    tenant: &'a Tenant,
    base: Map<String, Value>,
    test: bool,
    out: Vec<Recipient>,
}

impl<'a> Builder<'a> {
    fn new(tenant: &'a Tenant, base: Map<String, Value>, test: bool) -> Self {
        Builder {
            tenant,
            base,
            test,
            out: Vec::new(),
        }
    }

    fn lang(&self, preferred: Option<Lang>) -> Lang {
        Lang::resolve(preferred, Some(self.tenant.default_locale))
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        email: &str,
        name: &str,
        lang: Option<Lang>,
        kind: EmailKind,
        extra: Map<String, Value>,
        link: Link,
    ) {
        let mut vars = self.base.clone();
        vars.insert("tenant_name".into(), json!(self.tenant.name));
        vars.insert("recipient_name".into(), json!(name));
        vars.extend(extra);
        self.out.push(Recipient {
            email: email.into(),
            lang: self.lang(lang),
            kind,
            vars,
            link,
            test: self.test,
        });
    }
}

/// Who a run event tells. `partner` is the partner the event's step is assigned to, if any.
pub fn run_recipients(
    event: &RunEvent,
    actor: &Actor,
    run: &Run,
    partner: Option<&Partner>,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Recipient> {
    let base = vars(&[
        ("process_name", json!(run.process_name)),
        ("run_title", json!(run.context.title.clone().unwrap_or_default())),
    ]);
    let mut b = Builder::new(tenant, base, run.test);
    let staff_link = Link::To(config.staff_run_link(&tenant.id, &run.id));
    let creator = &run.created_by;
    let creator_name = creator.name.clone().unwrap_or_else(|| creator.sub.clone());
    let tell_creator = |b: &mut Builder, kind: EmailKind, extra: Map<String, Value>| {
        if let Some(email) = &creator.email {
            b.add(email, &creator_name, creator.locale, kind, extra, staff_link.clone());
        }
    };
    match event {
        RunEvent::RunStarted { .. } | RunEvent::StepSubmitted { .. } => {}
        RunEvent::StepActivated {
            step_key,
            step_name,
            assignee,
            contact,
            info_text,
            due_at,
        } => {
            // A late delivery for a step that is no longer active says nothing.
            if run.step(step_key).map(|s| s.status) != Some(StepStatus::Active) {
                return b.out;
            }
            let extra = vars(&[("step_name", json!(step_name)), ("due_date", json!(date(*due_at)))]);
            let info = |lang: Lang| json!(info_text.as_ref().and_then(|t| pick(t, lang)).unwrap_or_default());
            match assignee {
                Assignee::Staff { user_id, email } => b.add(
                    email,
                    user_id,
                    None,
                    EmailKind::StepActivatedStaff,
                    extra,
                    staff_link.clone(),
                ),
                Assignee::Partner { partner_id } => {
                    let Some(p) = partner.filter(|p| p.status == PartnerStatus::Active && &p.id == partner_id) else {
                        return b.out;
                    };
                    for user in &p.users {
                        let Ok(who) = partner_participant(&tenant.id, p, &user.id) else {
                            continue;
                        };
                        let mut extra = extra.clone();
                        extra.insert("info_text".into(), info(b.lang(who.locale)));
                        let (email, name, locale) = (user.email.clone(), user.name.clone(), who.locale);
                        b.add(
                            &email,
                            &name,
                            locale,
                            EmailKind::StepActivatedParticipant,
                            extra,
                            Link::Portal(who),
                        );
                    }
                }
                Assignee::Customer | Assignee::Installer => {
                    let Some(contact) = contact else { return b.out };
                    let mut extra = extra;
                    extra.insert("info_text".into(), info(b.lang(contact.locale)));
                    let who = PortalParticipant {
                        tenant_id: tenant.id.clone(),
                        participant_id: participant_id(&contact.email),
                        kind: assignee.kind().into(),
                        name: contact.name.clone(),
                        locale: contact.locale,
                        partner_id: None,
                        user_id: None,
                    };
                    b.add(
                        &contact.email,
                        &contact.name,
                        contact.locale,
                        EmailKind::StepActivatedParticipant,
                        extra,
                        Link::Portal(who),
                    );
                }
            }
        }
        RunEvent::StepCompleted { step_name, owner, .. } => {
            let extra = vars(&[
                ("step_name", json!(step_name)),
                ("completed_by", json!(actor.display_name())),
            ]);
            if let Some(owner) = owner {
                b.add(
                    &owner.email,
                    &owner.user_id,
                    None,
                    EmailKind::StepCompleted,
                    extra.clone(),
                    staff_link.clone(),
                );
            }
            let owner_is_creator = |email: &String| owner.as_ref().is_some_and(|o| o.email.eq_ignore_ascii_case(email));
            if !creator.email.as_ref().is_some_and(owner_is_creator) {
                tell_creator(&mut b, EmailKind::StepCompleted, extra);
            }
        }
        RunEvent::StepDueDateSet {
            step_name, new, owner, ..
        } => {
            let Some(owner) = owner else { return b.out };
            let partner_name = partner
                .map(|p| p.organization_name.clone().unwrap_or_else(|| p.name.clone()))
                .unwrap_or_default();
            let extra = vars(&[
                ("step_name", json!(step_name)),
                ("due_date", json!(date(Some(*new)))),
                ("partner_name", json!(partner_name)),
            ]);
            b.add(
                &owner.email,
                &owner.user_id,
                None,
                EmailKind::PartnerCommissioning,
                extra,
                staff_link.clone(),
            );
        }
        RunEvent::RunCompleted {} => tell_creator(&mut b, EmailKind::RunCompleted, Map::new()),
        RunEvent::RunCancelled { reason } => {
            tell_creator(&mut b, EmailKind::RunCancelled, vars(&[("reason", json!(reason))]))
        }
    }
    b.out
}

/// Who a partner event tells: the invitation, and each added user's portal link.
pub fn partner_recipients(
    event: &PartnerEvent,
    partner: &Partner,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Vec<Recipient> {
    let name = partner
        .organization_name
        .clone()
        .unwrap_or_else(|| partner.name.clone());
    let mut b = Builder::new(tenant, vars(&[("partner_name", json!(name))]), false);
    match event {
        PartnerEvent::PartnerInvited {
            invitation_id,
            name,
            email,
            locale,
            ..
        } => {
            if !partner.invitation_open(invitation_id) {
                return b.out; // replaced, accepted or revoked meanwhile: the link would be dead
            }
            let expires = date(Some(now + Duration::days(INVITATION_DAYS)));
            let link = Link::Invitation {
                partner_id: partner.id.clone(),
                invitation_id: invitation_id.clone(),
            };
            let extra = vars(&[("expires_date", json!(expires))]);
            b.add(email, name, *locale, EmailKind::PartnerInvitation, extra, link);
        }
        PartnerEvent::PartnerUserAdded {
            user_id, name, email, ..
        } => {
            // Only while the partner is active and the user still one of its users.
            let Ok(who) = partner_participant(&tenant.id, partner, user_id) else {
                return b.out;
            };
            if partner.status == PartnerStatus::Active {
                let locale = who.locale;
                b.add(
                    email,
                    name,
                    locale,
                    EmailKind::PartnerUserAdded,
                    Map::new(),
                    Link::Portal(who),
                );
            }
        }
        PartnerEvent::PartnerAccepted { .. }
        | PartnerEvent::PartnerPermissionsChanged { .. }
        | PartnerEvent::PartnerRevoked {} => {}
    }
    b.out
}

/// Who an order event tells: the user who placed the order.
pub fn order_recipients(event: &OrderEvent, order: &Order, tenant: &Tenant, config: &Config) -> Vec<Recipient> {
    let Some(email) = order.user.email.as_deref().filter(|e| valid_email(e)) else {
        return Vec::new();
    };
    let lang = Lang::resolve(order.user.locale, Some(tenant.default_locale));
    let text = |t: &I18n| json!(pick_in(t, lang, tenant.default_locale).unwrap_or_default());
    let mut extra = vars(&[("offer_title", text(&order.offer_title))]);
    let kind = match event {
        OrderEvent::OrderPlaced { .. } => {
            if let Some(first) = order.step(1) {
                extra.insert("step_name".into(), text(&first.name));
                extra.insert("step_explanation".into(), text(&first.explanation));
            }
            EmailKind::OrderPlaced
        }
        OrderEvent::OrderStepCompleted { r#final: true, .. } => return Vec::new(),
        OrderEvent::OrderStepCompleted { step, .. } => {
            let Some(step) = order.step(*step) else {
                return Vec::new();
            };
            extra.insert("step_number".into(), json!(step.number));
            extra.insert("step_name".into(), text(&step.name));
            if let Some(next) = step.number.checked_add(1).and_then(|n| order.step(n)) {
                extra.insert("next_step_name".into(), text(&next.name));
                extra.insert("next_step_explanation".into(), text(&next.explanation));
            }
            EmailKind::OrderStepCompleted
        }
        OrderEvent::OrderActivated {} => {
            if let Some(last) = order.steps.last() {
                extra.insert("step_explanation".into(), text(&last.explanation));
            }
            EmailKind::OrderActivated
        }
        OrderEvent::OrderCancelled { reason, .. } => {
            extra.insert("reason".into(), json!(reason));
            EmailKind::OrderCancelled
        }
        OrderEvent::OrderDeactivated { reason } => {
            extra.insert("reason".into(), json!(reason));
            EmailKind::OrderDeactivated
        }
    };
    let mut b = Builder::new(tenant, Map::new(), false);
    let name = order.user.name.clone().unwrap_or_default();
    b.add(
        email,
        &name,
        Some(lang),
        kind,
        extra,
        Link::To(config.customer_order_link(&order.id)),
    );
    b.out
}
