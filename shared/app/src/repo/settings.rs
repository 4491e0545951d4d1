//! Tenant settings (display name, default language) and email template overrides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::aggregate::aggregate;
use super::{from_item, load, save, to_item, Aggregate};
use crate::error::{stale, AppError, AppResult};
use crate::keys;
use crate::templates::Template;
use domain::events::{Actor, SettingsEvent};
use domain::i18n::Lang;
use store::{Cond, Index, Query, Table, Write};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// The utility's name as emails sign it (default: the tenant id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The language for recipients without one (default: DEFAULT_LOCALE, else de).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<Lang>,
    /// The logo pages and emails show (an https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The pages' primary colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// Where participants get help (pages and emails show it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_phone: Option<String>,
    /// The IANA time zone dates are shown in (default `Europe/Berlin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The sender's display name (`Stadtwerke Musterstadt <portal@…>`; default: the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// Whose public holidays are no business days (`DE`, `DE-BY`, … `AT`, `CH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday_region: Option<domain::calendar::HolidayRegion>,
    /// The size limit of one document in MB (1-100; default 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_document_mb: Option<u32>,
    /// The document types taken (of PDF, JPEG, PNG, HEIC, HEIF, WebP; default all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_types: Option<Vec<String>>,
    /// Documents wait for a malware scan's result (the object's `GuardDutyMalwareScanStatus`
    /// tag) before they are served.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub document_scanning: bool,
    /// The reminders of steps whose process and step name none (default: no reminders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<domain::reminders::ReminderPolicy>,
    #[serde(default)]
    pub version: u64,
}

impl Settings {
    /// The document types the tenant takes.
    pub fn document_types(&self) -> Vec<&'static str> {
        match &self.document_types {
            Some(list) => domain::document::DEFAULT_TYPES
                .iter()
                .copied()
                .filter(|t| list.iter().any(|x| x == t))
                .collect(),
            None => domain::document::DEFAULT_TYPES.to_vec(),
        }
    }

    /// The size limit of one document, in bytes.
    pub fn max_document_size(&self) -> u64 {
        self.max_document_mb
            .map_or(domain::document::DEFAULT_MAX_SIZE, |mb| u64::from(mb) * 1024 * 1024)
    }

    /// The time zone dates are shown in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone
            .as_deref()
            .and_then(domain::dates::time_zone)
            .unwrap_or(domain::dates::DEFAULT_TIME_ZONE)
    }
}

impl Aggregate for Settings {
    aggregate!(SettingsEvent, "settings", singleton keys::settings);
}

/// The tenant's settings; the defaults (version 0) until an admin sets them.
pub async fn get_settings(table: &dyn Table, tenant: &str) -> AppResult<Settings> {
    match load::<Settings>(table, tenant, "settings").await {
        Err(e) if e.is_not_found() => Ok(Settings::default()),
        other => other,
    }
}

/// Changes the settings: `change` gets the current ones (the defaults at first).
pub async fn put_settings(
    table: &dyn Table,
    tenant: &str,
    change: impl FnOnce(&mut Settings),
    actor: &Actor,
) -> AppResult<Settings> {
    record(
        table,
        tenant,
        change,
        |s| SettingsEvent::SettingsChanged {
            name: s.name.clone(),
            default_locale: s.default_locale,
        },
        actor,
        Vec::new(),
    )
    .await
}

/// One change of the tenant's configuration: the settings at their next version (`change`
/// applied), the event `what` says happened, and `extra` writes (a template override), in one
/// transaction; the settings' history is the tenant's configuration history.
async fn record(
    table: &dyn Table,
    tenant: &str,
    change: impl FnOnce(&mut Settings),
    what: impl FnOnce(&Settings) -> SettingsEvent,
    actor: &Actor,
    extra: Vec<Write>,
) -> AppResult<Settings> {
    let current = get_settings(table, tenant).await?;
    let expected = (current.version > 0).then_some(current.version);
    let mut settings = current.clone();
    change(&mut settings);
    settings.version = current.version + 1;
    let events = [what(&settings)];
    save(table, tenant, &settings, expected, &events, actor, Utc::now(), extra)
        .await
        .map_err(stale("the settings"))?;
    Ok(settings)
}

/// A tenant's own version of a template.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateOverride {
    pub kind: String,
    pub locale: Lang,
    #[serde(flatten)]
    pub template: Template,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

pub async fn get_template(
    table: &dyn Table,
    tenant: &str,
    kind: &str,
    lang: Lang,
) -> Result<Option<TemplateOverride>, AppError> {
    let k = keys::template(tenant, kind, lang.code());
    table.get(&k.pk, &k.sk).await?.map(from_item).transpose()
}

/// Stores a tenant's template override, with who did it in the settings' history.
pub async fn put_template(
    table: &dyn Table,
    tenant: &str,
    o: &TemplateOverride,
    actor: &Actor,
) -> Result<(), AppError> {
    let item = to_item(o, keys::template(tenant, &o.kind, o.locale.code()), "template", &[])?;
    let event = SettingsEvent::TemplateChanged {
        kind: o.kind.clone(),
        locale: o.locale,
        removed: false,
    };
    record(
        table,
        tenant,
        |_| {},
        |_| event,
        actor,
        vec![Write::put(item, Cond::None)],
    )
    .await?;
    Ok(())
}

/// Removes a tenant's template override (the built-in one applies again), in the history.
pub async fn delete_template(
    table: &dyn Table,
    tenant: &str,
    kind: &str,
    lang: Lang,
    actor: &Actor,
) -> Result<(), AppError> {
    let k = keys::template(tenant, kind, lang.code());
    let delete = Write::Delete {
        pk: k.pk,
        sk: k.sk,
        cond: Cond::None,
    };
    let event = SettingsEvent::TemplateChanged {
        kind: kind.to_string(),
        locale: lang,
        removed: true,
    };
    record(table, tenant, |_| {}, |_| event, actor, vec![delete]).await?;
    Ok(())
}

/// Every override of a tenant (at most kinds x 4 languages: one page).
pub async fn list_templates(table: &dyn Table, tenant: &str) -> Result<Vec<TemplateOverride>, AppError> {
    let q = Query::new(Index::Primary, keys::templates_pk(tenant))
        .begins_with(keys::TEMPLATE_SK_PREFIX)
        .limit(400);
    table.query(q).await?.items.into_iter().map(from_item).collect()
}
