//! Runs: the run item, its events (outbox and history) and the participants' task rows,
//! always written together in one transaction guarded by the run's version.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{event_writes, events_in, from_item, page_of, to_item, Idempotency, PageParams, Source};
use crate::domain::process::Process;
use crate::domain::run::{Actor, Change, Creator, Run, RunInput, RunStatus};
use crate::error::{stale, ApiError};
use crate::ids::new_id;
use crate::keys;
use crate::store::{Cond, Index, Item, Query, StoreError, Table, Write};

fn run_item(tenant: &str, run: &Run) -> Result<Item, ApiError> {
    let status = run.status.as_str();
    to_item(
        run,
        keys::run(tenant, &run.id),
        "run",
        &[
            ("gsi1pk", keys::runs_by_process(tenant, run.test, &run.process_id)),
            ("gsi1sk", keys::runs_by_process_sk(status, &run.id)),
            ("gsi2pk", keys::runs_by_status(tenant, run.test, status)),
            ("gsi2sk", run.id.clone()),
            ("gsi3pk", keys::runs_all(tenant, run.test)),
            ("gsi3sk", run.id.clone()),
        ],
    )
}

/// One row per step assigned to a portal participant: what `GET /portal/tasks` lists.
fn task_rows(tenant: &str, run: &Run) -> Vec<Item> {
    run.steps
        .iter()
        .filter_map(|step| {
            let p = run.participant_for(step)?;
            let k = keys::task(tenant, &p.id, &run.id, &step.key);
            let row = json!({
                "pk": k.pk, "sk": k.sk, "entity": "task",
                "run_id": run.id, "step_key": step.key, "name": step.name,
                "participant_kind": p.kind, "status": step.status, "due_at": step.due_at,
                "info_text": step.info_texts.for_kind(p.kind), "journey": step.journey,
                "run_title": run.context.title, "process_name": run.process_name, "run_status": run.status,
            });
            match row {
                Value::Object(mut m) => {
                    m.retain(|_, v| !v.is_null());
                    Some(m)
                }
                _ => None,
            }
        })
        .collect()
}

/// What a command did to a run: its changes, who made them, and when.
pub struct Outcome<'a> {
    pub changes: &'a [Change],
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
}

/// Writes the run (new when `expected` is `None`), its events and task rows atomically.
/// `extra` writes (an idempotency record, say) join the same transaction.
pub async fn save(
    table: &dyn Table,
    tenant: &str,
    run: &Run,
    expected: Option<u64>,
    outcome: Outcome<'_>,
    extra: Vec<Write>,
) -> Result<(), StoreError> {
    let cond = expected.map_or(Cond::NotExists, Cond::Version);
    let item = run_item(tenant, run).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut writes = vec![Write::put(item, cond)];
    let source = Source {
        pk: keys::run(tenant, &run.id).pk,
        aggregate: "run",
        id: &run.id,
        version: run.version,
    };
    writes.extend(event_writes(tenant, source, outcome.changes, outcome.actor, outcome.at));
    writes.extend(
        task_rows(tenant, run)
            .into_iter()
            .map(|row| Write::put(row, Cond::None)),
    );
    writes.extend(extra);
    table.transact(writes).await
}

pub async fn get_run(table: &dyn Table, tenant: &str, id: &str) -> Result<Run, ApiError> {
    let k = keys::run(tenant, id);
    let item = table.get(&k.pk, &k.sk).await?.ok_or(ApiError::NotFound("run"))?;
    from_item(item)
}

/// Starts a run of `process`. With an idempotency key, a retry returns the run the first
/// request created instead of starting another one.
pub async fn create_run(
    table: &dyn Table,
    tenant: &str,
    process: &Process,
    input: RunInput,
    creator: Creator,
    idempotency_key: Option<&str>,
) -> Result<Run, ApiError> {
    let journeys = {
        let input = crate::domain::process::ProcessInput {
            name: process.name.clone(),
            description: None,
            steps: process.steps.clone(),
        };
        super::definitions::journeys_of(table, tenant, &input).await?
    };
    let now = Utc::now();
    let actor = Actor::staff(&creator.sub, creator.name.as_deref());
    let (run, changes) = Run::start(new_id(), process, &journeys, input, creator, now)?;
    let idem = Idempotency::new(tenant, &format!("run:{}", process.id), idempotency_key);
    let extra = idem.iter().map(|i| i.write(&run.id)).collect();
    let outcome = Outcome {
        changes: &changes,
        actor: &actor,
        at: now,
    };
    match (save(table, tenant, &run, None, outcome, extra).await, idem) {
        (Ok(()), _) => Ok(run),
        // Only the idempotency record can collide: return the run the first request created.
        (Err(StoreError::ConditionFailed(i)), Some(idem)) if i > 0 => match idem.lookup(table).await? {
            Some(id) => get_run(table, tenant, &id).await,
            None => Err(ApiError::Conflict("retry the request".into())),
        },
        (Err(e), _) => Err(e.into()),
    }
}

/// Applies a state change to a run and saves it with its events (optimistic locking).
pub async fn change_run<F>(table: &dyn Table, tenant: &str, id: &str, actor: &Actor, apply: F) -> Result<Run, ApiError>
where
    F: FnOnce(&mut Run, DateTime<Utc>) -> Result<Vec<Change>, ApiError>,
{
    let mut run = get_run(table, tenant, id).await?;
    let expected = run.version;
    let now = Utc::now();
    let changes = apply(&mut run, now)?;
    save(
        table,
        tenant,
        &run,
        Some(expected),
        Outcome {
            changes: &changes,
            actor,
            at: now,
        },
        Vec::new(),
    )
    .await
    .map_err(stale("the run"))?;
    Ok(run)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RunFilter {
    pub process_id: Option<String>,
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub test: bool,
    // Not `#[serde(flatten)]`: flattened numbers don't parse from query strings.
    pub limit: Option<u32>,
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
pub async fn list_runs(table: &dyn Table, tenant: &str, f: &RunFilter) -> Result<(Vec<Run>, Option<Item>), ApiError> {
    let status = f.status;
    let q = match (&f.process_id, status) {
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
    let page = f.page();
    let q = page.apply(q.backward(), tenant)?;

    page_of(table.query(q).await?)
}

/// The run's events in order: its history.
pub async fn history(table: &dyn Table, tenant: &str, id: &str) -> Result<Vec<Value>, ApiError> {
    get_run(table, tenant, id).await?;
    events_in(table, &keys::run(tenant, id).pk).await
}

/// A participant's task rows across runs, newest run first (the latest 200 steps).
pub async fn tasks_of(table: &dyn Table, tenant: &str, participant: &str) -> Result<Vec<Item>, ApiError> {
    let q = Query::new(Index::Primary, keys::participant_pk(tenant, participant))
        .begins_with(keys::TASK_SK_PREFIX)
        .limit(200)
        .backward();
    Ok(table.query(q).await?.items)
}
