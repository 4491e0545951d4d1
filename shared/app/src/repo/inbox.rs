//! The staff inbox (`GET /v1/tasks`): every step of every run as two rows in its run's
//! partition, one per order (due date, activation), each in the four inbox indexes (see
//! [`crate::keys`]), so any page of any filter combination is one Query.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::i18n::Text;
use domain::process::{Assignee, Owner};
use domain::run::{Claim, Run, RunStatus, RunStep, StepStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{Cond, Index, Item, Query, Table, Write};

use super::runs::object;
use super::{page_of, PageParams};
use crate::error::{AppError, AppResult};
use crate::keys;

/// The two orders, as they appear in the keys.
const ORDERS: [(&str, Order); 2] = [("due", Order::Due), ("act", Order::Activated)];

/// How the inbox is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// By due date, soonest first; steps without one last.
    #[default]
    Due,
    /// By activation (pending steps: the run's start), newest first.
    Activated,
}

/// Whose steps (`me` is resolved by the caller from the verified identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose {
    User(String),
    /// A team's unclaimed steps (claimed ones are their claimer's).
    Team(String),
    Partner(String),
    Customer,
    Installer,
}

impl Whose {
    /// `me`, `user:{id}`, `team:{id}`, `partner:{id}`, `customer` or `installer`.
    pub fn parse(s: &str, me: &str) -> Option<Whose> {
        let id = |rest: &str| Some(rest.to_string()).filter(|r| !r.trim().is_empty() && r.len() <= 200);
        match s.split_once(':') {
            None if s == "me" => Some(Whose::User(me.to_string())),
            None if s == "customer" => Some(Whose::Customer),
            None if s == "installer" => Some(Whose::Installer),
            Some(("user", rest)) => id(rest).map(Whose::User),
            Some(("team", rest)) => id(rest).map(Whose::Team),
            Some(("partner", rest)) => id(rest).map(Whose::Partner),
            _ => None,
        }
    }

    fn key(&self) -> String {
        match self {
            Whose::User(id) => format!("user:{id}"),
            Whose::Team(id) => format!("team:{id}"),
            Whose::Partner(id) => format!("partner:{id}"),
            Whose::Customer => "customer".into(),
            Whose::Installer => "installer".into(),
        }
    }

    /// Whose a step is now.
    fn of(step: &RunStep) -> Whose {
        match (&step.assignee, &step.claimed) {
            (Assignee::Team { .. }, Some(c)) => Whose::User(c.user_id.clone()),
            (Assignee::Team { team_id }, None) => Whose::Team(team_id.clone()),
            (Assignee::Staff { user_id, .. }, _) => Whose::User(user_id.clone()),
            (Assignee::Partner { partner_id }, _) => Whose::Partner(partner_id.clone()),
            (Assignee::Customer, _) => Whose::Customer,
            (Assignee::Installer, _) => Whose::Installer,
        }
    }
}

fn status_key(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Pending => "pending",
        StepStatus::Active => "active",
        StepStatus::Done => "done",
        StepStatus::Skipped => "skipped",
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A step's two inbox rows.
pub fn rows(tenant: &str, run: &Run, step: &RunStep) -> Vec<Write> {
    let status = status_key(step.status);
    let whose = Whose::of(step).key();
    ORDERS
        .iter()
        .filter_map(|(order, kind)| {
            let at = match kind {
                Order::Due => step.due_at.map_or_else(|| "~".to_string(), stamp),
                Order::Activated => stamp(step.activated_at.unwrap_or(run.created_at)),
            };
            let sk = format!("{at}#{}#{}", run.id, step.key);
            let k = keys::inbox_row(tenant, &run.id, order, &step.key);
            let pk = |a: bool, p: bool| {
                keys::inbox(
                    tenant,
                    run.test,
                    order,
                    status,
                    a.then_some(whose.as_str()),
                    p.then_some(run.process_id.as_str()),
                )
            };
            let row = json!({
                "pk": k.pk, "sk": k.sk, "entity": "inbox",
                "gsi1pk": pk(true, true), "gsi1sk": sk,
                "gsi2pk": pk(true, false), "gsi2sk": sk,
                "gsi3pk": pk(false, true), "gsi3sk": sk,
                "gsi4pk": pk(false, false), "gsi4sk": sk,
                "run_id": run.id, "step_key": step.key, "step_name": step.name,
                "process_id": run.process_id, "process_name": run.process_name, "run_title": run.context.title,
                "run_status": run.status, "status": step.status, "assignee": step.assignee,
                "claimed": step.claimed, "owner": step.owner, "due_at": step.due_at,
                "activated_at": step.activated_at,
                "changes_requested": step.changes_requested.is_some().then_some(true),
            });
            object(row).map(|m| Write::put(m, Cond::None))
        })
        .collect()
}

/// A step in the staff inbox.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskEntry {
    pub run_id: String,
    pub step_key: String,
    pub step_name: Text,
    pub process_id: String,
    pub process_name: Text,
    #[serde(default)]
    pub run_title: Option<String>,
    pub run_status: RunStatus,
    pub status: StepStatus,
    pub assignee: Assignee,
    /// A team's step: who claimed it.
    #[serde(default)]
    pub claimed: Option<Claim>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub activated_at: Option<DateTime<Utc>>,
    /// Staff sent it back to its assignee.
    #[serde(default)]
    pub changes_requested: bool,
    /// Active and past its due date.
    #[serde(default)]
    pub overdue: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// `me` (the caller), `user:{id}`, `team:{id}` (a team's unclaimed steps),
    /// `partner:{id}`, `customer` or `installer`; none: everyone's.
    pub assignee: Option<String>,
    /// The steps' status (default `active`).
    pub status: Option<StepStatus>,
    /// Only active steps past their due date (by due date only).
    #[serde(default)]
    pub overdue: bool,
    /// Only steps of this process.
    pub process_id: Option<String>,
    /// Only steps due before this time (by due date only).
    pub due_before: Option<DateTime<Utc>>,
    /// `due` (default: soonest first, undated last) or `activated` (newest first).
    pub sort: Option<Order>,
    /// Steps of test runs instead of real ones.
    #[serde(default)]
    pub test: bool,
    /// Items per page (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of the inbox: one Query, whatever the filters.
pub async fn list(
    table: &dyn Table,
    tenant: &str,
    me: &str,
    f: &TaskFilter,
    now: DateTime<Utc>,
) -> AppResult<(Vec<TaskEntry>, Option<Item>)> {
    let whose = match f.assignee.as_deref() {
        None => None,
        Some(a) => Some(Whose::parse(a, me).ok_or_else(|| {
            AppError::invalid(
                "assignee",
                "invalid",
                "must be me, user:{id}, team:{id}, partner:{id}, customer or installer",
            )
        })?),
    };
    let status = f.status.unwrap_or(StepStatus::Active);
    let order = f.sort.unwrap_or_default();
    if order == Order::Activated && (f.overdue || f.due_before.is_some()) {
        return Err(AppError::invalid(
            "sort",
            "invalid",
            "overdue and due_before list by due date: leave sort out or use due",
        ));
    }
    if f.overdue && status != StepStatus::Active {
        return Err(AppError::invalid("overdue", "invalid", "applies to active steps only"));
    }
    let (order_key, index) = (
        if order == Order::Due { "due" } else { "act" },
        match (whose.is_some(), f.process_id.is_some()) {
            (true, true) => Index::Gsi1,
            (true, false) => Index::Gsi2,
            (false, true) => Index::Gsi3,
            (false, false) => Index::Gsi4,
        },
    );
    let whose_key = whose.as_ref().map(Whose::key);
    let pk = keys::inbox(
        tenant,
        f.test,
        order_key,
        status_key(status),
        whose_key.as_deref(),
        f.process_id.as_deref(),
    );
    let mut q = Query::new(index, pk);
    let before = [f.overdue.then_some(now), f.due_before].into_iter().flatten().min();
    if let Some(b) = before {
        q = q.below(stamp(b));
    }
    if order == Order::Activated {
        q = q.backward();
    }
    let page = PageParams {
        limit: f.limit,
        cursor: f.cursor.clone(),
    };
    let (entries, last): (Vec<TaskEntry>, _) = page_of(table.query(page.apply(q, tenant)?).await?)?;
    let entries = entries
        .into_iter()
        .map(|mut e| {
            e.overdue = e.status == StepStatus::Active
                && e.run_status == RunStatus::Running
                && e.due_at.is_some_and(|d| domain::dates::overdue(d, now));
            e
        })
        .collect();
    Ok((entries, last))
}
