//! Teams of staff: the team item and its events.

use chrono::{DateTime, Utc};
use domain::events::{Actor, TeamEvent};
use domain::team::{Team, TeamInput};
use store::{Item, Table};

use super::aggregate::aggregate;
use super::{Aggregate, Idempotency, PageParams};
use crate::error::AppResult;
use crate::keys;

impl Aggregate for Team {
    aggregate!(TeamEvent, "team", keys::team);
    fn events_pk(tenant: &str, id: &str) -> String {
        keys::team_events_pk(tenant, id)
    }
}

/// Creates a team (with an idempotency key, a retry gets the team the first request made).
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    input: TeamInput,
    actor: &Actor,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Team> {
    let idem = Idempotency::new(tenant, "team", &actor.id, idempotency_key, &input);
    let (team, events) = Team::create(domain::ids::new_id(), input, now)?;
    super::create(table, tenant, team, &events, actor, idem, now).await
}

pub async fn list(table: &dyn Table, tenant: &str, page: &PageParams) -> AppResult<(Vec<Team>, Option<Item>)> {
    super::list_in(table, tenant, keys::teams_pk(tenant), keys::TEAM_SK_PREFIX, page).await
}
