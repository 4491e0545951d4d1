//! Comments on a run or one of its steps, and who may read them; the ten-minute mailbox that
//! gathers the comments a recipient has not been emailed about yet.
//!
//! Rules (decided here, see README):
//! - `internal` comments are staff's only; `shared` ones are read by the participants of the
//!   step (a step comment) or of the run (a run comment), partners without
//!   `runs:view_all_steps` only on their own steps. Participants write shared comments only.
//! - The other side is told: a participant's comment goes to the step's owner (else the
//!   run's creator); a staff member's shared comment to the participants who may read it;
//!   mentioned staff always. Nobody is told of their own comment.
//! - A recipient is emailed at most once per run every ten minutes: the first comment goes at
//!   once, later ones wait in the recipient's mailbox and go together when the ten minutes
//!   are up.
//! - Authors delete their own comments: the text goes, the comment stays, marked deleted.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError};
use crate::events::{Actor, CommentEvent, MailboxEvent};
use crate::i18n::{Lang, Text};
use crate::run::Run;
use crate::{into_result, require_email, require_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentVisibility {
    /// Staff only.
    Internal,
    /// Also the participants of the step (or of the run).
    Shared,
}

/// A staff member named in a comment (told of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mention {
    pub user_id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: String,
    pub run_id: String,
    /// The step it is about (none: the run as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_key: Option<String>,
    pub visibility: CommentVisibility,
    /// Empty once deleted.
    pub body: String,
    pub author: Actor,
    /// A partner user's comment: their partner and their own user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: u64,
}

pub const MAX_BODY: usize = 4000;
pub const MAX_MENTIONS: usize = 20;
/// How long a recipient's later comments wait after an email.
pub const THROTTLE_MINUTES: i64 = 10;

impl Comment {
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        id: String,
        run_id: &str,
        step_key: Option<String>,
        visibility: CommentVisibility,
        body: &str,
        mentions: Vec<Mention>,
        author: &Actor,
        partner: Option<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<(Comment, Vec<CommentEvent>), DomainError> {
        let mut errors = Vec::new();
        require_text(body, "body", MAX_BODY, &mut errors);
        if !author.is_staff() {
            if visibility == CommentVisibility::Internal {
                errors.push(FieldError::new(
                    "visibility",
                    "invalid",
                    "participants write shared comments only",
                ));
            }
            if !mentions.is_empty() {
                errors.push(FieldError::new("mentions", "invalid", "only staff mention staff"));
            }
        }
        if mentions.len() > MAX_MENTIONS {
            errors.push(FieldError::new(
                "mentions",
                "too_many",
                format!("at most {MAX_MENTIONS} mentions"),
            ));
        }
        for (i, m) in mentions.iter().enumerate() {
            require_text(&m.user_id, &format!("mentions[{i}].user_id"), 200, &mut errors);
            require_email(&m.email, &format!("mentions[{i}].email"), &mut errors);
            if m.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
                errors.push(FieldError::too_long(format!("mentions[{i}].name"), 200));
            }
        }
        into_result(errors)?;
        let comment = Comment {
            id,
            run_id: run_id.to_string(),
            step_key,
            visibility,
            body: body.trim().to_string(),
            author: author.clone(),
            partner_id: partner.as_ref().map(|p| p.0.clone()),
            partner_user_id: partner.map(|p| p.1),
            mentions: mentions
                .into_iter()
                .map(|m| Mention {
                    user_id: m.user_id.trim().to_string(),
                    email: m.email.trim().to_string(),
                    name: m.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                })
                .collect(),
            created_at: now,
            deleted_at: None,
            version: 1,
        };
        let event = CommentEvent::CommentAdded {
            run_id: comment.run_id.clone(),
            step_key: comment.step_key.clone(),
            visibility,
        };
        Ok((comment, vec![event]))
    }

    /// The author removes it (`user`: a partner user's own id): the text goes, the comment
    /// stays, marked.
    pub fn delete(
        &mut self,
        actor: &Actor,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CommentEvent>, DomainError> {
        if !self.is_by(actor, user) {
            return Err(DomainError::Forbidden("only its author deletes a comment"));
        }
        if self.deleted_at.is_some() {
            return Err(DomainError::Conflict("the comment is deleted already".into()));
        }
        self.body.clear();
        self.deleted_at = Some(now);
        self.version += 1;
        Ok(vec![CommentEvent::CommentDeleted {
            run_id: self.run_id.clone(),
        }])
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether `actor` (a partner user: `user`) wrote it.
    pub fn is_by(&self, actor: &Actor, user: Option<&str>) -> bool {
        self.author.kind == actor.kind && self.author.id == actor.id && self.partner_user_id.as_deref() == user
    }

    /// Whether a portal participant may read it (`all_steps`: a partner with
    /// `runs:view_all_steps`): shared, and about the run they take part in or a step of
    /// theirs (any step of the run with `all_steps`).
    pub fn readable_by(&self, run: &Run, participant_id: &str, all_steps: bool) -> bool {
        if self.visibility != CommentVisibility::Shared || !run.involves(participant_id) {
            return false;
        }
        match &self.step_key {
            None => true,
            Some(k) => {
                all_steps
                    || run
                        .step(k)
                        .and_then(|s| run.participant_for(s))
                        .is_some_and(|p| p.id == participant_id)
            }
        }
    }
}

/// Where a recipient's comment emails go, and how the link reaches them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reader {
    /// `staff`, `customer`, `installer` or `partner`.
    pub kind: String,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub locale: Option<Lang>,
    /// Portal readers: their participant id (and partner and user ids for partner users).
    #[serde(default)]
    pub participant_id: Option<String>,
    #[serde(default)]
    pub partner_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A comment as an email lists it (as of when it was written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Noted {
    pub comment_id: String,
    pub author_name: String,
    #[serde(default)]
    pub step_key: Option<String>,
    #[serde(default)]
    pub step_name: Option<Text>,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// One recipient's comment emails for one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mailbox {
    /// `{run id}.{hash of the recipient's address}`.
    pub id: String,
    pub run_id: String,
    pub reader: Reader,
    #[serde(default)]
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Comments not emailed yet, oldest first.
    #[serde(default)]
    pub pending: Vec<Noted>,
    pub version: u64,
    /// The due-index time its stored item has (the store writes it).
    #[serde(default, skip_serializing)]
    pub wake_at: Option<DateTime<Utc>>,
}

impl Mailbox {
    pub fn new(id: String, run_id: &str, reader: Reader) -> Mailbox {
        Mailbox {
            id,
            run_id: run_id.to_string(),
            reader,
            last_sent_at: None,
            pending: Vec::new(),
            version: 0,
            wake_at: None,
        }
    }

    /// A new comment for the reader: emailed now when the last email is ten minutes old (or
    /// there was none), else kept for later.
    pub fn note(&mut self, noted: Noted, now: DateTime<Utc>) -> Vec<MailboxEvent> {
        self.pending.push(noted);
        self.version += 1;
        self.flush(now)
    }

    /// What is due now: the kept comments in one email, if ten minutes have passed.
    pub fn flush(&mut self, now: DateTime<Utc>) -> Vec<MailboxEvent> {
        if self.pending.is_empty() || self.next_send().is_some_and(|at| at > now) {
            return Vec::new();
        }
        let comments = std::mem::take(&mut self.pending);
        self.last_sent_at = Some(now);
        self.version += 1;
        vec![MailboxEvent::CommentsNoted {
            reader: self.reader.clone(),
            comments,
        }]
    }

    /// When the next email may go.
    fn next_send(&self) -> Option<DateTime<Utc>> {
        self.last_sent_at.map(|t| t + Duration::minutes(THROTTLE_MINUTES))
    }

    /// When the sweeper should look at it: when kept comments may go.
    pub fn wake(&self) -> Option<DateTime<Utc>> {
        if self.pending.is_empty() {
            return None;
        }
        self.next_send()
    }

    /// A comment deleted before it was emailed is not emailed.
    pub fn forget(&mut self, comment_id: &str) -> bool {
        let before = self.pending.len();
        self.pending.retain(|n| n.comment_id != comment_id);
        let changed = self.pending.len() != before;
        if changed {
            self.version += 1;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Reader {
        Reader {
            kind: "customer".into(),
            email: "c@x.example".into(),
            name: "C".into(),
            locale: None,
            participant_id: Some("p".into()),
            partner_id: None,
            user_id: None,
        }
    }

    fn noted(id: &str, at: DateTime<Utc>) -> Noted {
        Noted {
            comment_id: id.into(),
            author_name: "Alice".into(),
            step_key: None,
            step_name: None,
            body: format!("comment {id}"),
            at,
        }
    }

    #[test]
    fn a_reader_hears_at_most_once_in_ten_minutes_and_later_comments_come_together() {
        let t0 = Utc::now();
        let mut m = Mailbox::new("r1.x".into(), "r1", reader());
        let first = m.note(noted("a", t0), t0);
        assert!(matches!(&first[..], [MailboxEvent::CommentsNoted { comments, .. }] if comments.len() == 1));
        assert_eq!(m.wake(), None);
        assert!(m.note(noted("b", t0), t0 + Duration::minutes(2)).is_empty());
        assert!(m.note(noted("c", t0), t0 + Duration::minutes(5)).is_empty());
        assert!(m.forget("c"));
        assert!(m.note(noted("d", t0), t0 + Duration::minutes(6)).is_empty());
        assert_eq!(m.wake(), Some(t0 + Duration::minutes(10)));
        assert!(m.flush(t0 + Duration::minutes(9)).is_empty());
        let later = m.flush(t0 + Duration::minutes(10));
        let ids: Vec<String> = match &later[..] {
            [MailboxEvent::CommentsNoted { comments, .. }] => comments.iter().map(|c| c.comment_id.clone()).collect(),
            e => panic!("{e:?}"),
        };
        assert_eq!(ids, ["b", "d"]);
        assert_eq!(m.wake(), None);
        // Long after: at once again.
        assert_eq!(m.note(noted("e", t0), t0 + Duration::hours(1)).len(), 1);
    }

    #[test]
    fn participants_write_shared_comments_and_authors_delete_their_own() {
        let now = Utc::now();
        let customer = Actor::new("customer", "p1", Some("Chiara"));
        let e = Comment::write(
            "c1".into(),
            "r1",
            None,
            CommentVisibility::Internal,
            "hi",
            vec![],
            &customer,
            None,
            now,
        )
        .unwrap_err();
        assert!(matches!(e, DomainError::Invalid(ref v) if v[0].field == "visibility"));
        let e = Comment::write(
            "c1".into(),
            "r1",
            None,
            CommentVisibility::Shared,
            " ",
            vec![],
            &customer,
            None,
            now,
        )
        .unwrap_err();
        assert!(matches!(e, DomainError::Invalid(ref v) if v[0].field == "body"));
        let (mut c, _) = Comment::write(
            "c1".into(),
            "r1",
            Some("install".into()),
            CommentVisibility::Shared,
            " When do you come? ",
            vec![],
            &customer,
            None,
            now,
        )
        .unwrap();
        assert_eq!(c.body, "When do you come?");
        let staff = Actor::staff("alice", None);
        assert!(matches!(c.delete(&staff, None, now), Err(DomainError::Forbidden(_))));
        c.delete(&customer, None, now).unwrap();
        assert!(c.is_deleted() && c.body.is_empty());
        assert!(matches!(c.delete(&customer, None, now), Err(DomainError::Conflict(_))));
    }
}
