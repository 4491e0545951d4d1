//! Runs: the run item, its events (outbox and history) and the participants' task rows,
//! always written together in one transaction guarded by the run's version.

use chrono::{DateTime, Utc};
use domain::events::{Actor, RunEvent};
use domain::i18n::{I18n, Text};
use domain::process::Process;
use domain::run::{Creator, JourneySnapshot, Run, RunInput, RunStatus, StepStatus};
use serde::Deserialize;
use serde_json::{json, Value};
use store::{Cond, Index, Item, Query, Table, Write};

use super::aggregate::aggregate;
use super::{page_of, Aggregate, Idempotency, PageParams};
use crate::error::AppResult;
use crate::keys;

impl Aggregate for Run {
    aggregate!(RunEvent, "run", keys::run);

    fn wake(&self) -> Option<DateTime<Utc>> {
        Run::wake(self)
    }

    fn woken(&self) -> Option<DateTime<Utc>> {
        self.wake_at
    }

    fn index(&self, tenant: &str) -> Vec<(&'static str, String)> {
        let status = self.status.as_str();
        let overdue = self.overdue().then(|| {
            [
                ("gsi4pk", keys::runs_overdue(tenant, self.test)),
                ("gsi4sk", self.id.clone()),
            ]
        });
        let mut index = vec![
            ("gsi1pk", keys::runs_by_process(tenant, self.test, &self.process_id)),
            ("gsi1sk", keys::runs_by_process_sk(status, &self.id)),
            ("gsi2pk", keys::runs_by_status(tenant, self.test, status)),
            ("gsi2sk", self.id.clone()),
            ("gsi3pk", keys::runs_all(tenant, self.test)),
            ("gsi3sk", self.id.clone()),
        ];
        index.extend(overdue.into_iter().flatten());
        index
    }

    /// One row per step assigned to a portal participant (what `GET /portal/tasks` lists),
    /// and two inbox rows per step (what `GET /v1/tasks` lists, by due date and by
    /// activation). Rows as stored are not written again ([`Aggregate::row_digests`]).
    fn rows(&self, tenant: &str, _new: bool) -> Vec<Write> {
        let mut rows: Vec<Write> = self
            .steps
            .iter()
            .filter_map(|step| {
                let p = self.participant_for(step)?;
                let k = keys::task(tenant, &p.id, &self.id, &step.key);
                let row = json!({
                    "pk": k.pk, "sk": k.sk, "entity": "task",
                    "run_id": self.id, "step_key": step.key, "name": step.name,
                    "participant_kind": p.kind, "status": step.status, "due_at": step.due_at,
                    "info_text": step.info_texts.for_kind(p.kind), "journey": step.journey,
                    "run_title": self.context.title, "process_name": self.process_name, "run_status": self.status,
                    "changes_requested": step.changes_requested.is_some().then_some(true),
                });
                object(row).map(|m| Write::put(m, Cond::None))
            })
            .collect();
        for step in &self.steps {
            rows.extend(super::inbox::rows(tenant, self, step));
        }
        rows
    }

    fn row_digests(&self) -> Option<&[String]> {
        Some(&self.row_digests)
    }
}

/// A JSON object without its null members (absent attributes), as a row.
pub(crate) fn object(v: Value) -> Option<Item> {
    match v {
        Value::Object(mut m) => {
            m.retain(|_, v| !v.is_null());
            Some(m)
        }
        _ => None,
    }
}

/// Starts a run of `process`. With an idempotency key, a retry returns the run the first
/// request created instead of starting another one.
pub async fn create(
    table: &dyn Table,
    tenant: &str,
    process: &Process,
    input: RunInput,
    creator: Creator,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Run> {
    let actor = Actor::staff(&creator.sub, creator.name.as_deref());
    let scope = format!("run:{}", process.id);
    let idem = Idempotency::new(tenant, &scope, &creator.sub, idempotency_key, &input);
    create_once(table, tenant, process, input, creator, actor, idem, now).await
}

/// Starts a run, once per idempotency record (a trigger's: per trigger and source event,
/// whichever process it starts by then), `actor` writing its first events.
#[allow(clippy::too_many_arguments)]
pub async fn create_once(
    table: &dyn Table,
    tenant: &str,
    process: &Process,
    input: RunInput,
    creator: Creator,
    actor: Actor,
    idem: Option<Idempotency>,
    now: DateTime<Utc>,
) -> AppResult<Run> {
    let journeys = super::definitions::journeys_of(table, tenant, &process.steps).await?;
    // The run counts its due dates in the tenant's calendar as it is now.
    let settings = super::settings::get_settings(table, tenant).await?;
    let calendar = domain::due::RunCalendar {
        time_zone: settings.tz().name().to_string(),
        holiday_region: settings.holiday_region,
    };
    let (run, events) = Run::start(
        domain::ids::new_id(),
        process,
        &journeys,
        input,
        creator,
        calendar,
        settings.reminders,
        now,
    )?;
    super::create(table, tenant, run, &events, &actor, idem, now).await
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    /// Only runs of this process.
    pub process_id: Option<String>,
    pub status: Option<RunStatus>,
    /// Test runs instead of real ones.
    #[serde(default)]
    pub test: bool,
    /// Only runs with an overdue step (as the sweeper marked it), newest first; not with
    /// `process_id` or `status` (overdue runs are running).
    #[serde(default)]
    pub overdue: bool,
    // Not `#[serde(flatten)]`: flattened numbers don't parse from query strings.
    /// Items per page (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl RunFilter {
    pub fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// Runs newest first, filtered by process and/or status: one Query per page.
pub async fn list(table: &dyn Table, tenant: &str, f: &RunFilter) -> AppResult<(Vec<Run>, Option<Item>)> {
    if f.overdue && (f.process_id.is_some() || f.status.is_some()) {
        return Err(crate::error::AppError::invalid(
            "overdue",
            "invalid",
            "cannot be combined with process_id or status",
        ));
    }
    let q = match (&f.process_id, f.status) {
        _ if f.overdue => Query::new(Index::Gsi4, keys::runs_overdue(tenant, f.test)),
        (Some(p), s) => {
            let q = Query::new(Index::Gsi1, keys::runs_by_process(tenant, f.test, p));
            match s {
                Some(s) => q.begins_with(format!("{}#", s.as_str())),
                None => q,
            }
        }
        (None, Some(s)) => Query::new(Index::Gsi2, keys::runs_by_status(tenant, f.test, s.as_str())),
        (None, None) => Query::new(Index::Gsi3, keys::runs_all(tenant, f.test)),
    };
    let q = f.page().apply(q.backward(), tenant)?;
    page_of(table.query(q).await?)
}

/// A participant's task row as the run wrote it ([`Run`]'s rows).
#[derive(Debug, Clone, Deserialize)]
pub struct TaskRow {
    pub run_id: String,
    pub step_key: String,
    pub name: Text,
    pub status: StepStatus,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub info_text: Option<I18n>,
    #[serde(default)]
    pub journey: Option<JourneySnapshot>,
    #[serde(default)]
    pub run_title: Option<String>,
    pub process_name: Text,
    pub run_status: RunStatus,
    #[serde(default)]
    pub changes_requested: bool,
}

impl TaskRow {
    /// Waiting for the participant now: an active step of a running run.
    pub fn is_open(&self) -> bool {
        self.status == StepStatus::Active && self.run_status == RunStatus::Running
    }

    /// What needs doing first: active tasks by due date (undated after dated), then the rest.
    pub fn order(status: StepStatus, due_at: Option<DateTime<Utc>>) -> (bool, bool, Option<DateTime<Utc>>) {
        (status != StepStatus::Active, due_at.is_none(), due_at)
    }
}

/// A participant's task rows across runs, newest run first (the latest 200 steps).
pub async fn tasks_of(table: &dyn Table, tenant: &str, participant: &str) -> AppResult<Vec<TaskRow>> {
    let q = Query::new(Index::Primary, keys::participant_pk(tenant, participant))
        .begins_with(keys::TASK_SK_PREFIX)
        .limit(200)
        .backward();
    table.query(q).await?.items.into_iter().map(super::from_item).collect()
}

/// Staff correct a run's customer or installer: the run, its events and the new person's
/// task rows in one transaction with the deletion of the old address's task rows (their task
/// list no longer shows the run; their portal access to it ends with the change).
pub async fn change_participant(
    table: &dyn Table,
    tenant: &str,
    run_id: &str,
    role: &str,
    contact: domain::run::Contact,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Run> {
    super::change(table, tenant, run_id, actor, now, |run: &mut Run, _| {
        run.change_participant(role, contact).map(|(_, events)| events)
    })
    .await
}

/// Staff give a pending or active step to another assignee, whose partner or team must
/// exist; the rows of whoever loses it go in the same transaction.
pub async fn reassign(
    table: &dyn Table,
    tenant: &str,
    run_id: &str,
    key: &str,
    assignee: domain::process::Assignee,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Run> {
    if let Some(e) = super::definitions::check_assignee(table, tenant, &assignee, "assignee").await? {
        return Err(domain::DomainError::Invalid(vec![e]).into());
    }
    super::change(table, tenant, run_id, actor, now, |run: &mut Run, _| {
        run.reassign_step(key, assignee, actor)
    })
    .await
}

/// A member of the step's team claims it: the caller must be on the team now; of parallel
/// claims exactly one wins (the others find the run changed: 409).
pub async fn claim(
    table: &dyn Table,
    tenant: &str,
    run_id: &str,
    key: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Run> {
    let run: Run = super::load(table, tenant, run_id).await?;
    if let Some(domain::process::Assignee::Team { team_id }) = run.step(key).map(|s| &s.assignee) {
        let team: domain::team::Team = super::load(table, tenant, team_id).await?;
        if team.member(&actor.id).is_none() {
            return Err(domain::DomainError::Forbidden("only the team's members claim its steps").into());
        }
    }
    super::change(table, tenant, run_id, actor, now, |run: &mut Run, now| {
        run.claim(key, actor, now)
    })
    .await
}
