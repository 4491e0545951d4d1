//! Teams of staff: a step assigned to a team is announced to every member and taken by the
//! one who claims it (see [`crate::collaboration`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldError};
pub use crate::events::TeamEvent;
use crate::i18n::Lang;
use crate::{into_result, require_email, require_text};

/// A member: a staff user (their token's `sub`) and where their emails go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Lang>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    pub name: String,
    #[serde(default)]
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub members: Vec<Member>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const MAX_MEMBERS: usize = 100;

impl TeamInput {
    fn checked(self) -> Result<TeamInput, DomainError> {
        let mut errors = Vec::new();
        require_text(&self.name, "name", 200, &mut errors);
        if self.members.len() > MAX_MEMBERS {
            errors.push(FieldError::new(
                "members",
                "too_many",
                format!("at most {MAX_MEMBERS} members"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.members.iter().enumerate() {
            let at = format!("members[{i}]");
            require_text(&m.user_id, &format!("{at}.user_id"), 200, &mut errors);
            require_email(&m.email, &format!("{at}.email"), &mut errors);
            if m.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
                errors.push(FieldError::too_long(format!("{at}.name"), 200));
            }
            if !seen.insert(m.user_id.trim().to_string()) {
                errors.push(FieldError::new(
                    format!("{at}.user_id"),
                    "duplicate",
                    "is a member already",
                ));
            }
        }
        into_result(errors)?;
        Ok(TeamInput {
            name: self.name.trim().to_string(),
            members: self
                .members
                .into_iter()
                .map(|m| Member {
                    user_id: m.user_id.trim().to_string(),
                    email: m.email.trim().to_string(),
                    name: m.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                    locale: m.locale,
                })
                .collect(),
        })
    }
}

impl Team {
    pub fn create(id: String, input: TeamInput, now: DateTime<Utc>) -> Result<(Team, Vec<TeamEvent>), DomainError> {
        let input = input.checked()?;
        let team = Team {
            id,
            name: input.name,
            members: input.members,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = TeamEvent::TeamCreated {
            name: team.name.clone(),
            members: team.member_ids(),
        };
        Ok((team, vec![event]))
    }

    /// Replaces the name and the members.
    pub fn update(&mut self, input: TeamInput, now: DateTime<Utc>) -> Result<Vec<TeamEvent>, DomainError> {
        let input = input.checked()?;
        self.name = input.name;
        self.members = input.members;
        self.updated_at = now;
        self.version += 1;
        Ok(vec![TeamEvent::TeamChanged {
            name: self.name.clone(),
            members: self.member_ids(),
        }])
    }

    pub fn member_ids(&self) -> Vec<String> {
        self.members.iter().map(|m| m.user_id.clone()).collect()
    }

    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, email: &str) -> Member {
        Member {
            user_id: id.into(),
            email: email.into(),
            name: None,
            locale: None,
        }
    }

    #[test]
    fn a_team_has_a_name_and_distinct_members_with_addresses() {
        let now = Utc::now();
        let bad = TeamInput {
            name: " ".into(),
            members: vec![member("a", "a@u.example"), member("a", "x"), member("", "b@u.example")],
        };
        let Err(DomainError::Invalid(errors)) = Team::create("t1".into(), bad, now) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "members[1].email", "members[1].user_id", "members[2].user_id"]
        );
        let ok = TeamInput {
            name: " Back office ".into(),
            members: vec![member(" a ", "a@u.example")],
        };
        let (mut team, events) = Team::create("t1".into(), ok, now).unwrap();
        assert_eq!(team.name, "Back office");
        assert!(team.member("a").is_some());
        assert_eq!(events.len(), 1);
        let events = team
            .update(
                TeamInput {
                    name: "BO".into(),
                    members: vec![],
                },
                now,
            )
            .unwrap();
        assert_eq!(team.version, 2);
        assert!(matches!(&events[0], TeamEvent::TeamChanged { members, .. } if members.is_empty()));
    }
}
