//! Comments on runs and steps, and the readers' mailboxes that keep each reader to one email
//! per run every ten minutes. Writing a comment is one transaction: the comment, its row in
//! the run's partition, its event, and each reader's mailbox (an email's event now, or the
//! comment kept with a due-index row for when the ten minutes are up).

use chrono::{DateTime, Utc};
use domain::comment::{Comment, CommentVisibility, Mailbox, Mention, Noted, Reader};
use domain::events::{Actor, CommentEvent, MailboxEvent};
use domain::ids::participant_id;
use domain::partner::{participant_of, Partner, PartnerStatus, Permission};
use domain::process::Assignee;
use domain::run::Run;
use domain::{DomainError, FieldError};
use serde_json::{json, Value};
use store::{Cond, Index, Query, StoreError, Table, Write};

use super::aggregate::{aggregate, writes_of};
use super::{from_item, load, Aggregate};
use crate::error::{AppError, AppResult};
use crate::keys;

impl Aggregate for Comment {
    aggregate!(CommentEvent, "comment", keys::comment);

    /// Its row in the run's partition: what a run's comment list reads.
    fn rows(&self, tenant: &str, _new: bool) -> Vec<Write> {
        let k = keys::run_comment(tenant, &self.run_id, &self.id);
        match serde_json::to_value(self) {
            Ok(Value::Object(mut row)) => {
                row.retain(|_, v| !v.is_null());
                row.insert("pk".into(), json!(k.pk));
                row.insert("sk".into(), json!(k.sk));
                row.insert("entity".into(), json!("run_comment"));
                vec![Write::put(row, Cond::None)]
            }
            _ => Vec::new(),
        }
    }
}

impl Aggregate for Mailbox {
    aggregate!(MailboxEvent, "mailbox", keys::mailbox);

    fn wake(&self) -> Option<DateTime<Utc>> {
        Mailbox::wake(self)
    }

    fn woken(&self) -> Option<DateTime<Utc>> {
        self.wake_at
    }
}

/// The partners the run's steps are assigned to (one GetItem each; a gone one is left out).
pub async fn partners_of(table: &dyn Table, tenant: &str, run: &Run) -> AppResult<Vec<Partner>> {
    let mut ids: Vec<&str> = run
        .steps
        .iter()
        .filter_map(|s| match &s.assignee {
            Assignee::Partner { partner_id } => Some(partner_id.as_str()),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut partners = Vec::new();
    for id in ids {
        match load::<Partner>(table, tenant, id).await {
            Ok(p) => partners.push(p),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(partners)
}

fn staff_reader(email: &str, name: Option<&str>, locale: Option<domain::i18n::Lang>) -> Reader {
    Reader {
        kind: "staff".into(),
        email: email.to_string(),
        name: name.unwrap_or_default().to_string(),
        locale,
        participant_id: None,
        partner_id: None,
        user_id: None,
    }
}

/// Who is told of a comment: the other side (see [`domain::comment`]), never its author, each
/// address once. A partner is one reader (each of its users is emailed).
pub fn readers(run: &Run, comment: &Comment, partners: &[Partner]) -> Vec<Reader> {
    let mut out: Vec<Reader> = Vec::new();
    if comment.author.is_staff() {
        for m in comment.mentions.iter().filter(|m| m.user_id != comment.author.id) {
            out.push(staff_reader(&m.email, m.name.as_deref(), None));
        }
        for (kind, contact) in [
            ("customer", &run.participants.customer),
            ("installer", &run.participants.installer),
        ] {
            let Some(c) = contact else { continue };
            let pid = participant_id(&c.email);
            if comment.readable_by(run, &pid, false) {
                out.push(Reader {
                    kind: kind.into(),
                    email: c.email.clone(),
                    name: c.name.clone(),
                    locale: c.locale,
                    participant_id: Some(pid),
                    partner_id: None,
                    user_id: None,
                });
            }
        }
        for p in partners.iter().filter(|p| p.status == PartnerStatus::Active) {
            let pid = participant_of(&p.id);
            if comment.readable_by(run, &pid, p.can(Permission::RunsViewAllSteps)) {
                out.push(Reader {
                    kind: "partner".into(),
                    email: p.email.clone(),
                    name: p.organization_name.clone().unwrap_or_else(|| p.name.clone()),
                    locale: p.locale,
                    participant_id: Some(pid),
                    partner_id: Some(p.id.clone()),
                    user_id: None,
                });
            }
        }
    } else {
        // A participant's comment: the step's owner, else whoever started the run.
        let owner = comment
            .step_key
            .as_deref()
            .and_then(|k| run.step(k))
            .and_then(|s| s.owner.as_ref());
        match owner {
            Some(o) => out.push(staff_reader(&o.email, o.name.as_deref(), None)),
            None => {
                if let Some(email) = &run.created_by.email {
                    out.push(staff_reader(
                        email,
                        run.created_by.name.as_deref(),
                        run.created_by.locale,
                    ));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.email.to_lowercase()));
    out
}

/// What a new comment is: where, for whom, what, and whom it mentions.
pub struct NewComment {
    pub step_key: Option<String>,
    pub visibility: CommentVisibility,
    pub body: String,
    pub mentions: Vec<Mention>,
}

/// The readers' mailboxes as stored (or new), each with the version it was read at.
async fn mailboxes(
    table: &dyn Table,
    tenant: &str,
    run: &Run,
    readers: Vec<Reader>,
) -> AppResult<Vec<(Mailbox, Option<u64>)>> {
    let mut out = Vec::new();
    for r in readers {
        let id = keys::mailbox_id(&run.id, &r.email);
        match load::<Mailbox>(table, tenant, &id).await {
            Ok(mut m) => {
                // The reader as they are now (a name or language corrected since).
                m.reader = r;
                let v = m.version;
                out.push((m, Some(v)));
            }
            Err(e) if e.is_not_found() => out.push((Mailbox::new(id, &run.id, r), None)),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn conflict(e: StoreError) -> AppError {
    match e {
        StoreError::ConditionFailed(_) | StoreError::Conflict => {
            AppError::conflict("the comments changed meanwhile; send it again")
        }
        e => e.into(),
    }
}

/// Writes a comment on `run` (its step, if any, must be one of the run's) and tells its
/// readers; `partner`: a partner user's (partner id, user id).
pub async fn add(
    table: &dyn Table,
    tenant: &str,
    run: &Run,
    input: NewComment,
    author: &Actor,
    partner: Option<(String, String)>,
    now: DateTime<Utc>,
) -> AppResult<Comment> {
    if let Some(k) = &input.step_key {
        if run.step(k).is_none() {
            return Err(
                DomainError::Invalid(vec![FieldError::new("step_key", "unknown", "no such step in this run")]).into(),
            );
        }
    }
    let (comment, events) = Comment::write(
        domain::ids::new_id(),
        &run.id,
        input.step_key,
        input.visibility,
        &input.body,
        input.mentions,
        author,
        partner,
        now,
    )?;
    let partners = partners_of(table, tenant, run).await?;
    let noted = Noted {
        comment_id: comment.id.clone(),
        author_name: author.display_name().to_string(),
        step_key: comment.step_key.clone(),
        step_name: comment
            .step_key
            .as_deref()
            .and_then(|k| run.step(k))
            .map(|s| s.name.clone()),
        body: comment.body.clone(),
        at: now,
    };
    let mut writes = writes_of(tenant, &comment, None, &events, author, now)?;
    for (mut m, expected) in mailboxes(table, tenant, run, readers(run, &comment, &partners)).await? {
        let events = m.note(noted.clone(), now);
        writes.extend(writes_of(tenant, &m, expected, &events, author, now)?);
    }
    table.transact(writes).await.map_err(conflict)?;
    Ok(comment)
}

/// The run's comments, oldest first (deleted ones too, without their text).
pub async fn list(table: &dyn Table, tenant: &str, run_id: &str) -> AppResult<Vec<Comment>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let q = Query::new(Index::Primary, keys::run(tenant, run_id).pk)
            .begins_with(keys::COMMENT_SK_PREFIX)
            .limit(100)
            .start(start);
        let page = table.query(q).await?;
        for item in page.items {
            out.push(from_item(item)?);
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => return Ok(out),
        }
    }
}

/// The author deletes their comment on `run`; mailboxes still keeping it forget it.
pub async fn delete(
    table: &dyn Table,
    tenant: &str,
    run: &Run,
    comment_id: &str,
    author: &Actor,
    user: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Comment> {
    let mut comment: Comment = load(table, tenant, comment_id).await?;
    if comment.run_id != run.id {
        return Err(DomainError::NotFound("comment").into());
    }
    let expected = comment.version;
    let readers = readers(run, &comment, &partners_of(table, tenant, run).await?);
    let events = comment.delete(author, user, now)?;
    let mut writes = writes_of(tenant, &comment, Some(expected), &events, author, now)?;
    for (mut m, expected) in mailboxes(table, tenant, run, readers).await? {
        if expected.is_some() && m.forget(comment_id) {
            writes.extend(writes_of(tenant, &m, expected, &[], author, now)?);
        }
    }
    table.transact(writes).await.map_err(conflict)?;
    Ok(comment)
}
