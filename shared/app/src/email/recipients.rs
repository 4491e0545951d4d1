//! Who an event tells, and what: pure functions of the event (what happened, as of then), the
//! aggregate as it is now (only to tell whether the email still makes sense: a step done
//! meanwhile, an invitation replaced) and the tenant. They match every event exhaustively.
//!
//! Languages: the recipient's, else the tenant's default, else German. Order emails go to
//! the end user who placed the order, linking to `{CUSTOMER_APP_URL}/orders/{id}`; step five
//! sends only `order_activated`; orders without a valid email address send nothing.

use chrono::{DateTime, Duration, Utc};
use domain::events::{AccessEvent, Actor, MailboxEvent, OrderEvent, PartnerEvent, RunEvent, TriggerEvent};
use domain::i18n::{pick_in, I18n, Lang, Text};
use domain::ids::participant_id;
use domain::order::Order;
use domain::partner::{Partner, PartnerStatus};
use domain::process::Assignee;
use domain::reminders::ReminderKind;
use domain::run::{Claim, Contact, Run, RunStatus, StepStatus};
use domain::team::Team;
use domain::trigger::Trigger;
use domain::valid_email;
use serde_json::{json, Map, Value};

use super::EmailKind;
use crate::config::Config;
use crate::repo::access::{Landing, PortalParticipant, INVITATION_DAYS};
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
    /// Where dates are read (the settings' time zone, default Europe/Berlin).
    pub tz: chrono_tz::Tz,
    /// The sender's display name (the settings' sender name, else the tenant's name).
    pub sender_name: String,
}

/// A date variable, written in the recipient's language and the tenant's zone once the
/// recipient is known ([`Builder::add`]): `{"at": …}` for a day, with `"time": true` for a
/// day and time (an appointment). No date: an empty string.
fn date(d: Option<DateTime<Utc>>) -> Value {
    d.map_or(json!(""), |d| json!({ "at": d }))
}

fn date_time(d: DateTime<Utc>) -> Value {
    json!({"at": d, "time": true})
}

/// A date variable as the recipient reads it.
fn written(v: &Value, lang: Lang, tz: chrono_tz::Tz) -> Option<String> {
    let at = v.get("at")?.as_str()?.parse::<DateTime<Utc>>().ok()?;
    Some(if v.get("time").and_then(Value::as_bool) == Some(true) {
        domain::dates::short_date_time(at, tz, lang)
    } else {
        domain::dates::long_date(at, tz, lang)
    })
}

/// A text variable (process or step name), written in the recipient's language once the
/// recipient is known ([`Builder::add`]).
fn per_lang(t: &Text) -> Value {
    json!({ "text": t })
}

/// A text variable as the recipient reads it.
fn picked(v: &Value, lang: Lang, tenant_default: Lang) -> Option<String> {
    let text: Text = serde_json::from_value(v.get("text")?.clone()).ok()?;
    Some(text.pick(lang, tenant_default).to_string())
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

    fn add(
        &mut self,
        email: &str,
        name: &str,
        lang: Option<Lang>,
        kind: EmailKind,
        extra: Map<String, Value>,
        link: Link,
    ) {
        // An address no email can go to (a token claim or an old record holding something
        // else) is left out rather than reach the `To:` header.
        if !valid_email(email) {
            tracing::warn!(kind = kind.name(), "recipient without a valid address left out");
            return;
        }
        let lang = self.lang(lang);
        let mut vars = self.base.clone();
        vars.insert("tenant_name".into(), json!(self.tenant.name));
        vars.insert("recipient_name".into(), json!(name));
        vars.extend(extra);
        for v in vars.values_mut() {
            if let Some(text) = written(v, lang, self.tenant.tz).or_else(|| picked(v, lang, self.tenant.default_locale))
            {
                *v = json!(text);
            }
        }
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

/// A customer's or installer's step email, with their portal link.
fn tell_participant(
    b: &mut Builder,
    assignee: &Assignee,
    contact: &Contact,
    kind: EmailKind,
    extra: Map<String, Value>,
    landing: Landing,
) {
    let who = PortalParticipant {
        landing: Some(landing),
        tenant_id: b.tenant.id.clone(),
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
        kind,
        extra,
        Link::Portal(who),
    );
}

/// Whom a step email goes to: its assignee (as the event or the run knows them), the partner
/// the step is assigned to, where a participant's link leads, and the step's info texts.
struct Assignment<'a> {
    assignee: &'a Assignee,
    contact: Option<&'a Contact>,
    partner: Option<&'a Partner>,
    /// A team's step: the team, and who claimed the step (then only they are told).
    team: Option<&'a Team>,
    claimed: Option<&'a Claim>,
    landing: Landing,
    info: Option<&'a I18n>,
}

/// Tells a step's assignee: staff with the run's link (`kinds[1]`); a customer, an installer
/// or each user of an active partner with their portal link to the step (`kinds[0]`), with the
/// info text in their language when there is one.
fn tell_assignee(b: &mut Builder, to: Assignment, kinds: [EmailKind; 2], extra: Map<String, Value>, staff_link: &Link) {
    let tenant_default = b.tenant.default_locale;
    // Only kinds that show the step's info text get it.
    let with_info = kinds[0].vars().contains(&"info_text");
    let info = |lang: Lang| {
        json!(to
            .info
            .and_then(|t| pick_in(t, lang, tenant_default))
            .unwrap_or_default())
    };
    match to.assignee {
        Assignee::Staff { email, name, .. } => b.add(
            email,
            name.as_deref().unwrap_or_default(),
            None,
            kinds[1],
            extra,
            staff_link.clone(),
        ),
        Assignee::Partner { partner_id } => {
            let Some(p) = to
                .partner
                .filter(|p| p.status == PartnerStatus::Active && &p.id == partner_id)
            else {
                return;
            };
            for user in &p.users {
                let Ok(mut who) = partner_participant(&b.tenant.id, p, &user.id) else {
                    continue;
                };
                who.landing = Some(to.landing.clone());
                let mut extra = extra.clone();
                if with_info {
                    extra.insert("info_text".into(), info(b.lang(who.locale)));
                }
                let locale = who.locale;
                b.add(&user.email, &user.name, locale, kinds[0], extra, Link::Portal(who));
            }
        }
        Assignee::Customer | Assignee::Installer => {
            let Some(contact) = to.contact else { return };
            let mut extra = extra;
            if with_info {
                extra.insert("info_text".into(), info(b.lang(contact.locale)));
            }
            tell_participant(b, to.assignee, contact, kinds[0], extra, to.landing);
        }
        Assignee::Team { team_id } => {
            let Some(team) = to.team.filter(|t| &t.id == team_id) else {
                return;
            };
            for m in &team.members {
                if to.claimed.is_some_and(|c| c.user_id != m.user_id) {
                    continue;
                }
                let name = m.name.as_deref().unwrap_or_default();
                b.add(&m.email, name, m.locale, kinds[1], extra.clone(), staff_link.clone());
            }
        }
    }
}

/// The partner and the team an event's step is assigned to, as the notifier found them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parties<'a> {
    pub partner: Option<&'a Partner>,
    pub team: Option<&'a Team>,
}

/// Who a run event tells. `parties`: the partner or team the event's step is assigned to.
pub fn run_recipients(
    event: &RunEvent,
    actor: &Actor,
    run: &Run,
    parties: Parties,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Recipient> {
    let Parties { partner, team } = parties;
    let claimed = |key: &str| run.step(key).and_then(|s| s.claimed.as_ref());
    let base = vars(&[
        ("process_name", per_lang(&run.process_name)),
        ("run_title", json!(run.context.title.clone().unwrap_or_default())),
    ]);
    let mut b = Builder::new(tenant, base, run.test);
    let staff_link = Link::To(config.staff_run_link(&tenant.id, &run.id));
    // A participant's link leads to the step it announces.
    let landing = |step_key: &str| Landing {
        run_id: run.id.clone(),
        step_key: step_key.to_string(),
    };
    let creator = &run.created_by;
    // Staff are greeted by name when their token or the definition names them, never by id.
    let creator_name = creator.name.clone().unwrap_or_default();
    let tell_creator = |b: &mut Builder, kind: EmailKind, extra: Map<String, Value>| {
        if let Some(email) = &creator.email {
            b.add(email, &creator_name, creator.locale, kind, extra, staff_link.clone());
        }
    };
    match event {
        // Documents come up in the email of the step they came with.
        RunEvent::RunStarted { .. }
        | RunEvent::StepSubmitted { .. }
        | RunEvent::DocumentAdded { .. }
        | RunEvent::DocumentRemoved { .. }
        | RunEvent::DocumentScanned { infected: false, .. }
        | RunEvent::StepDueDateMoved { .. } => {}
        // A threat found: the run's creator and the step's owner hear of it.
        RunEvent::DocumentScanned {
            name,
            step_key,
            infected: true,
            ..
        } => {
            let step = step_key.as_deref().and_then(|k| run.step(k));
            let extra = vars(&[
                ("document_name", json!(name)),
                ("step_name", step.map_or(json!(""), |s| per_lang(&s.name))),
            ]);
            if let Some(owner) = step.and_then(|s| s.owner.as_ref()) {
                let is_creator = creator
                    .email
                    .as_ref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&owner.email));
                if !is_creator {
                    b.add(
                        &owner.email,
                        owner.name.as_deref().unwrap_or_default(),
                        None,
                        EmailKind::DocumentInfected,
                        extra.clone(),
                        staff_link.clone(),
                    );
                }
            }
            tell_creator(&mut b, EmailKind::DocumentInfected, extra);
        }
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
            let extra = vars(&[("step_name", per_lang(step_name)), ("due_date", date(*due_at))]);
            let to = Assignment {
                assignee,
                contact: contact.as_ref(),
                partner,
                team,
                claimed: claimed(step_key),
                landing: landing(step_key),
                info: info_text.as_ref(),
            };
            tell_assignee(
                &mut b,
                to,
                [EmailKind::StepActivatedParticipant, EmailKind::StepActivatedStaff],
                extra,
                &staff_link,
            );
        }
        RunEvent::StepOverdue { .. } | RunEvent::RemindersPaused { .. } | RunEvent::RemindersResumed {} => {}
        RunEvent::StepReminderSent {
            step_key,
            step_name,
            assignee,
            reminder,
            due_at,
            days_left,
            manual,
            ..
        } => {
            if run.status != RunStatus::Running || run.step(step_key).map(|s| s.status) != Some(StepStatus::Active) {
                return b.out;
            }
            // A partner with a daily digest finds the step there (staff's "remind now" still goes out).
            if !manual && matches!(assignee, Assignee::Partner { .. }) && partner.is_some_and(|p| p.digest.is_some()) {
                return b.out;
            }
            let (kind, days) = match reminder {
                ReminderKind::BeforeDue => (EmailKind::StepReminder, ("days_left", *days_left)),
                ReminderKind::Overdue => (EmailKind::StepOverdue, ("days_overdue", -*days_left)),
            };
            let extra = vars(&[
                ("step_name", per_lang(step_name)),
                ("due_date", date(*due_at)),
                (days.0, json!(days.1.max(0).to_string())),
            ]);
            let to = Assignment {
                assignee,
                contact: run.contact_for(assignee),
                partner,
                team,
                claimed: claimed(step_key),
                landing: landing(step_key),
                info: None,
            };
            tell_assignee(&mut b, to, [kind, kind], extra, &staff_link);
        }
        RunEvent::StepEscalated {
            step_key,
            step_name,
            owner,
            assignee,
            due_at,
            days_overdue,
        } => {
            if run.status != RunStatus::Running || run.step(step_key).map(|s| s.status) != Some(StepStatus::Active) {
                return b.out;
            }
            let assignee_name = match assignee {
                Assignee::Staff { name, user_id, .. } => name.clone().unwrap_or_else(|| user_id.clone()),
                Assignee::Partner { .. } => partner
                    .map(|p| p.organization_name.clone().unwrap_or_else(|| p.name.clone()))
                    .unwrap_or_default(),
                Assignee::Customer | Assignee::Installer => {
                    run.contact_for(assignee).map(|c| c.name.clone()).unwrap_or_default()
                }
                Assignee::Team { .. } => match claimed(step_key) {
                    Some(c) => c.name.clone().unwrap_or_else(|| c.user_id.clone()),
                    None => team.map(|t| t.name.clone()).unwrap_or_default(),
                },
            };
            let extra = vars(&[
                ("step_name", per_lang(step_name)),
                ("due_date", date(Some(*due_at))),
                ("days_overdue", json!(days_overdue.to_string())),
                ("assignee_name", json!(assignee_name)),
            ]);
            match owner {
                Some(owner) => {
                    let mut extra = extra;
                    extra.insert("why".into(), json!("owner"));
                    let name = owner.name.as_deref().unwrap_or_default();
                    b.add(
                        &owner.email,
                        name,
                        None,
                        EmailKind::StepEscalated,
                        extra,
                        staff_link.clone(),
                    );
                }
                None => {
                    let mut extra = extra;
                    extra.insert("why".into(), json!("creator"));
                    tell_creator(&mut b, EmailKind::StepEscalated, extra);
                }
            }
        }
        RunEvent::ParticipantUnreachable { .. } | RunEvent::StepClaimed { .. } | RunEvent::StepReleased { .. } => {}
        // Sent back: the assignee hears why, with a link to the step (still open then).
        RunEvent::StepChangesRequested {
            step_key,
            step_name,
            assignee,
            contact,
            reason,
            field_labels,
            due_at,
            ..
        } => {
            if run.status != RunStatus::Running || run.step(step_key).map(|s| s.status) != Some(StepStatus::Active) {
                return b.out;
            }
            let extra = vars(&[
                ("step_name", per_lang(step_name)),
                ("reason", json!(reason)),
                ("fields", per_lang(field_labels)),
                ("due_date", date(*due_at)),
            ]);
            let to = Assignment {
                assignee,
                contact: contact.as_ref(),
                partner,
                team,
                claimed: claimed(step_key),
                landing: landing(step_key),
                info: None,
            };
            let kind = EmailKind::ChangesRequested;
            tell_assignee(&mut b, to, [kind, kind], extra, &staff_link);
        }
        // Whoever gains an active step hears of it as if it had just begun (a pending
        // step's new assignee hears of it when it begins).
        RunEvent::StepReassigned {
            step_key,
            step_name,
            assignee,
            contact,
            active,
            info_text,
            due_at,
            ..
        } => {
            let still = run
                .step(step_key)
                .is_some_and(|s| s.status == StepStatus::Active && &s.assignee == assignee);
            if !active || !still || run.status != RunStatus::Running {
                return b.out;
            }
            let extra = vars(&[("step_name", per_lang(step_name)), ("due_date", date(*due_at))]);
            let to = Assignment {
                assignee,
                contact: contact.as_ref(),
                partner,
                team,
                claimed: None,
                landing: landing(step_key),
                info: info_text.as_ref(),
            };
            tell_assignee(
                &mut b,
                to,
                [EmailKind::StepActivatedParticipant, EmailKind::StepActivatedStaff],
                extra,
                &staff_link,
            );
        }
        RunEvent::StepOwnerChanged { step_name, owner, .. } => {
            if run.status != RunStatus::Running {
                return b.out;
            }
            let extra = vars(&[("step_name", per_lang(step_name))]);
            b.add(
                &owner.email,
                owner.name.as_deref().unwrap_or_default(),
                None,
                EmailKind::StepOwnerAssigned,
                extra,
                staff_link.clone(),
            );
        }
        // The corrected address hears of the role's active step, as if it had just begun.
        RunEvent::ParticipantChanged { role, contact, .. } => {
            let Some(step) = run
                .steps
                .iter()
                .find(|s| s.status == StepStatus::Active && s.assignee.kind() == role)
            else {
                return b.out;
            };
            let mut extra = vars(&[("step_name", per_lang(&step.name)), ("due_date", date(step.due_at))]);
            let lang = b.lang(contact.locale);
            let info = step
                .info_texts
                .for_kind(role)
                .and_then(|t| pick_in(t, lang, tenant.default_locale));
            extra.insert("info_text".into(), json!(info.unwrap_or_default()));
            let assignee = step.assignee.clone();
            tell_participant(
                &mut b,
                &assignee,
                contact,
                EmailKind::StepActivatedParticipant,
                extra,
                landing(&step.key),
            );
        }
        RunEvent::StepCompleted {
            step_name,
            owner,
            documents,
            ..
        } => {
            let extra = vars(&[
                ("step_name", per_lang(step_name)),
                ("completed_by", json!(actor.display_name())),
                ("documents", json!(documents.join(", "))),
            ]);
            // Each hears why it gets the email: responsible for the step, or started the process.
            if let Some(owner) = owner {
                let mut extra = extra.clone();
                extra.insert("why".into(), json!("owner"));
                b.add(
                    &owner.email,
                    owner.name.as_deref().unwrap_or_default(),
                    None,
                    EmailKind::StepCompleted,
                    extra,
                    staff_link.clone(),
                );
            }
            let owner_is_creator = |email: &String| owner.as_ref().is_some_and(|o| o.email.eq_ignore_ascii_case(email));
            if !creator.email.as_ref().is_some_and(owner_is_creator) {
                let mut extra = extra;
                extra.insert("why".into(), json!("creator"));
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
                ("step_name", per_lang(step_name)),
                ("due_date", date_time(*new)),
                ("partner_name", json!(partner_name)),
            ]);
            b.add(
                &owner.email,
                owner.name.as_deref().unwrap_or_default(),
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
            let extra = vars(&[("expires_date", expires)]);
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
        // Each user reads the partner's open tasks of that morning in their language.
        PartnerEvent::PartnerDigestSent { tasks } => {
            if partner.status != PartnerStatus::Active || partner.digest.is_none() {
                return b.out;
            }
            let overdue = tasks.iter().filter(|t| t.due_at.is_some_and(|d| d < now)).count();
            for user in &partner.users {
                let Ok(who) = partner_participant(&tenant.id, partner, &user.id) else {
                    continue;
                };
                let lang = b.lang(who.locale);
                let list = digest_lines(tasks, lang, tenant, now);
                let extra = vars(&[
                    ("task_count", json!(tasks.len().to_string())),
                    ("overdue_count", json!(overdue.to_string())),
                    ("task_list", json!(list)),
                ]);
                let locale = who.locale;
                b.add(
                    &user.email,
                    &user.name,
                    locale,
                    EmailKind::PartnerDigest,
                    extra,
                    Link::Portal(who),
                );
            }
        }
        PartnerEvent::PartnerAccepted { .. }
        | PartnerEvent::PartnerPermissionsChanged { .. }
        | PartnerEvent::PartnerDigestChanged { .. }
        | PartnerEvent::PartnerRevoked {} => {}
    }
    b.out
}

/// A digest's tasks, one line each: step, process (run title), due date and how far off.
fn digest_lines(tasks: &[domain::partner::DigestTask], lang: Lang, tenant: &Tenant, now: DateTime<Utc>) -> String {
    let lines: Vec<String> = tasks
        .iter()
        .map(|t| {
            let mut line = format!(
                "• {} – {}",
                t.step_name.pick(lang, tenant.default_locale),
                t.process_name.pick(lang, tenant.default_locale)
            );
            if let Some(title) = t.run_title.as_deref().filter(|s| !s.is_empty()) {
                line.push_str(&format!(" ({title})"));
            }
            if let Some(due) = t.due_at {
                line.push_str(&format!(
                    ": {} · {}",
                    domain::dates::long_date(due, tenant.tz, lang),
                    domain::dates::relative_due(due, now, tenant.tz, lang)
                ));
            }
            line
        })
        .collect();
    lines.join("\n")
}

/// Who a mailbox event tells: its reader (a partner: each of its users), with the comments
/// written the way the reader writes dates and names. Participants no longer in the run
/// (replaced meanwhile) are told nothing.
pub fn mailbox_recipients(
    event: &MailboxEvent,
    run: &Run,
    partner: Option<&Partner>,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Recipient> {
    let MailboxEvent::CommentsNoted { reader, comments } = event;
    let base = vars(&[
        ("process_name", per_lang(&run.process_name)),
        ("run_title", json!(run.context.title.clone().unwrap_or_default())),
    ]);
    let mut b = Builder::new(tenant, base, run.test);
    let list = |lang: Lang| -> Map<String, Value> {
        let blocks: Vec<String> = comments
            .iter()
            .map(|c| {
                let when = domain::dates::short_date_time(c.at, tenant.tz, lang);
                let step = c
                    .step_name
                    .as_ref()
                    .map(|n| format!(" · {}", n.pick(lang, tenant.default_locale)))
                    .unwrap_or_default();
                format!("{} ({when}{step}):\n{}", c.author_name, c.body)
            })
            .collect();
        vars(&[
            ("comment_count", json!(comments.len().to_string())),
            ("comment_list", json!(blocks.join("\n\n"))),
        ])
    };
    let landing = Landing {
        run_id: run.id.clone(),
        step_key: String::new(),
    };
    let pid = reader.participant_id.clone().unwrap_or_default();
    match reader.kind.as_str() {
        "staff" => {
            let link = Link::To(config.staff_run_link(&tenant.id, &run.id));
            let extra = list(b.lang(reader.locale));
            b.add(
                &reader.email,
                &reader.name,
                reader.locale,
                EmailKind::NewComments,
                extra,
                link,
            );
        }
        "partner" => {
            let Some(p) =
                partner.filter(|p| p.status == PartnerStatus::Active && Some(&p.id) == reader.partner_id.as_ref())
            else {
                return b.out;
            };
            if !run.involves(&pid) {
                return b.out;
            }
            for user in &p.users {
                let Ok(mut who) = partner_participant(&tenant.id, p, &user.id) else {
                    continue;
                };
                who.landing = Some(landing.clone());
                let extra = list(b.lang(who.locale));
                let locale = who.locale;
                b.add(
                    &user.email,
                    &user.name,
                    locale,
                    EmailKind::NewComments,
                    extra,
                    Link::Portal(who),
                );
            }
        }
        kind => {
            if !run.involves(&pid) {
                return b.out;
            }
            let who = PortalParticipant {
                landing: Some(landing),
                tenant_id: tenant.id.clone(),
                participant_id: pid,
                kind: kind.to_string(),
                name: reader.name.clone(),
                locale: reader.locale,
                partner_id: None,
                user_id: None,
            };
            let extra = list(b.lang(reader.locale));
            b.add(
                &reader.email,
                &reader.name,
                reader.locale,
                EmailKind::NewComments,
                extra,
                Link::Portal(who),
            );
        }
    }
    b.out
}

/// Who a trigger event tells: its failures go to the admin who made it.
pub fn trigger_recipients(event: &TriggerEvent, trigger: &Trigger, tenant: &Tenant, config: &Config) -> Vec<Recipient> {
    let mut b = Builder::new(tenant, Map::new(), false);
    if let TriggerEvent::TriggerFailed { reason, .. } = event {
        if let Some(email) = &trigger.created_by.email {
            let extra = vars(&[("trigger_name", json!(trigger.name)), ("reason", json!(reason))]);
            let link = Link::To(config.staff_trigger_link(&tenant.id, &trigger.id));
            let name = trigger.created_by.name.clone().unwrap_or_default();
            b.add(
                email,
                &name,
                trigger.created_by.locale,
                EmailKind::TriggerFailed,
                extra,
                link,
            );
        }
    }
    b.out
}

/// Who a subscription event tells: its disabling goes to the admin who made it.
pub fn subscription_recipients(
    event: &domain::events::SubscriptionEvent,
    sub: &domain::webhook::Subscription,
    tenant: &Tenant,
    config: &Config,
) -> Vec<Recipient> {
    let mut b = Builder::new(tenant, Map::new(), false);
    if let domain::events::SubscriptionEvent::SubscriptionDisabled { reason } = event {
        if let Some(email) = &sub.created_by.email {
            let extra = vars(&[("url", json!(sub.url)), ("reason", json!(reason))]);
            let link = Link::To(config.staff_webhook_link(&tenant.id, &sub.id));
            let name = sub.created_by.name.clone().unwrap_or_default();
            b.add(
                email,
                &name,
                sub.created_by.locale,
                EmailKind::WebhookDisabled,
                extra,
                link,
            );
        }
    }
    b.out
}

/// Who an access event tells: the participant who asked for a new link, with a link that
/// leads to their first open task.
pub fn access_recipients(event: &AccessEvent, tenant: &Tenant) -> Vec<Recipient> {
    let mut b = Builder::new(tenant, Map::new(), false);
    match event {
        AccessEvent::AccessLinkRequested {
            email,
            name,
            kind,
            participant_id,
            locale,
            partner_id,
            user_id,
            run_id,
            step_key,
            step_name,
            process_name,
            open_tasks,
        } => {
            let who = PortalParticipant {
                tenant_id: tenant.id.clone(),
                participant_id: participant_id.clone(),
                kind: kind.clone(),
                name: name.clone(),
                locale: *locale,
                partner_id: partner_id.clone(),
                user_id: user_id.clone(),
                landing: Some(Landing {
                    run_id: run_id.clone(),
                    step_key: step_key.clone(),
                }),
            };
            let extra = vars(&[
                ("step_name", per_lang(step_name)),
                ("process_name", per_lang(process_name)),
                ("task_count", json!(open_tasks.to_string())),
            ]);
            b.add(email, name, *locale, EmailKind::AccessLink, extra, Link::Portal(who));
        }
    }
    b.out
}

/// Who an order event tells: the user who placed the order.
pub fn order_recipients(event: &OrderEvent, order: &Order, tenant: &Tenant, config: &Config) -> Vec<Recipient> {
    let Some(email) = order.user.email.as_deref().map(str::trim).filter(|e| valid_email(e)) else {
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
        // Internal: the end user never hears of a note.
        OrderEvent::OrderNoteAdded { .. } => return Vec::new(),
        OrderEvent::OrderAnswersCorrected { labels, .. } => {
            let names: Vec<&str> = labels.iter().map(|l| l.pick(lang, tenant.default_locale)).collect();
            extra.insert("fields".into(), json!(names.join(", ")));
            EmailKind::OrderAnswersCorrected
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use chrono::TimeZone;
    use domain::events::type_of;
    use domain::journey::{Field, FieldType};
    use domain::offer::{Offer, OfferCategory, OfferContent, OfferInput};
    use domain::order::{OrderSteps, OrderUser};
    use domain::partner::{participant_of, PartnerInput, Permission, UserInput};
    use domain::process::{InfoTexts, Owner, Process, ProcessInput, StepDef};
    use domain::run::{Contact, Creator, JourneySnapshot, Participants, RunContext, RunInput};

    use super::*;
    use crate::email::{default_template, render, Rendered};

    const STAFF_LINK: &str = "https://portal.example/local/staff/acme/runs/r1";
    const ORDER_LINK: &str = "https://portal.example/v1/app/orders/or1";

    /// Its default language is English, so that "the tenant's default" differs from German.
    fn tenant() -> Tenant {
        Tenant {
            id: "acme".into(),
            name: "Acme Energie".into(),
            default_locale: Lang::En,
            tz: domain::dates::DEFAULT_TIME_ZONE,
            sender_name: "Acme".into(),
        }
    }

    fn config() -> Config {
        Config::local("https://portal.example")
    }

    /// 2030-03-`d`, 09:00 UTC: fixed times make the dates checkable.
    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 3, d, 9, 0, 0).unwrap()
    }

    fn texts(pairs: &[(Lang, &str)]) -> I18n {
        pairs.iter().map(|(l, t)| (*l, t.to_string())).collect()
    }

    /// Renders a recipient's email with the built-in template, as the notifier does (a sample
    /// link stands in for the secret one). The recipient must set exactly its kind's variables,
    /// less the link: a missing one would render empty, an extra one would never show.
    fn rendered(r: &Recipient) -> Rendered {
        let link = match &r.link {
            Link::To(url) => url.clone(),
            Link::Portal(_) => config().portal_access_link("TOKEN"),
            Link::Invitation { .. } => config().partner_invitation_link("TOKEN"),
        };
        let mut names: Vec<&str> = r.vars.keys().map(String::as_str).collect();
        names.push("link");
        names.sort_unstable();
        let mut declared = r.kind.vars().to_vec();
        declared.sort_unstable();
        assert_eq!(names, declared, "{}: the variables are the kind's", r.kind.name());
        let mut vars = r.vars.clone();
        vars.insert("link".into(), json!(link));
        let template = default_template(r.kind, r.lang).expect("a built-in template");
        render(&template, &Value::Object(vars)).unwrap_or_else(|e| panic!("{}: {e}", r.kind.name()))
    }

    // Runs.

    fn step(key: &str, name: &str, assignee: Assignee) -> StepDef {
        StepDef {
            key: key.into(),
            name: name.into(),
            assignee,
            info_texts: InfoTexts::default(),
            journey_id: None,
            due_in_days: None,
            due: None,
            owner: None,
            required_documents: Vec::new(),
            reminders: None,
        }
    }

    fn owner(user_id: &str, email: &str) -> Option<Owner> {
        Some(Owner {
            user_id: user_id.into(),
            email: email.into(),
            name: Some(format!("{user_id} Muster")),
        })
    }

    /// `check` (staff, owner Olga, due in 3 days), `install` (installer, a journey, owner the
    /// run's creator, due in 5 days), `commission` (partner pa1, owner Olga), `confirm`
    /// (customer, no owner, no due date).
    fn process() -> Process {
        let staff = Assignee::Staff {
            user_id: "bob".into(),
            email: "bob@acme.example".into(),
            name: Some("Bob Brunner".into()),
        };
        let partner = Assignee::Partner {
            partner_id: "pa1".into(),
        };
        let steps = vec![
            StepDef {
                due_in_days: Some(3),
                owner: owner("olga", "olga@acme.example"),
                ..step("check", "Check documents", staff)
            },
            StepDef {
                info_texts: InfoTexts {
                    installer: Some(texts(&[
                        (Lang::De, "Zähler bereitstellen"),
                        (Lang::Fr, "Préparer le compteur"),
                    ])),
                    ..InfoTexts::default()
                },
                journey_id: Some("j1".into()),
                due_in_days: Some(5),
                owner: owner("alice", "alice@acme.example"),
                ..step("install", "Install meter", Assignee::Installer)
            },
            StepDef {
                info_texts: InfoTexts {
                    partner: Some(texts(&[
                        (Lang::De, "Termin vereinbaren"),
                        (Lang::It, "Fissare un appuntamento"),
                    ])),
                    ..InfoTexts::default()
                },
                owner: owner("olga", "olga@acme.example"),
                ..step("commission", "Commissioning", partner)
            },
            StepDef {
                info_texts: InfoTexts {
                    customer: Some(texts(&[(Lang::De, "Bitte bestätigen"), (Lang::En, "Please confirm")])),
                    ..InfoTexts::default()
                },
                ..step("confirm", "Confirm", Assignee::Customer)
            },
        ];
        let input = ProcessInput {
            name: "Meter change".into(),
            description: None,
            steps,
            reminders: None,
        };
        Process::create("p1".into(), input, day(1)).unwrap()
    }

    fn journeys() -> Vec<JourneySnapshot> {
        let meter = Field {
            key: "meter".into(),
            label: texts(&[(Lang::De, "Zähler")]).into(),
            kind: FieldType::Text,
            required: true,
            options: None,
        };
        vec![JourneySnapshot {
            id: "j1".into(),
            name: "Meter".into(),
            fields: vec![meter],
        }]
    }

    fn answers() -> Map<String, Value> {
        json!({"meter": "M-1"}).as_object().cloned().unwrap()
    }

    fn contact(name: &str, email: &str, locale: Option<Lang>) -> Contact {
        Contact {
            name: name.into(),
            email: email.into(),
            locale,
        }
    }

    fn creator(email: Option<&str>) -> Creator {
        Creator {
            sub: "alice".into(),
            email: email.map(str::to_string),
            name: Some("Alice".into()),
            locale: Some(Lang::De),
        }
    }

    /// Run r1 of [`process`], started on day 1: Ivo the installer reads French, Carla the
    /// customer has no language.
    fn start(test: bool, created_by: Creator) -> (Run, Vec<RunEvent>) {
        let input = RunInput {
            context: RunContext {
                title: Some("Musterstrasse 1".into()),
                ..RunContext::default()
            },
            participants: Participants {
                customer: Some(contact("Carla", "carla@home.example", None)),
                installer: Some(contact("Ivo", "ivo@install.example", Some(Lang::Fr))),
            },
            test,
        };
        Run::start(
            "r1".into(),
            &process(),
            &journeys(),
            input,
            created_by,
            domain::due::RunCalendar::default(),
            None,
            day(1),
        )
        .unwrap()
    }

    /// Started by Alice, whose address differs from the install step owner's only in case.
    fn started() -> (Run, Vec<RunEvent>) {
        start(false, creator(Some("Alice@Acme.example")))
    }

    fn staff() -> Actor {
        Actor::staff("bob", Some("Bob Meier"))
    }

    fn installer() -> Actor {
        Actor::new("installer", &participant_id("ivo@install.example"), None)
    }

    fn customer() -> Actor {
        Actor::new("customer", &participant_id("carla@home.example"), Some("Carla"))
    }

    fn partner_user() -> Actor {
        Actor::new("partner", &participant_of("pa1"), Some("Ina"))
    }

    /// Completes `check` (staff) and `install` (the installer, journey filled in); returns the
    /// events of the last completion, which activate `commission`.
    fn to_commission(run: &mut Run) -> Vec<RunEvent> {
        run.complete("check", &staff(), day(2)).unwrap();
        run.submit("install", answers(), &installer(), day(3)).unwrap();
        run.complete("install", &installer(), day(3)).unwrap()
    }

    /// Then completes `commission` (the partner); returns its events, which activate `confirm`.
    fn to_confirm(run: &mut Run) -> Vec<RunEvent> {
        to_commission(run);
        run.complete("commission", &partner_user(), day(4)).unwrap()
    }

    fn event<'a>(events: &'a [RunEvent], kind: &str) -> &'a RunEvent {
        events
            .iter()
            .find(|e| type_of(*e) == kind)
            .unwrap_or_else(|| panic!("no {kind} in {events:?}"))
    }

    fn tell(event: &RunEvent, actor: &Actor, run: &Run, partner: Option<&Partner>) -> Vec<Recipient> {
        let parties = Parties { partner, team: None };
        run_recipients(event, actor, run, parties, &tenant(), &config())
    }

    // Partners.

    /// Invited on day 1 with the invitation `inv1`.
    fn invited(id: &str, locale: Option<Lang>) -> (Partner, Vec<PartnerEvent>) {
        let input = PartnerInput {
            name: "Solar AG".into(),
            email: "office@solar.example".into(),
            locale,
            permissions: None,
        };
        Partner::invite(id.into(), input, "inv1".into(), day(1)).unwrap()
    }

    fn user(name: &str, email: &str, locale: Option<Lang>) -> UserInput {
        UserInput {
            name: name.into(),
            email: email.into(),
            locale,
        }
    }

    /// Speaks Italian; accepted as Solar Montage AG by Ina (German u1), then Max (u2, no
    /// language of his own) added.
    fn active_partner(id: &str) -> Partner {
        let (mut p, _) = invited(id, Some(Lang::It));
        let ina = user("Ina", "ina@solar.example", Some(Lang::De));
        p.accept("inv1", "Solar Montage AG", ina, "u1".into(), day(1)).unwrap();
        p.add_user(user("Max", "max@solar.example", None), "u2".into(), day(1))
            .unwrap();
        p
    }

    /// The portal link of a user of partner pa1 (to the step it announces, if any).
    fn partner_link(name: &str, user_id: &str, locale: Lang, step: Option<&str>) -> Link {
        Link::Portal(PortalParticipant {
            landing: step.map(|k| Landing {
                run_id: "r1".into(),
                step_key: k.into(),
            }),
            tenant_id: "acme".into(),
            participant_id: participant_of("pa1"),
            kind: "partner".into(),
            name: name.into(),
            locale: Some(locale),
            partner_id: Some("pa1".into()),
            user_id: Some(user_id.into()),
        })
    }

    // Orders.

    /// Order or1 of Chiara for an offer titled in German and French only.
    fn order(locale: Option<Lang>, email: Option<&str>) -> (Order, Vec<OrderEvent>) {
        let content = |title: &str| OfferContent {
            title: title.into(),
            header: "h".into(),
            description: "d".into(),
            details: "x".into(),
            shop_url: None,
        };
        let input = OfferInput {
            category: OfferCategory::Energy,
            content: BTreeMap::from([(Lang::De, content("Solarstrom")), (Lang::Fr, content("Solaire"))]),
            teaser_image_url: None,
            detail_image_url: None,
            questionnaire: Vec::new(),
        };
        let mut offer = Offer::create("of1".into(), input, day(1)).unwrap().0;
        offer.activate(None, day(1)).unwrap();
        let user = OrderUser {
            sub: "u1".into(),
            email: email.map(str::to_string),
            name: Some("Chiara".into()),
            locale,
        };
        Order::place(
            "or1".into(),
            &offer,
            &OrderSteps::default_set(),
            user,
            Map::new(),
            day(1),
        )
        .unwrap()
    }

    fn tell_order(event: &OrderEvent, order: &Order) -> Vec<Recipient> {
        order_recipients(event, order, &tenant(), &config())
    }

    // Run emails.

    #[test]
    fn a_staff_step_goes_to_the_staff_member_with_the_run_link() {
        let (run, events) = started();
        assert_eq!(
            events.iter().map(type_of).collect::<Vec<_>>(),
            ["run_started", "step_activated"]
        );
        let r = tell(&events[1], &staff(), &run, None);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.email.as_str(), r.kind),
            ("bob@acme.example", EmailKind::StepActivatedStaff)
        );
        assert_eq!(r.lang, Lang::En, "staff have no language here: the tenant's default");
        assert_eq!(STAFF_LINK, config().staff_run_link("acme", "r1"));
        assert_eq!(r.link, Link::To(STAFF_LINK.into()));
        assert_eq!(r.vars["recipient_name"], "Bob Brunner", "by name, never by user id");
        assert_eq!(r.vars["tenant_name"], "Acme Energie");
        assert_eq!(r.vars["process_name"], "Meter change");
        assert_eq!(r.vars["run_title"], "Musterstrasse 1");
        assert_eq!(r.vars["step_name"], "Check documents");
        assert_eq!(
            r.vars["due_date"], "Monday 4 March 2030",
            "activated on day 1, due in 3 days"
        );
        assert!(!r.test);
        let mail = rendered(r);
        assert!(
            mail.subject.starts_with("New task: Check documents"),
            "{}",
            mail.subject
        );
        assert!(
            mail.text.contains("Please complete it by Monday 4 March 2030."),
            "{}",
            mail.text
        );
        assert!(mail.text.contains(STAFF_LINK), "{}", mail.text);
    }

    #[test]
    fn an_installer_step_goes_to_the_contact_of_the_event_in_their_language() {
        let (mut run, _) = started();
        let events = run.complete("check", &staff(), day(2)).unwrap();
        // The run's installer changes afterwards: the email goes to whom the step went.
        run.participants.installer = Some(contact("Other", "other@install.example", None));
        let r = tell(event(&events, "step_activated"), &staff(), &run, None);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.email.as_str(), r.lang, r.kind),
            ("ivo@install.example", Lang::Fr, EmailKind::StepActivatedParticipant)
        );
        let who = PortalParticipant {
            landing: Some(Landing {
                run_id: "r1".into(),
                step_key: "install".into(),
            }),
            tenant_id: "acme".into(),
            participant_id: participant_id("ivo@install.example"),
            kind: "installer".into(),
            name: "Ivo".into(),
            locale: Some(Lang::Fr),
            partner_id: None,
            user_id: None,
        };
        assert_eq!(r.link, Link::Portal(who));
        assert_eq!(r.vars["recipient_name"], "Ivo");
        assert_eq!(r.vars["step_name"], "Install meter");
        assert_eq!(r.vars["info_text"], "Préparer le compteur");
        assert_eq!(
            r.vars["due_date"], "jeudi 7 mars 2030",
            "activated on day 2, due in 5 days, in French"
        );
        let mail = rendered(r);
        assert!(
            mail.subject.starts_with("Action requise : Install meter"),
            "{}",
            mail.subject
        );
        assert!(mail.text.contains("Bonjour Ivo,"), "{}", mail.text);
        assert!(mail.text.contains("Préparer le compteur"), "{}", mail.text);
        assert!(
            mail.text.contains("au plus tard le jeudi 7 mars 2030."),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains(&config().portal_access_link("TOKEN")),
            "{}",
            mail.text
        );
    }

    #[test]
    fn a_customer_without_a_language_is_told_in_the_tenants() {
        let (mut run, _) = started();
        let events = to_confirm(&mut run);
        let r = tell(event(&events, "step_activated"), &partner_user(), &run, None);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.email.as_str(), r.lang, r.kind),
            ("carla@home.example", Lang::En, EmailKind::StepActivatedParticipant)
        );
        let who = PortalParticipant {
            landing: Some(Landing {
                run_id: "r1".into(),
                step_key: "confirm".into(),
            }),
            tenant_id: "acme".into(),
            participant_id: participant_id("carla@home.example"),
            kind: "customer".into(),
            name: "Carla".into(),
            locale: None,
            partner_id: None,
            user_id: None,
        };
        assert_eq!(r.link, Link::Portal(who));
        assert_eq!(r.vars["info_text"], "Please confirm");
        assert_eq!(r.vars["due_date"], "", "the step has no due date");
        let mail = rendered(r);
        assert!(mail.text.contains("Hello Carla,"), "{}", mail.text);
        assert!(mail.text.contains("Please confirm"), "{}", mail.text);
        assert!(!mail.text.contains("Please complete this step by"), "{}", mail.text);
    }

    #[test]
    fn a_partner_step_goes_to_every_user_of_the_active_partner() {
        let (mut run, _) = started();
        let events = to_commission(&mut run);
        let activated = event(&events, "step_activated");
        let partner = active_partner("pa1");
        let r = tell(activated, &installer(), &run, Some(&partner));
        let to: Vec<_> = r.iter().map(|r| (r.email.as_str(), r.lang, r.kind)).collect();
        assert_eq!(
            to,
            [
                ("ina@solar.example", Lang::De, EmailKind::StepActivatedParticipant),
                ("max@solar.example", Lang::It, EmailKind::StepActivatedParticipant),
            ],
            "Max has no language: the partner's"
        );
        assert_eq!(r[0].link, partner_link("Ina", "u1", Lang::De, Some("commission")));
        assert_eq!(r[1].link, partner_link("Max", "u2", Lang::It, Some("commission")));
        assert_eq!(r[0].vars["recipient_name"], "Ina");
        assert_eq!(r[1].vars["recipient_name"], "Max");
        assert_eq!(r[0].vars["info_text"], "Termin vereinbaren");
        assert_eq!(r[1].vars["info_text"], "Fissare un appuntamento");
        assert!(r.iter().all(|r| r.vars["step_name"] == "Commissioning"));
        let mail = rendered(&r[1]);
        assert!(mail.text.contains("Fissare un appuntamento"), "{}", mail.text);

        // Nobody when the partner is not loaded, another one, or not (or no longer) active.
        assert!(tell(activated, &installer(), &run, None).is_empty());
        assert!(tell(activated, &installer(), &run, Some(&active_partner("pa2"))).is_empty());
        assert!(tell(activated, &installer(), &run, Some(&invited("pa1", None).0)).is_empty());
        let mut revoked = partner.clone();
        revoked.revoke(day(3)).unwrap();
        assert!(tell(activated, &installer(), &run, Some(&revoked)).is_empty());
    }

    #[test]
    fn a_late_step_activated_for_a_step_no_longer_active_sends_nothing() {
        let (mut run, events) = started();
        let activated = event(&events, "step_activated");
        assert_eq!(
            tell(activated, &staff(), &run, None).len(),
            1,
            "while the step is active"
        );
        let mut cancelled = run.clone();
        run.complete("check", &staff(), day(2)).unwrap();
        assert!(tell(activated, &staff(), &run, None).is_empty(), "done meanwhile");
        cancelled.cancel("customer moved", day(2)).unwrap();
        assert!(
            tell(activated, &staff(), &cancelled, None).is_empty(),
            "cancelled meanwhile"
        );
    }

    #[test]
    fn a_completed_step_tells_its_owner_and_the_runs_creator() {
        let (mut run, _) = started();
        let events = run.complete("check", &staff(), day(2)).unwrap();
        let r = tell(event(&events, "step_completed"), &staff(), &run, None);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].email.as_str(), r[0].lang), ("olga@acme.example", Lang::En));
        assert_eq!(r[0].vars["recipient_name"], "olga Muster");
        assert_eq!(r[0].vars["why"], "owner");
        assert_eq!(r[1].vars["why"], "creator");
        assert_eq!((r[1].email.as_str(), r[1].lang), ("Alice@Acme.example", Lang::De));
        assert_eq!(r[1].vars["recipient_name"], "Alice");
        for r in &r {
            assert_eq!(r.kind, EmailKind::StepCompleted);
            assert_eq!(r.link, Link::To(STAFF_LINK.into()));
            assert_eq!(r.vars["step_name"], "Check documents");
            assert_eq!(r.vars["completed_by"], "Bob Meier", "the actor's name");
        }
        let mail = rendered(&r[1]);
        assert!(
            mail.text.contains(
                "Im Prozess «Meter change» (Musterstrasse 1) wurde der Schritt «Check documents» von Bob Meier"
            ),
            "{}",
            mail.text
        );
    }

    #[test]
    fn a_creator_who_owns_the_step_is_told_once_and_unowned_steps_tell_the_creator() {
        let (mut run, _) = started();
        // install's owner is alice@acme.example, the creator Alice@Acme.example.
        let events = to_commission(&mut run);
        let r = tell(event(&events, "step_completed"), &installer(), &run, None);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].email, "alice@acme.example");
        assert_eq!(r[0].vars["step_name"], "Install meter");
        assert_eq!(
            r[0].vars["completed_by"],
            json!(installer().id),
            "an actor without a name: their id"
        );

        run.complete("commission", &partner_user(), day(4)).unwrap();
        let events = run.complete("confirm", &customer(), day(5)).unwrap();
        let r = tell(event(&events, "step_completed"), &customer(), &run, None);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].kind),
            ("Alice@Acme.example", EmailKind::StepCompleted)
        );
        assert_eq!(r[0].vars["completed_by"], "Carla");
    }

    #[test]
    fn a_due_date_set_tells_the_owner_the_date_of_the_event() {
        let (mut run, _) = started();
        to_commission(&mut run);
        let partner = active_partner("pa1");
        let first = Utc.with_ymd_and_hms(2030, 4, 10, 8, 0, 0).unwrap();
        let second = Utc.with_ymd_and_hms(2030, 4, 17, 8, 0, 0).unwrap();
        let set_first = run.set_due_date("commission", first, &partner_user(), day(4)).unwrap();
        let set_second = run.set_due_date("commission", second, &partner_user(), day(4)).unwrap();
        assert_eq!(run.step("commission").unwrap().due_at, Some(second));

        let r = tell(&set_first[0], &partner_user(), &run, Some(&partner));
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.email.as_str(), r.lang, r.kind),
            ("olga@acme.example", Lang::En, EmailKind::PartnerCommissioning)
        );
        assert_eq!(r.link, Link::To(STAFF_LINK.into()));
        assert_eq!(
            r.vars["due_date"], "Wed 10 Apr 2030, 10:00",
            "the event's date and time, not the run's now"
        );
        assert_eq!(r.vars["partner_name"], "Solar Montage AG");
        assert_eq!(r.vars["step_name"], "Commissioning");
        let mail = rendered(r);
        assert!(
            mail.text
                .contains("Solar Montage AG has set the appointment for the step “Commissioning”"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains(": Wed 10 Apr 2030, 10:00."), "{}", mail.text);
        let r = tell(&set_second[0], &partner_user(), &run, Some(&partner));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].vars["due_date"], "Wed 17 Apr 2030, 10:00");

        // A step without an owner tells nobody.
        run.complete("commission", &partner_user(), day(5)).unwrap();
        let set = run.set_due_date("confirm", second, &staff(), day(5)).unwrap();
        assert_eq!(type_of(&set[0]), "step_due_date_set");
        assert!(tell(&set[0], &staff(), &run, None).is_empty());
    }

    #[test]
    fn the_creator_is_told_when_the_run_completes_or_is_cancelled() {
        let (mut run, _) = started();
        to_confirm(&mut run);
        let events = run.complete("confirm", &customer(), day(5)).unwrap();
        let r = tell(event(&events, "run_completed"), &customer(), &run, None);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("Alice@Acme.example", Lang::De, EmailKind::RunCompleted)
        );
        assert_eq!(r[0].link, Link::To(STAFF_LINK.into()));
        assert_eq!(r[0].vars["recipient_name"], "Alice");
        let mail = rendered(&r[0]);
        assert!(
            mail.text
                .contains("Alle Schritte im Prozess «Meter change» (Musterstrasse 1) sind erledigt"),
            "{}",
            mail.text
        );

        let (mut run, _) = started();
        let events = run.cancel(" customer moved ", day(2)).unwrap();
        let r = tell(&events[0], &staff(), &run, None);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("Alice@Acme.example", Lang::De, EmailKind::RunCancelled)
        );
        assert_eq!(r[0].link, Link::To(STAFF_LINK.into()));
        assert_eq!(r[0].vars["reason"], "customer moved");
        let mail = rendered(&r[0]);
        assert!(mail.text.contains("Grund: customer moved"), "{}", mail.text);
    }

    #[test]
    fn nothing_for_a_creator_without_an_address() {
        let (mut run, _) = start(false, creator(None));
        to_confirm(&mut run);
        let events = run.complete("confirm", &customer(), day(5)).unwrap();
        assert_eq!(
            events.iter().map(type_of).collect::<Vec<_>>(),
            ["step_completed", "run_completed"]
        );
        for e in &events {
            assert!(tell(e, &customer(), &run, None).is_empty(), "{e:?}");
        }
        let (mut run, _) = start(false, creator(None));
        let events = run.cancel("customer moved", day(2)).unwrap();
        assert!(tell(&events[0], &staff(), &run, None).is_empty());
    }

    #[test]
    fn starting_a_run_and_submitting_a_step_send_nothing() {
        let (mut run, events) = started();
        assert!(tell(event(&events, "run_started"), &staff(), &run, None).is_empty());
        run.complete("check", &staff(), day(2)).unwrap();
        let events = run.submit("install", answers(), &installer(), day(3)).unwrap();
        assert_eq!(type_of(&events[0]), "step_submitted");
        assert!(tell(&events[0], &installer(), &run, None).is_empty());
    }

    #[test]
    fn emails_of_test_runs_are_marked() {
        let (mut run, events) = start(true, creator(Some("alice@acme.example")));
        let mut r = tell(event(&events, "step_activated"), &staff(), &run, None);
        let events = run.complete("check", &staff(), day(2)).unwrap();
        for e in &events {
            r.extend(tell(e, &staff(), &run, None));
        }
        let events = run.cancel("only a test", day(2)).unwrap();
        r.extend(tell(&events[0], &staff(), &run, None));
        let kinds: Vec<_> = r.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                EmailKind::StepActivatedStaff,
                EmailKind::StepCompleted,
                EmailKind::StepCompleted,
                EmailKind::StepActivatedParticipant,
                EmailKind::RunCancelled,
            ]
        );
        assert!(r.iter().all(|r| r.test), "{r:?}");
    }

    // Partner emails.

    #[test]
    fn an_invitation_goes_to_the_partners_address_while_it_is_open() {
        let now = day(2);
        let (mut partner, invited_events) = invited("pa1", Some(Lang::Fr));
        let first = &invited_events[0];
        let r = partner_recipients(first, &partner, &tenant(), now);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.email.as_str(), r.lang, r.kind),
            ("office@solar.example", Lang::Fr, EmailKind::PartnerInvitation)
        );
        let link = Link::Invitation {
            partner_id: "pa1".into(),
            invitation_id: "inv1".into(),
        };
        assert_eq!(r.link, link);
        let expires = domain::dates::long_date(
            now + Duration::days(INVITATION_DAYS),
            domain::dates::DEFAULT_TIME_ZONE,
            Lang::Fr,
        );
        assert_eq!(r.vars["expires_date"], json!(expires));
        assert_eq!(r.vars["partner_name"], "Solar AG");
        assert_eq!(r.vars["recipient_name"], "Solar AG");
        assert!(!r.test);
        let mail = rendered(r);
        assert!(
            mail.text.contains(&format!("valable jusqu'au {expires}")),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains(&config().partner_invitation_link("TOKEN")),
            "{}",
            mail.text
        );

        // Resent: the first email would carry a dead link; the new one goes out.
        let resent = partner.resend("inv2".into()).unwrap();
        assert!(partner_recipients(first, &partner, &tenant(), now).is_empty());
        let r = partner_recipients(&resent[0], &partner, &tenant(), now);
        assert_eq!(r.len(), 1);
        let link = Link::Invitation {
            partner_id: "pa1".into(),
            invitation_id: "inv2".into(),
        };
        assert_eq!(r[0].link, link);

        // Accepted meanwhile: nothing, and the acceptance itself sends nothing.
        let mut accepted = partner.clone();
        let ina = user("Ina", "ina@solar.example", None);
        let acceptance = accepted
            .accept("inv2", "Solar Montage AG", ina, "u1".into(), now)
            .unwrap();
        assert!(partner_recipients(&resent[0], &accepted, &tenant(), now).is_empty());
        assert!(partner_recipients(&acceptance[0], &accepted, &tenant(), now).is_empty());

        // Revoked meanwhile: nothing, and the revocation itself sends nothing.
        let revocation = partner.revoke(now).unwrap();
        assert!(partner_recipients(&resent[0], &partner, &tenant(), now).is_empty());
        assert!(partner_recipients(&revocation[0], &partner, &tenant(), now).is_empty());
    }

    #[test]
    fn an_invitation_without_a_language_is_in_the_tenants() {
        let (partner, events) = invited("pa1", None);
        let r = partner_recipients(&events[0], &partner, &tenant(), day(1));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lang, Lang::En);
        assert!(rendered(&r[0]).text.contains("Solar AG"));
    }

    #[test]
    fn an_added_user_gets_a_portal_link_while_the_partner_is_active() {
        let (mut partner, _) = invited("pa1", Some(Lang::It));
        let ina = user("Ina", "ina@solar.example", Some(Lang::De));
        let accepted = partner
            .accept("inv1", "Solar Montage AG", ina, "u1".into(), day(1))
            .unwrap();
        assert!(partner_recipients(&accepted[0], &partner, &tenant(), day(1)).is_empty());
        let added = partner
            .add_user(user("Max", "max@solar.example", None), "u2".into(), day(2))
            .unwrap();
        let r = partner_recipients(&added[0], &partner, &tenant(), day(2));
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("max@solar.example", Lang::It, EmailKind::PartnerUserAdded),
            "Max has no language: the partner's"
        );
        assert_eq!(r[0].link, partner_link("Max", "u2", Lang::It, None));
        assert_eq!(r[0].vars["partner_name"], "Solar Montage AG");
        assert_eq!(r[0].vars["recipient_name"], "Max");
        assert!(!r[0].test);
        let mail = rendered(&r[0]);
        assert!(mail.text.contains("Buongiorno Max,"), "{}", mail.text);
        assert!(mail.text.contains("presso Solar Montage AG"), "{}", mail.text);

        let changed = partner.set_permissions(vec![Permission::TasksComplete]).unwrap();
        assert!(partner_recipients(&changed[0], &partner, &tenant(), day(2)).is_empty());
        partner.revoke(day(3)).unwrap();
        assert!(
            partner_recipients(&added[0], &partner, &tenant(), day(3)).is_empty(),
            "revoked meanwhile"
        );
    }

    // Order emails.

    #[test]
    fn a_placed_order_is_confirmed_in_the_users_language() {
        let (o, events) = order(Some(Lang::Fr), Some("chiara@x.ch"));
        let r = tell_order(&events[0], &o);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("chiara@x.ch", Lang::Fr, EmailKind::OrderPlaced)
        );
        assert_eq!(r[0].vars["recipient_name"], "Chiara");
        assert_eq!(r[0].vars["offer_title"], "Solaire");
        assert_eq!(r[0].vars["step_name"], "Commande reçue");
        assert_eq!(
            r[0].vars["step_explanation"],
            "Nous avons bien reçu votre commande et l'examinerons prochainement."
        );
        assert_eq!(ORDER_LINK, config().customer_order_link("or1"));
        assert_eq!(r[0].link, Link::To(ORDER_LINK.into()));
        assert!(!r[0].test);
        let mail = rendered(&r[0]);
        assert_eq!(mail.subject, "Votre commande : Solaire");
        assert!(mail.text.contains("Bonjour Chiara,"), "{}", mail.text);
        assert!(mail.text.contains("Étape en cours : Commande reçue"), "{}", mail.text);
        assert!(mail.text.contains(ORDER_LINK), "{}", mail.text);

        // Without a language: the tenant's (English); the offer has no English title: German.
        let (o, events) = order(None, Some("chiara@x.ch"));
        let r = tell_order(&events[0], &o);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lang, Lang::En);
        assert_eq!(r[0].vars["offer_title"], "Solarstrom");
        assert_eq!(r[0].vars["step_name"], "Order received");
        assert_eq!(rendered(&r[0]).subject, "Your order: Solarstrom");
    }

    #[test]
    fn each_completed_step_names_the_next_and_step_five_only_activates() {
        let (mut o, _) = order(Some(Lang::It), Some("chiara@x.ch"));
        let steps = OrderSteps::default_set().steps;
        let name = |i: usize| steps[i].name[&Lang::It].as_str();
        let explanation = |i: usize| steps[i].explanation[&Lang::It].as_str();

        let events = o.advance(1, &staff(), day(2)).unwrap();
        let r = tell_order(&events[0], &o);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, EmailKind::OrderStepCompleted);
        assert_eq!(r[0].vars["step_number"], json!(1));
        assert_eq!(r[0].vars["step_name"], "Ordine ricevuto");
        assert_eq!(r[0].vars["next_step_name"], "Ordine verificato");
        let mail = rendered(&r[0]);
        assert!(
            mail.text.contains("la fase 1, «Ordine ricevuto», è completata"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("Prossima fase: Ordine verificato"), "{}", mail.text);
        for n in 2..=4u8 {
            let events = o.advance(u32::from(n), &staff(), day(2)).unwrap();
            let r = tell_order(&events[0], &o);
            assert_eq!(r.len(), 1, "step {n}");
            assert_eq!(r[0].kind, EmailKind::OrderStepCompleted, "step {n}");
            let i = usize::from(n);
            assert_eq!(r[0].vars["step_number"], json!(n));
            assert_eq!(r[0].vars["step_name"], name(i - 1), "step {n}");
            assert_eq!(r[0].vars["next_step_name"], name(i), "step {n}");
            assert_eq!(r[0].vars["next_step_explanation"], explanation(i), "step {n}");
        }

        let events = o.advance(5, &staff(), day(3)).unwrap();
        assert_eq!(
            events.iter().map(type_of).collect::<Vec<_>>(),
            ["order_step_completed", "order_activated"]
        );
        assert!(
            tell_order(&events[0], &o).is_empty(),
            "step five sends only order_activated"
        );
        let r = tell_order(&events[1], &o);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].lang, r[0].kind), (Lang::It, EmailKind::OrderActivated));
        assert_eq!(r[0].vars["step_explanation"], explanation(4));
        let mail = rendered(&r[0]);
        assert_eq!(mail.subject, "Il Suo prodotto è attivo: Solarstrom");
        assert!(mail.text.contains(explanation(4)), "{}", mail.text);
    }

    #[test]
    fn cancelled_and_deactivated_orders_give_the_reason_escaped_in_html() {
        let (mut o, _) = order(Some(Lang::It), Some("chiara@x.ch"));
        for n in 1..=5 {
            o.advance(n, &staff(), day(2)).unwrap();
        }
        let events = o.deactivate(" Contratto disdetto ", day(3)).unwrap();
        let r = tell_order(&events[0], &o);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].lang, r[0].kind), (Lang::It, EmailKind::OrderDeactivated));
        assert_eq!(r[0].vars["reason"], "Contratto disdetto");
        let mail = rendered(&r[0]);
        assert!(mail.text.contains("Motivo: Contratto disdetto"), "{}", mail.text);
        assert!(mail.html.unwrap_or_default().contains("Contratto disdetto"));

        let (mut o, _) = order(Some(Lang::En), Some("chiara@x.ch"));
        let events = o.cancel("Moved <away>", day(2)).unwrap();
        let r = tell_order(&events[0], &o);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].lang, r[0].kind), (Lang::En, EmailKind::OrderCancelled));
        assert_eq!(r[0].vars["reason"], "Moved <away>");
        let mail = rendered(&r[0]);
        assert!(mail.text.contains("Reason: Moved <away>"), "{}", mail.text);
        let html = mail.html.unwrap_or_default();
        assert!(html.contains("Moved &lt;away&gt;"), "the reason is escaped: {html}");
        assert!(!html.contains("<away>"), "{html}");
    }

    #[test]
    fn nothing_for_an_order_without_a_valid_address() {
        for email in [None, Some(""), Some("not-an-address")] {
            let (mut o, mut events) = order(Some(Lang::Fr), email);
            events.extend(o.advance(1, &staff(), day(2)).unwrap());
            events.extend(o.cancel("moved", day(3)).unwrap());
            assert_eq!(events.len(), 3);
            for e in &events {
                assert!(tell_order(e, &o).is_empty(), "{email:?}: {e:?}");
            }
        }
    }

    // All of them.

    fn link_requested(open_tasks: u32) -> AccessEvent {
        AccessEvent::AccessLinkRequested {
            email: "ivo@montage.example".into(),
            name: "Ivo".into(),
            kind: "installer".into(),
            participant_id: participant_id("ivo@montage.example"),
            locale: Some(Lang::Fr),
            partner_id: None,
            user_id: None,
            run_id: "r1".into(),
            step_key: "install".into(),
            step_name: Text::Langs(texts(&[
                (Lang::De, "Zähler montieren"),
                (Lang::Fr, "Installer le compteur"),
            ])),
            process_name: Text::Plain("Zählerwechsel".into()),
            open_tasks,
        }
    }

    #[test]
    fn a_new_link_goes_to_the_address_and_leads_to_the_first_open_task() {
        let r = access_recipients(&link_requested(2), &tenant());
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].email.as_str(), r[0].lang, r[0].kind),
            ("ivo@montage.example", Lang::Fr, EmailKind::AccessLink)
        );
        let Link::Portal(who) = &r[0].link else {
            panic!("a portal link: {:?}", r[0].link);
        };
        assert_eq!(
            who.landing.as_ref().map(Landing::path).as_deref(),
            Some("/portal/runs/r1#step-install")
        );
        assert_eq!(who.tenant_id, tenant().id, "the tenant is the event's");
        let mail = rendered(&r[0]);
        assert!(mail.subject.contains("nouveau lien"), "{}", mail.subject);
        assert!(
            mail.text.contains("2 tâches vous attendent") && mail.text.contains("« Installer le compteur »"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("« Zählerwechsel »"),
            "a plain name as written: {}",
            mail.text
        );
        let one = rendered(&access_recipients(&link_requested(1), &tenant())[0]);
        assert!(one.text.contains("Une tâche vous attend"), "{}", one.text);
    }

    #[test]
    fn every_kind_is_sent_with_exactly_its_variables_and_renders() {
        let partner = active_partner("pa1");
        let mut all = Vec::new();
        let mut tell_all = |events: &[RunEvent], actor: &Actor, run: &Run| {
            for e in events {
                all.extend(tell(e, actor, run, Some(&partner)));
            }
        };
        let (mut run, events) = started();
        tell_all(&events, &staff(), &run);
        let events = run.complete("check", &staff(), day(2)).unwrap();
        tell_all(&events, &staff(), &run);
        let events = run.submit("install", answers(), &installer(), day(3)).unwrap();
        tell_all(&events, &installer(), &run);
        let events = run
            .request_changes("install", "The photo is blurred", &["meter".into()], &staff(), day(3))
            .unwrap();
        tell_all(&events, &staff(), &run);
        let owner = domain::process::Owner {
            user_id: "olga".into(),
            email: "olga@utility.example".into(),
            name: Some("Olga".into()),
        };
        let events = run.change_owner("confirm", owner, &staff()).unwrap();
        tell_all(&events, &staff(), &run);
        let events = run.complete("install", &installer(), day(3)).unwrap();
        tell_all(&events, &installer(), &run);
        let due = Utc.with_ymd_and_hms(2030, 4, 10, 8, 0, 0).unwrap();
        let events = run.set_due_date("commission", due, &partner_user(), day(4)).unwrap();
        tell_all(&events, &partner_user(), &run);
        let events = run.complete("commission", &partner_user(), day(4)).unwrap();
        tell_all(&events, &partner_user(), &run);
        let events = run.complete("confirm", &customer(), day(5)).unwrap();
        tell_all(&events, &customer(), &run);
        let scanned = RunEvent::DocumentScanned {
            document_id: "d1".into(),
            name: "scan.pdf".into(),
            step_key: Some("install".into()),
            infected: true,
        };
        tell_all(&[scanned], &staff(), &run);
        // Reminders and escalation: the active step's, as the sweeper writes them.
        let (mut run, _) = started();
        let active = run.current_step().unwrap().to_string();
        run.steps.iter_mut().filter(|s| s.key == active).for_each(|s| {
            s.due_at = Some(day(3));
            s.reminders = Some(domain::reminders::ReminderPolicy {
                before_due_days: Some(1),
                overdue_every_days: Some(1),
                overdue_max: None,
                escalate_after_days: Some(1),
            });
        });
        let events = run.remind(day(2) + chrono::Duration::hours(10));
        let events: Vec<RunEvent> = events.into_iter().chain(run.remind(day(9))).collect();
        tell_all(&events, &staff(), &run);
        let events = run.cancel("customer moved", day(9)).unwrap();
        tell_all(&events, &staff(), &run);
        // Comments, as a reader's mailbox sends them.
        let noted = MailboxEvent::CommentsNoted {
            reader: domain::comment::Reader {
                kind: "staff".into(),
                email: "dan@utility.example".into(),
                name: "Dan".into(),
                locale: Some(Lang::Fr),
                participant_id: None,
                partner_id: None,
                user_id: None,
            },
            comments: vec![domain::comment::Noted {
                comment_id: "c1".into(),
                author_name: "Ivo".into(),
                step_key: Some("install".into()),
                step_name: Some("Install".into()),
                body: "Je viens à 9 h".into(),
                at: day(9),
            }],
        };
        let mails = mailbox_recipients(&noted, &run, None, &tenant(), &config());
        assert!(
            mails[0].vars["comment_list"].as_str().unwrap().contains("Ivo ("),
            "{mails:?}"
        );
        all.extend(mails);
        // A trigger that failed: its creator hears why.
        let input: domain::trigger::TriggerInput = serde_json::from_value(json!({"name": "ESP", "on": "order_placed",
            "action": {"kind": "complete_order_step", "step": 4}}))
        .unwrap();
        let owner = domain::trigger::TriggerOwner {
            sub: "ada".into(),
            email: Some("ada@utility.example".into()),
            name: Some("Ada".into()),
            locale: None,
        };
        let (mut trigger, _) = Trigger::create("t1".into(), input, owner, day(9)).unwrap();
        let events = trigger.failed("e1", "the order is at step 2", day(9));
        all.extend(trigger_recipients(&events[0], &trigger, &tenant(), &config()));
        let input = domain::webhook::SubscriptionInput {
            url: "https://crm.example/hook".into(),
            event_types: vec!["*".into()],
            enabled: true,
        };
        let (mut sub, _) =
            domain::webhook::Subscription::create("s1".into(), input, trigger.created_by.clone(), false, day(1))
                .unwrap();
        sub.noted(false, day(1));
        let events = sub.noted(false, day(3)).unwrap();
        all.extend(subscription_recipients(&events[0], &sub, &tenant(), &config()));

        let (mut p, events) = invited("pa2", None);
        all.extend(partner_recipients(&events[0], &p, &tenant(), day(1)));
        p.accept(
            "inv1",
            "Wind AG",
            user("Ina", "ina@wind.example", None),
            "u1".into(),
            day(1),
        )
        .unwrap();
        let events = p
            .add_user(user("Max", "max@wind.example", None), "u2".into(), day(1))
            .unwrap();
        all.extend(partner_recipients(&events[0], &p, &tenant(), day(1)));
        p.set_digest(true, "Europe/Berlin", day(1)).unwrap();
        let task = domain::partner::DigestTask {
            run_id: "r1".into(),
            step_key: "commission".into(),
            step_name: "Commission".into(),
            process_name: "Meter change".into(),
            run_title: Some("Musterstrasse 1".into()),
            due_at: Some(day(1)),
        };
        let events = p.record_digest(vec![task], day(3));
        all.extend(partner_recipients(&events[0], &p, &tenant(), day(3)));

        let (mut o, mut events) = order(Some(Lang::De), Some("chiara@x.ch"));
        for n in 1..=5 {
            events.extend(o.advance(n, &staff(), day(2)).unwrap());
        }
        events.extend(o.deactivate("ended", day(3)).unwrap());
        all.extend(events.iter().flat_map(|e| tell_order(e, &o)));
        let (mut o, _) = order(Some(Lang::De), Some("chiara@x.ch"));
        let events = o.cancel("moved", day(3)).unwrap();
        all.extend(events.iter().flat_map(|e| tell_order(e, &o)));
        // A corrected answer (a note tells nobody).
        let (mut o, _) = order(Some(Lang::Fr), Some("chiara@x.ch"));
        let field: domain::journey::Field =
            serde_json::from_value(json!({"key": "roof", "label": {"de": "Dach", "fr": "Toit"}, "type": "text"}))
                .unwrap();
        let answers = json!({"roof": "plat"}).as_object().cloned().unwrap();
        let events = o.correct_answers(&[field], answers, &staff(), day(2)).unwrap();
        let mails: Vec<Recipient> = events.iter().flat_map(|e| tell_order(e, &o)).collect();
        assert_eq!(mails[0].vars["fields"], "Toit");
        all.extend(mails);
        let events = o.add_note("n1".into(), "called her", &staff(), day(2)).unwrap();
        assert!(tell_order(&events[0], &o).is_empty(), "a note tells nobody");

        all.extend(access_recipients(&link_requested(2), &tenant()));

        for r in &all {
            rendered(r);
        }
        let kinds: HashSet<EmailKind> = all.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds.len(),
            EmailKind::ALL.len(),
            "every kind is sent by some event: {kinds:?}"
        );
    }

    #[test]
    fn an_address_that_is_no_address_gets_nothing() {
        let tenant = tenant_for_header_test();
        let mut b = Builder::new(&tenant, Map::new(), false);
        b.add(
            "a@b.ch\r\nBcc: evil@x.ch",
            "A",
            None,
            EmailKind::RunCompleted,
            Map::new(),
            Link::To("l".into()),
        );
        b.add(
            "Eve <eve@x.ch>, bob@x.ch",
            "E",
            None,
            EmailKind::RunCompleted,
            Map::new(),
            Link::To("l".into()),
        );
        assert!(b.out.is_empty());
        b.add(
            "ok@x.ch",
            "O",
            None,
            EmailKind::RunCompleted,
            Map::new(),
            Link::To("l".into()),
        );
        assert_eq!(b.out.len(), 1);
    }

    fn tenant_for_header_test() -> Tenant {
        Tenant {
            id: "acme".into(),
            name: "Acme".into(),
            default_locale: Lang::De,
            tz: domain::dates::DEFAULT_TIME_ZONE,
            sender_name: "Acme".into(),
        }
    }
}
