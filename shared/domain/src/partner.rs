//! Partner organisations: invited by staff, accepted by the partner's first user, then
//! assignable to process steps; their users reach the portal by emailed links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{into_result, require_email, require_text};
use crate::error::{DomainError, FieldError};
use crate::events::PartnerEvent;
use crate::i18n::Lang;
pub use crate::values::Permission;

/// Permissions a partner gets when staff name none.
pub const DEFAULT_PERMISSIONS: [Permission; 2] = [Permission::TasksComplete, Permission::DocumentsUpload];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PartnerStatus {
    Invited,
    Active,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub locale: Option<Lang>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartnerUser {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub locale: Option<Lang>,
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
    pub permissions: Vec<Permission>,
    pub status: PartnerStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    #[serde(default)]
    pub users: Vec<PartnerUser>,
    /// The invitation whose link works now; a resend replaces it, acceptance clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its users get one email a day listing its open tasks instead of a reminder per step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// When the sweeper looks at it next (its due-index row; the store writes it).
    #[serde(default, skip_serializing)]
    pub wake_at: Option<DateTime<Utc>>,
}

/// A partner's daily digest: the local day of the next one, in its tenant's time zone, in
/// the morning ([`crate::reminders::REMINDER_HOUR`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Digest {
    pub time_zone: String,
    pub next_day: chrono::NaiveDate,
}

/// One open task in a digest, as it was when the digest was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DigestTask {
    pub run_id: String,
    pub step_key: String,
    pub step_name: crate::i18n::Text,
    pub process_name: crate::i18n::Text,
    #[serde(default)]
    pub run_title: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

pub fn validate_user(user: &UserInput, prefix: &str) -> Result<(), DomainError> {
    let mut errors = Vec::new();
    require_text(&user.name, &format!("{prefix}name"), 200, &mut errors);
    require_email(&user.email, &format!("{prefix}email"), &mut errors);
    into_result(errors)
}

fn dedup(mut permissions: Vec<Permission>) -> Vec<Permission> {
    let mut seen = std::collections::HashSet::new();
    permissions.retain(|p| seen.insert(*p));
    permissions
}

impl Partner {
    /// A new partner, invited: the invitation email goes out with the `partner_invited` event.
    pub fn invite(
        id: String,
        input: PartnerInput,
        invitation_id: String,
        now: DateTime<Utc>,
    ) -> Result<(Partner, Vec<PartnerEvent>), DomainError> {
        let mut errors = Vec::new();
        require_text(&input.name, "name", 200, &mut errors);
        require_email(&input.email, "email", &mut errors);
        into_result(errors)?;
        let partner = Partner {
            id,
            name: input.name.trim().into(),
            email: input.email.trim().into(),
            locale: input.locale,
            permissions: dedup(input.permissions.unwrap_or_else(|| DEFAULT_PERMISSIONS.to_vec())),
            status: PartnerStatus::Invited,
            organization_name: None,
            users: Vec::new(),
            invitation_id: Some(invitation_id.clone()),
            version: 1,
            created_at: now,
            accepted_at: None,
            revoked_at: None,
            digest: None,
            wake_at: None,
        };
        let events = vec![partner.invited(invitation_id, false)];
        Ok((partner, events))
    }

    fn invited(&self, invitation_id: String, resent: bool) -> PartnerEvent {
        PartnerEvent::PartnerInvited {
            invitation_id,
            resent,
            name: self.name.clone(),
            email: self.email.clone(),
            locale: self.locale,
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// A new invitation link; the old one stops working. An expired invitation never blocks it.
    pub fn resend(&mut self, invitation_id: String) -> Result<Vec<PartnerEvent>, DomainError> {
        match self.status {
            PartnerStatus::Invited => {}
            PartnerStatus::Active => {
                return Err(DomainError::Conflict(
                    "the partner has accepted already; add users to it instead".into(),
                ))
            }
            PartnerStatus::Revoked => return Err(DomainError::Conflict("the partner is revoked".into())),
        }
        self.invitation_id = Some(invitation_id.clone());
        self.version += 1;
        Ok(vec![self.invited(invitation_id, true)])
    }

    /// Whether an invitation link still works (not used, not replaced, not revoked).
    pub fn invitation_open(&self, invitation_id: &str) -> bool {
        self.status == PartnerStatus::Invited && self.invitation_id.as_deref() == Some(invitation_id)
    }

    /// The partner accepts with its organisation name and first user.
    pub fn accept(
        &mut self,
        invitation_id: &str,
        organization_name: &str,
        user: UserInput,
        user_id: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerEvent>, DomainError> {
        if !self.invitation_open(invitation_id) {
            return Err(DomainError::Gone("this invitation was used, replaced or revoked"));
        }
        let mut errors = Vec::new();
        require_text(organization_name, "organization_name", 200, &mut errors);
        into_result(errors)?;
        validate_user(&user, "user.")?;
        self.status = PartnerStatus::Active;
        self.organization_name = Some(organization_name.trim().into());
        self.invitation_id = None;
        self.accepted_at = Some(now);
        self.push_user(user, user_id.clone(), now);
        Ok(vec![PartnerEvent::PartnerAccepted {
            user_id,
            organization_name: organization_name.trim().into(),
        }])
    }

    /// Staff add a user to an active partner; the user is emailed a portal link.
    pub fn add_user(
        &mut self,
        user: UserInput,
        user_id: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerEvent>, DomainError> {
        if self.status != PartnerStatus::Active {
            return Err(DomainError::Conflict(
                "users can be added to active partners only".into(),
            ));
        }
        validate_user(&user, "")?;
        if self
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(user.email.trim()))
        {
            return Err(DomainError::Invalid(vec![FieldError::new(
                "email",
                "duplicate",
                "is a user of this partner already",
            )]));
        }
        let added = self.push_user(user, user_id, now);
        Ok(vec![PartnerEvent::PartnerUserAdded {
            user_id: added.id.clone(),
            name: added.name.clone(),
            email: added.email.clone(),
            locale: added.locale,
        }])
    }

    fn push_user(&mut self, user: UserInput, id: String, now: DateTime<Utc>) -> &PartnerUser {
        self.version += 1;
        self.users.push(PartnerUser {
            id,
            name: user.name.trim().into(),
            email: user.email.trim().into(),
            locale: user.locale,
            added_at: now,
        });
        &self.users[self.users.len() - 1]
    }

    pub fn set_permissions(&mut self, permissions: Vec<Permission>) -> Result<Vec<PartnerEvent>, DomainError> {
        if self.status == PartnerStatus::Revoked {
            return Err(DomainError::Conflict("the partner is revoked".into()));
        }
        let old = self.permissions.clone();
        self.permissions = dedup(permissions);
        self.version += 1;
        Ok(vec![PartnerEvent::PartnerPermissionsChanged {
            old,
            new: self.permissions.clone(),
        }])
    }

    /// Revokes the partner: its links and its users' sessions stop working.
    pub fn revoke(&mut self, now: DateTime<Utc>) -> Result<Vec<PartnerEvent>, DomainError> {
        if self.status == PartnerStatus::Revoked {
            return Err(DomainError::Conflict("the partner is revoked already".into()));
        }
        self.status = PartnerStatus::Revoked;
        self.invitation_id = None;
        self.revoked_at = Some(now);
        self.version += 1;
        Ok(vec![PartnerEvent::PartnerRevoked {}])
    }
}

impl Partner {
    fn calendar(time_zone: &str) -> crate::due::RunCalendar {
        crate::due::RunCalendar {
            time_zone: time_zone.to_string(),
            holiday_region: None,
        }
    }

    /// Turns the daily digest on (the first one the next morning, or this morning if it has
    /// not come yet) or off; `time_zone`: the tenant's.
    pub fn set_digest(
        &mut self,
        on: bool,
        time_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerEvent>, DomainError> {
        if self.status == PartnerStatus::Revoked {
            return Err(DomainError::Conflict("the partner is revoked".into()));
        }
        if on == self.digest.is_some() {
            return Ok(Vec::new());
        }
        self.digest = on.then(|| {
            let calendar = Self::calendar(time_zone);
            let today = calendar.day_of(now);
            let next_day = if calendar.morning_of(today) > now {
                today
            } else {
                today + chrono::Duration::days(1)
            };
            Digest {
                time_zone: time_zone.to_string(),
                next_day,
            }
        });
        self.version += 1;
        Ok(vec![PartnerEvent::PartnerDigestChanged { enabled: on }])
    }

    /// When its next digest is due (none: off, or the partner is not active).
    pub fn digest_wake(&self) -> Option<DateTime<Utc>> {
        let d = self.digest.as_ref().filter(|_| self.status == PartnerStatus::Active)?;
        Some(Self::calendar(&d.time_zone).morning_of(d.next_day))
    }

    /// Records the digest made at `now` with the open tasks it lists; the next one is
    /// tomorrow's (one digest however many days the sweeper missed). No email without tasks.
    pub fn record_digest(&mut self, tasks: Vec<DigestTask>, now: DateTime<Utc>) -> Vec<PartnerEvent> {
        let Some(d) = self.digest.as_mut() else {
            return Vec::new();
        };
        let today = Self::calendar(&d.time_zone).day_of(now);
        d.next_day = d.next_day.max(today) + chrono::Duration::days(1);
        self.version += 1;
        if tasks.is_empty() {
            return Vec::new();
        }
        vec![PartnerEvent::PartnerDigestSent { tasks }]
    }
}

/// A partner as the API shows it: everything but the open invitation's id (which only its
/// link may carry).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
    pub permissions: &'a [Permission],
    pub status: PartnerStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<&'a str>,
    pub users: &'a [PartnerUser],
    pub version: u64,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its users get a daily digest of its open tasks instead of reminders per step.
    pub digest: bool,
}

impl Partner {
    pub fn view(&self) -> PartnerView<'_> {
        PartnerView {
            id: &self.id,
            name: &self.name,
            email: &self.email,
            locale: self.locale,
            permissions: &self.permissions,
            status: self.status,
            organization_name: self.organization_name.as_deref(),
            users: &self.users,
            version: self.version,
            created_at: self.created_at,
            accepted_at: self.accepted_at,
            revoked_at: self.revoked_at,
            digest: self.digest.is_some(),
        }
    }
}

/// The portal participant id of a partner organisation: its users share its tasks.
pub fn participant_of(partner_id: &str) -> String {
    format!("partner-{partner_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invited() -> Partner {
        let input = PartnerInput {
            name: "Install AG".into(),
            email: "office@install.example".into(),
            locale: Some(Lang::Fr),
            permissions: None,
        };
        Partner::invite("p1".into(), input, "inv1".into(), Utc::now())
            .unwrap()
            .0
    }

    fn user(email: &str) -> UserInput {
        UserInput {
            name: "Ina".into(),
            email: email.into(),
            locale: None,
        }
    }

    #[test]
    fn invitation_lifecycle() {
        let mut p = invited();
        assert_eq!(p.permissions, DEFAULT_PERMISSIONS.to_vec());
        p.resend("inv2".into()).unwrap();
        // The old link is dead, the new one works once.
        assert!(matches!(
            p.accept(
                "inv1",
                "Install AG",
                user("ina@install.example"),
                "u1".into(),
                Utc::now()
            ),
            Err(DomainError::Gone(_))
        ));
        assert!(matches!(
            p.accept("inv2", " ", user("ina@install.example"), "u1".into(), Utc::now()),
            Err(DomainError::Invalid(_))
        ));
        p.accept(
            "inv2",
            "Install AG",
            user("ina@install.example"),
            "u1".into(),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(p.status, PartnerStatus::Active);
        assert!(matches!(
            p.accept("inv2", "Install AG", user("x@install.example"), "u2".into(), Utc::now()),
            Err(DomainError::Gone(_))
        ));
        assert!(matches!(p.resend("inv3".into()), Err(DomainError::Conflict(_))));
        p.add_user(user("max@install.example"), "u2".into(), Utc::now())
            .unwrap();
        assert!(matches!(
            p.add_user(user("MAX@install.example"), "u3".into(), Utc::now()),
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(p.users.len(), 2);
        p.revoke(Utc::now()).unwrap();
        assert!(matches!(
            p.add_user(user("z@install.example"), "u4".into(), Utc::now()),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(p.revoke(Utc::now()), Err(DomainError::Conflict(_))));
    }

    #[test]
    fn revoked_invitations_are_gone() {
        let mut p = invited();
        p.revoke(Utc::now()).unwrap();
        assert!(!p.invitation_open("inv1"));
        assert!(matches!(
            p.accept("inv1", "X", user("a@b.ch"), "u".into(), Utc::now()),
            Err(DomainError::Gone(_))
        ));
    }
}
