//! What a participant sees: their tasks, a run and its steps, a step's form, in their
//! language. The JSON routes and the pages show the same views.

use chrono::{DateTime, Utc};
use domain::i18n::{pick_in, Lang};
use domain::journey::LocalizedField;
use domain::partner::Permission;
use domain::run::{JourneySnapshot, Run, RunStatus, RunStep, StepStatus};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiResult;

use super::Participant;
use crate::AppState;
use app::repo::runs;

/// A journey (the step's form) in the reader's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JourneyView {
    pub id: String,
    pub name: String,
    pub fields: Vec<LocalizedField>,
}

impl JourneyView {
    pub fn new(journey: &JourneySnapshot, lang: Lang, tenant_default: Lang) -> Self {
        JourneyView {
            id: journey.id.clone(),
            name: journey.name.pick(lang, tenant_default).to_string(),
            fields: journey
                .fields
                .iter()
                .map(|f| f.localized(lang, tenant_default))
                .collect(),
        }
    }
}

/// One of the participant's tasks, in their language (`GET /portal/tasks`, the task page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub run_id: String,
    pub step_key: String,
    pub name: String,
    pub info_text: Option<String>,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The due date as the reader writes it, in the utility's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date_text: Option<String>,
    /// How far away it is ("in 3 days", "2 days overdue"), for open steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_relative: Option<String>,
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneyView>,
    pub run_title: Option<String>,
    pub process_name: String,
    pub run_status: RunStatus,
    /// Staff sent it back for changes.
    pub changes_requested: bool,
}

/// A step of a run as the participant sees it; what only the assignee needs is on their steps.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub key: String,
    pub name: String,
    pub status: StepStatus,
    pub mine: bool,
    /// On the participant's own steps only; the schema lists these fields as optional
    /// properties of the step (see `openapi::OwnStepFields`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub own: Option<OwnStepView>,
}

/// What the assignee of a step sees of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnStepView {
    pub info_text: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// The due date (an appointment: with its time) as the reader writes it, in the
    /// utility's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date_text: Option<String>,
    /// How far away it is, while the step is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_relative: Option<String>,
    pub overdue: bool,
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<JourneyView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub submission: Option<Map<String, Value>>,
    pub can_complete: bool,
    pub can_set_due_date: bool,
    /// The step's documents the reader sees (shared ones and their own).
    pub documents: Vec<DocumentView>,
    /// What the step needs before it can be done, and whether it is there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_documents: Vec<RequiredDocumentView>,
    /// Whether the reader may add documents to it now.
    pub can_upload: bool,
    /// Staff sent the step back: why, and which fields to look at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes_requested: Option<ChangesRequestedView>,
}

/// Why the step came back to the reader.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangesRequestedView {
    pub reason: String,
    /// Keys of the fields concerned (may be empty: the whole step).
    pub fields: Vec<String>,
    pub requested_at: DateTime<Utc>,
    /// When, as the reader writes it.
    pub requested_at_text: String,
}

/// A document as a participant sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub name: String,
    pub size: u64,
    /// The size as the reader writes it (`1,2 MB`).
    pub size_text: String,
    pub content_type: String,
    pub uploaded_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// Uploaded by the reader.
    pub mine: bool,
    /// The reader may remove it (their own, while the step is active).
    pub can_remove: bool,
    pub status: domain::document::DocumentStatus,
}

/// A required document of a step, in the reader's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequiredDocumentView {
    pub key: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    pub done: bool,
}

/// Where the run stands and what is needed from this participant (`GET /portal/runs/{id}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortalRunView {
    pub run_id: String,
    pub title: String,
    pub process_name: String,
    pub status: RunStatus,
    pub test: bool,
    pub current_step: Option<String>,
    pub steps: Vec<StepView>,
}

impl PortalRunView {
    pub fn new(p: &Participant, run: &Run, now: DateTime<Utc>) -> Self {
        let lang = p.lang();
        let all_steps = p.may(Permission::RunsViewAllSteps);
        let mine = |step: &RunStep| run.participant_for(step).is_some_and(|x| x.id == p.0.participant_id);
        let steps = run
            .steps
            .iter()
            .filter(|step| all_steps || mine(step))
            .map(|step| StepView {
                key: step.key.clone(),
                name: step.name.pick(lang, p.2).to_string(),
                status: step.status,
                mine: mine(step),
                own: mine(step).then(|| OwnStepView {
                    info_text: step
                        .info_texts
                        .for_kind(step.assignee.kind())
                        .and_then(|t| pick_in(t, lang, p.2))
                        .map(str::to_string),
                    due_at: step.due_at,
                    due_date_text: step.due_at.map(|d| {
                        if p.may_set_due_dates() {
                            domain::dates::short_date_time(d, p.3.tz, lang)
                        } else {
                            domain::dates::long_date(d, p.3.tz, lang)
                        }
                    }),
                    due_relative: step
                        .due_at
                        .filter(|_| step.status == StepStatus::Active)
                        .map(|d| domain::dates::relative_due(d, now, p.3.tz, lang)),
                    overdue: step.status == StepStatus::Active
                        && step.due_at.is_some_and(|d| domain::dates::overdue(d, now)),
                    completed_at: step.completed_at,
                    journey: step.journey.as_ref().map(|j| JourneyView::new(j, lang, p.2)),
                    submission: step.submission.as_ref().map(|s| s.data.clone()),
                    can_complete: step.status == StepStatus::Active && p.may(Permission::TasksComplete),
                    can_set_due_date: step.status == StepStatus::Active && p.may_set_due_dates(),
                    documents: documents_of(run, step, p),
                    required_documents: {
                        let missing = run.missing_documents(&step.key);
                        step.required_documents
                            .iter()
                            .map(|r| RequiredDocumentView {
                                key: r.key.clone(),
                                label: r.label.pick(lang, p.2).to_string(),
                                types: r.types.clone(),
                                done: !missing.iter().any(|m| m.key == r.key),
                            })
                            .collect()
                    },
                    can_upload: step.status == StepStatus::Active
                        && run.status == RunStatus::Running
                        && p.may(Permission::DocumentsUpload),
                    changes_requested: step
                        .changes_requested
                        .as_ref()
                        .filter(|_| step.status == StepStatus::Active)
                        .map(|c| ChangesRequestedView {
                            reason: c.reason.clone(),
                            fields: c.fields.clone(),
                            requested_at: c.requested_at,
                            requested_at_text: domain::dates::short_date_time(c.requested_at, p.3.tz, lang),
                        }),
                }),
            })
            .collect();
        // Without runs:view_all_steps a partner does not learn which other step is current.
        let current = run
            .current_step()
            .filter(|k| all_steps || run.step(k).is_some_and(mine))
            .map(str::to_string);
        let process_name = run.process_name.pick(lang, p.2).to_string();
        PortalRunView {
            run_id: run.id.clone(),
            title: run.context.title.clone().unwrap_or_else(|| process_name.clone()),
            process_name,
            status: run.status,
            test: run.test,
            current_step: current,
            steps,
        }
    }
}

/// A file size as the reader writes it: KB below a megabyte, else MB with one decimal.
pub fn size_text(bytes: u64, lang: Lang) -> String {
    if bytes < 1024 * 1024 {
        return format!("{} KB", bytes.div_ceil(1024).max(1));
    }
    let tenths = (bytes * 10).div_ceil(1024 * 1024);
    let sep = if lang == Lang::En { "." } else { "," };
    match tenths % 10 {
        0 => format!("{} MB", tenths / 10),
        t => format!("{}{sep}{t} MB", tenths / 10),
    }
}

/// The step's documents the participant sees.
fn documents_of(run: &Run, step: &RunStep, p: &Participant) -> Vec<DocumentView> {
    let reader = &p.0.participant_id;
    let active = step.status == StepStatus::Active && run.status == RunStatus::Running;
    run.visible_documents(Some((reader, p.may(Permission::RunsViewAllSteps))))
        .into_iter()
        .filter(|d| d.step_key.as_deref() == Some(step.key.as_str()))
        .map(|d| {
            let mine = &d.uploaded_by.id == reader && d.uploaded_by.kind == p.0.kind;
            DocumentView {
                id: d.id.clone(),
                name: d.name.clone(),
                size: d.size,
                size_text: size_text(d.size, p.lang()),
                content_type: d.content_type.clone(),
                uploaded_at: d.uploaded_at,
                requirement: d.requirement.clone(),
                mine,
                can_remove: mine && active,
                status: d.status,
            }
        })
        .collect()
}

impl TaskView {
    /// A task row in the reader's language.
    pub fn from_row(row: runs::TaskRow, p: &Participant, now: DateTime<Utc>) -> TaskView {
        let (lang, tenant_default, tz) = (p.lang(), p.2, p.3.tz);
        let open =
            matches!(row.status, StepStatus::Active | StepStatus::Pending) && row.run_status == RunStatus::Running;
        TaskView {
            due_date_text: row.due_at.map(|d| domain::dates::long_date(d, tz, lang)),
            due_relative: row
                .due_at
                .filter(|_| open)
                .map(|d| domain::dates::relative_due(d, now, tz, lang)),
            overdue: open && row.due_at.is_some_and(|d| domain::dates::overdue(d, now)),
            run_id: row.run_id,
            step_key: row.step_key,
            name: row.name.pick(lang, tenant_default).to_string(),
            info_text: row
                .info_text
                .as_ref()
                .and_then(|t| pick_in(t, lang, tenant_default))
                .map(str::to_string),
            status: row.status,
            due_at: row.due_at,
            journey: row.journey.as_ref().map(|j| JourneyView::new(j, lang, tenant_default)),
            run_title: row.run_title,
            process_name: row.process_name.pick(lang, tenant_default).to_string(),
            run_status: row.run_status,
            changes_requested: row.changes_requested && row.status == StepStatus::Active,
        }
    }
}

/// The participant's tasks across runs, newest run first, in their language.
pub async fn tasks(s: &AppState, p: &Participant) -> ApiResult<Vec<TaskView>> {
    let rows = runs::tasks_of(s.table.as_ref(), &p.0.tenant_id, &p.0.participant_id).await?;
    let now = s.config.clock.now();
    let mut tasks: Vec<_> = rows.into_iter().map(|row| TaskView::from_row(row, p, now)).collect();
    tasks.sort_by_key(|t| runs::TaskRow::order(t.status, t.due_at));
    Ok(tasks)
}
