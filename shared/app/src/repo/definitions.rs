//! Journeys and process definitions.

use chrono::Utc;

use super::{get_as, list_in, to_item, PageParams};
use crate::error::{stale, AppError};
use crate::keys;
use domain::i18n::{Lang, Text};
use domain::ids::new_id;
use domain::journey::{Journey, JourneyInput};
use domain::process::{Process, ProcessInput, ProcessStatus, StepDef};
use domain::run::JourneySnapshot;
use domain::DomainError;
use domain::FieldError;
use store::{Cond, Item, Table, Write};

/// A definition (journey or process): versioned, listed per tenant, without events.
pub trait Definition: serde::Serialize + serde::de::DeserializeOwned + Send + Sync {
    /// The item's `entity` and how errors name it.
    const KIND: &'static str;
    fn key(tenant: &str, id: &str) -> keys::Key;
    /// The tenant's partition of them and their sort-key prefix.
    fn partition(tenant: &str) -> (String, &'static str);
    fn id(&self) -> &str;
    fn version(&self) -> u64;
}

/// Implements [`Definition`] for a type with `id` and `version` fields.
macro_rules! definition {
    ($type:ty, $kind:literal, $key:path, $partition:path, $prefix:path) => {
        impl Definition for $type {
            const KIND: &'static str = $kind;
            fn key(tenant: &str, id: &str) -> keys::Key {
                $key(tenant, id)
            }
            fn partition(tenant: &str) -> (String, &'static str) {
                ($partition(tenant), $prefix)
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> u64 {
                self.version
            }
        }
    };
}

definition!(
    Journey,
    "journey",
    keys::journey,
    keys::journeys_pk,
    keys::JOURNEY_SK_PREFIX
);
definition!(
    Process,
    "process",
    keys::process,
    keys::processes_pk,
    keys::PROCESS_SK_PREFIX
);

/// A definition by id, or a 404 naming its kind.
pub async fn get<D: Definition>(table: &dyn Table, tenant: &str, id: &str) -> Result<D, AppError> {
    get_as(table, D::key(tenant, id), D::KIND).await
}

/// A page of the tenant's definitions of one kind.
pub async fn list<D: Definition>(
    table: &dyn Table,
    tenant: &str,
    page: &PageParams,
) -> Result<(Vec<D>, Option<Item>), AppError> {
    let (pk, prefix) = D::partition(tenant);
    list_in(table, tenant, pk, prefix, page).await
}

/// Writes a definition: new (`expected` none) or over the version read.
async fn put<D: Definition>(table: &dyn Table, tenant: &str, d: &D, expected: Option<u64>) -> Result<(), AppError> {
    let item = to_item(d, D::key(tenant, d.id()), D::KIND, &[])?;
    let cond = expected.map_or(Cond::NotExists, Cond::Version);
    table
        .transact(vec![Write::put(item, cond)])
        .await
        .map_err(stale(&format!("the {}", D::KIND)))
}

pub async fn create_journey(table: &dyn Table, tenant: &str, input: JourneyInput) -> Result<Journey, AppError> {
    let journey = Journey::create(new_id(), input, Utc::now())?;
    put(table, tenant, &journey, None).await?;
    Ok(journey)
}

/// Checks that every partner and team the steps are assigned to exists in the tenant (and
/// a partner is not revoked).
pub async fn check_partners(table: &dyn Table, tenant: &str, input: &ProcessInput) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for (i, step) in input.steps.iter().enumerate() {
        if let Some(e) = check_assignee(table, tenant, &step.assignee, &format!("steps[{i}].assignee")).await? {
            errors.push(e);
        }
    }
    Ok(domain::into_result(errors)?)
}

/// The error of an assignee whose partner or team does not exist (or the partner is revoked).
pub async fn check_assignee(
    table: &dyn Table,
    tenant: &str,
    assignee: &domain::process::Assignee,
    at: &str,
) -> Result<Option<FieldError>, AppError> {
    use domain::process::Assignee;
    let unknown =
        |field: &str, what: &str| FieldError::new(format!("{at}.{field}"), "unknown", format!("no such {what}"));
    match assignee {
        Assignee::Partner { partner_id } => {
            match super::load::<domain::partner::Partner>(table, tenant, partner_id).await {
                Ok(p) if p.status != domain::partner::PartnerStatus::Revoked => Ok(None),
                Ok(_) => Ok(Some(FieldError::new(
                    format!("{at}.partner_id"),
                    "revoked",
                    "this partner is revoked",
                ))),
                Err(AppError::Domain(DomainError::NotFound(_))) => Ok(Some(unknown("partner_id", "partner"))),
                Err(e) => Err(e),
            }
        }
        Assignee::Team { team_id } => match super::load::<domain::team::Team>(table, tenant, team_id).await {
            Ok(_) => Ok(None),
            Err(AppError::Domain(DomainError::NotFound(_))) => Ok(Some(unknown("team_id", "team"))),
            Err(e) => Err(e),
        },
        Assignee::Staff { .. } | Assignee::Customer | Assignee::Installer => Ok(None),
    }
}

/// Checks that every journey the steps name exists, and returns their snapshots.
pub async fn journeys_of(table: &dyn Table, tenant: &str, steps: &[StepDef]) -> Result<Vec<JourneySnapshot>, AppError> {
    let mut snapshots: Vec<JourneySnapshot> = Vec::new();
    let mut errors = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(id) = &step.journey_id else { continue };
        if snapshots.iter().any(|s| &s.id == id) {
            continue;
        }
        match get::<Journey>(table, tenant, id).await {
            Ok(j) => snapshots.push(JourneySnapshot {
                id: j.id,
                name: j.name,
                fields: j.fields,
            }),
            Err(AppError::Domain(DomainError::NotFound(_))) => errors.push(FieldError::new(
                format!("steps[{i}].journey_id"),
                "unknown",
                "no such journey",
            )),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(snapshots)
    } else {
        Err(AppError::Domain(DomainError::Invalid(errors)))
    }
}

pub async fn create_process(table: &dyn Table, tenant: &str, input: ProcessInput) -> Result<Process, AppError> {
    input.validate()?;
    journeys_of(table, tenant, &input.steps).await?;
    check_partners(table, tenant, &input).await?;
    let process = Process::create(new_id(), input, Utc::now())?;
    put(table, tenant, &process, None).await?;
    Ok(process)
}

/// A new version of the definition; runs already started keep their snapshot.
pub async fn update_process(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    expected_version: u64,
    input: ProcessInput,
) -> Result<Process, AppError> {
    input.validate()?;
    let mut process: Process = get(table, tenant, id).await?;
    if process.version != expected_version {
        return Err(AppError::Domain(DomainError::Conflict(format!(
            "version {expected_version} is stale; the current version is {}",
            process.version
        ))));
    }
    if process.status == ProcessStatus::Archived {
        return Err(AppError::Domain(DomainError::Conflict(
            "an archived process cannot be edited".into(),
        )));
    }
    journeys_of(table, tenant, &input.steps).await?;
    check_partners(table, tenant, &input).await?;
    process.name = input.name.trimmed();
    process.description = input.description;
    process.steps = input.steps;
    process.reminders = input.reminders;
    process.version += 1;
    process.updated_at = Utc::now();
    put(table, tenant, &process, Some(expected_version)).await?;
    Ok(process)
}

pub async fn duplicate_process(
    table: &dyn Table,
    tenant: &str,
    id: &str,
    name: Option<Text>,
) -> Result<Process, AppError> {
    let source: Process = get(table, tenant, id).await?;
    // A blank name is refused by the input's validation.
    let name = name.unwrap_or_else(|| copy_name(&source.name));
    let input = ProcessInput {
        name,
        description: source.description,
        steps: source.steps,
        reminders: source.reminders,
    };
    create_process(table, tenant, input).await
}

/// The name of a copy: the original's, with "(copy)" in each of its languages.
fn copy_name(name: &Text) -> Text {
    let suffix = |lang: Lang| match lang {
        Lang::De => "Kopie",
        Lang::En => "copy",
        Lang::Fr => "copie",
        Lang::It => "copia",
    };
    match name {
        Text::Plain(s) => Text::Plain(format!("{s} (copy)")),
        Text::Langs(t) => Text::Langs(t.iter().map(|(l, s)| (*l, format!("{s} ({})", suffix(*l)))).collect()),
    }
}

/// Archives the definition; running runs continue on their snapshot. A process that an
/// enabled trigger starts stays (409 naming the triggers): replace it there first.
pub async fn archive_process(table: &dyn Table, tenant: &str, id: &str) -> Result<(), AppError> {
    let mut process: Process = get(table, tenant, id).await?;
    if process.status == ProcessStatus::Archived {
        return Ok(());
    }
    let using: Vec<String> = super::triggers::starting(table, tenant, id)
        .await?
        .into_iter()
        .filter(|t| t.enabled)
        .map(|t| format!("{} ({})", t.name, t.id))
        .collect();
    if !using.is_empty() {
        return Err(AppError::conflict(format!(
            "enabled triggers start this process: {}; replace the process there or disable them first",
            using.join(", ")
        )));
    }
    let expected = process.version;
    process.status = ProcessStatus::Archived;
    process.version += 1;
    process.updated_at = Utc::now();
    put(table, tenant, &process, Some(expected)).await
}
