//! Tenant settings (display name, default language) and email template overrides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{from_item, to_item};
use crate::email::Template;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::keys;
use crate::store::{Cond, Index, Query, Table, Write};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The utility's name as emails sign it (default: the tenant id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The language for recipients without one (default: DEFAULT_LOCALE, else de).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<Lang>,
    #[serde(default)]
    pub version: u64,
}

pub async fn get_settings(table: &dyn Table, tenant: &str) -> Result<Settings, ApiError> {
    let k = keys::settings(tenant);
    match table.get(&k.pk, &k.sk).await? {
        Some(item) => from_item(item),
        None => Ok(Settings::default()),
    }
}

pub async fn put_settings(table: &dyn Table, tenant: &str, mut settings: Settings) -> Result<Settings, ApiError> {
    let current = get_settings(table, tenant).await?;
    let cond = if current.version == 0 {
        Cond::NotExists
    } else {
        Cond::Version(current.version)
    };
    settings.version = current.version + 1;
    let item = to_item(&settings, keys::settings(tenant), "settings", &[])?;
    table.transact(vec![Write::put(item, cond)]).await?;
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
) -> Result<Option<TemplateOverride>, ApiError> {
    let k = keys::template(tenant, kind, lang.code());
    table.get(&k.pk, &k.sk).await?.map(from_item).transpose()
}

pub async fn put_template(table: &dyn Table, tenant: &str, o: &TemplateOverride) -> Result<(), ApiError> {
    let item = to_item(o, keys::template(tenant, &o.kind, o.locale.code()), "template", &[])?;
    table.transact(vec![Write::put(item, Cond::None)]).await?;
    Ok(())
}

pub async fn delete_template(table: &dyn Table, tenant: &str, kind: &str, lang: Lang) -> Result<(), ApiError> {
    let k = keys::template(tenant, kind, lang.code());
    table
        .transact(vec![Write::Delete {
            pk: k.pk,
            sk: k.sk,
            cond: Cond::None,
        }])
        .await?;
    Ok(())
}

/// Every override of a tenant (at most kinds x 4 languages: one page).
pub async fn list_templates(table: &dyn Table, tenant: &str) -> Result<Vec<TemplateOverride>, ApiError> {
    let q = Query::new(Index::Primary, keys::templates_pk(tenant))
        .begins_with(keys::TEMPLATE_SK_PREFIX)
        .limit(400);
    table.query(q).await?.items.into_iter().map(from_item).collect()
}
