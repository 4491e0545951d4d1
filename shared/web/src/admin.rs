//! Tenant administration (admins, served by process-api): settings and email templates.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::views::Page;
use serde_json::{Map, Value};

use super::extract::{ApiJson, ApiPath, OptionalJson};
use super::{record_tenant, to_json, AppState, Routes};
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use app::email::notify::template_for;
use app::email::{render, sample_vars, validate, EmailKind, Template};
use app::repo::settings::{self, Settings, TemplateOverride};
use domain::i18n::Lang;

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/settings", get(get_settings).put(put_settings))
        .route("/v1/email-templates", get(list_templates))
        .route(
            "/v1/email-templates/{kind}/{locale}",
            get(get_template).put(put_template).delete(delete_template),
        )
        .route("/v1/email-templates/{kind}/{locale}/preview", post(preview))
}

/// The kinds of email, as the template routes name them.
#[derive(utoipa::ToSchema)]
#[schema(as = EmailKindName, value_type = String)]
#[allow(dead_code)]
struct EmailKindName(String);

fn tenant(a: &Admin) -> &str {
    record_tenant(&a.0.tenant_id);
    &a.0.tenant_id
}

/// The tenant's settings.
#[utoipa::path(get, path = "/v1/settings", tag = "settings", security(("jwt" = [])),
    responses((status = 200, description = "The settings", body = Settings)))]
async fn get_settings(State(s): State<AppState>, admin: Admin) -> ApiResult<Json<Value>> {
    Ok(Json(to_json(
        &settings::get_settings(s.table.as_ref(), tenant(&admin)).await?,
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SettingsInput {
    /// The utility's name as emails sign it (left out: unchanged).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default)]
    default_locale: Option<Lang>,
}

/// Sets the tenant's name and default language.
#[utoipa::path(put, path = "/v1/settings", tag = "settings", security(("jwt" = [])),
    request_body = SettingsInput,
    responses((status = 200, description = "The settings", body = Settings)))]
async fn put_settings(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<Json<Value>> {
    if let Some(name) = &input.name {
        let mut errors = Vec::new();
        domain::require_text(name, "name", 200, &mut errors);
        domain::into_result(errors)?;
    }
    let new = Settings {
        name: input.name.map(|n| n.trim().to_string()),
        default_locale: input.default_locale,
        version: 0,
    };
    let saved = settings::put_settings(s.table.as_ref(), tenant(&admin), new, &super::staff_actor(&admin.0)).await?;
    Ok(Json(to_json(&saved)))
}

/// The kind and language of a template route (404 for unknown ones).
fn kind_and_lang(kind: &str, locale: &str) -> ApiResult<(EmailKind, Lang)> {
    let k = EmailKind::parse(kind).ok_or(ApiError::NotFound("email kind"))?;
    let lang = Lang::ALL
        .into_iter()
        .find(|l| l.code() == locale)
        .ok_or(ApiError::NotFound("email language"))?;
    Ok((k, lang))
}

/// A template of a kind in a language: the tenant's own (`custom`) or the built-in one.
#[derive(Serialize, utoipa::ToSchema)]
struct TemplateView<'a> {
    #[schema(value_type = EmailKindName)]
    kind: &'static str,
    locale: Lang,
    custom: bool,
    subject: &'a str,
    text: &'a str,
    html: Option<&'a str>,
    /// The variables this kind's templates may use.
    #[schema(value_type = Vec<String>)]
    variables: &'static [&'static str],
}

fn template_json(kind: EmailKind, lang: Lang, t: &Template, custom: bool) -> Value {
    to_json(&TemplateView {
        kind: kind.name(),
        locale: lang,
        custom,
        subject: &t.subject,
        text: &t.text,
        html: t.html.as_deref(),
        variables: kind.vars(),
    })
}

/// Every kind of email in every language: the tenant's own template or the built-in one.
#[utoipa::path(get, path = "/v1/email-templates", tag = "settings", security(("jwt" = [])),
    responses((status = 200, description = "All templates (one page)", body = Page<TemplateView>)))]
async fn list_templates(State(s): State<AppState>, admin: Admin) -> ApiResult<Json<Value>> {
    let t = tenant(&admin);
    let overrides = settings::list_templates(s.table.as_ref(), t).await?;
    let mut items = Vec::new();
    for &kind in EmailKind::ALL {
        for lang in Lang::ALL {
            let own = overrides.iter().find(|o| o.kind == kind.name() && o.locale == lang);
            let template = match own {
                Some(o) => o.template.clone(),
                None => app::email::default_template(kind, lang)
                    .ok_or_else(|| ApiError::Internal(format!("no default for {}", kind.name())))?,
            };
            items.push(template_json(kind, lang, &template, own.is_some()));
        }
    }
    Ok(Json(to_json(&Page::new(items, None))))
}

/// One template.
#[utoipa::path(get, path = "/v1/email-templates/{kind}/{locale}", tag = "settings", security(("jwt" = [])),
    params(("kind" = EmailKindName, Path, description = "The email's kind"), ("locale" = Lang, Path, description = "The template's language")),
    responses((status = 200, description = "The template", body = TemplateView)))]
async fn get_template(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath((kind, locale)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (kind, lang) = kind_and_lang(&kind, &locale)?;
    let t = tenant(&admin);
    let custom = settings::get_template(s.table.as_ref(), t, kind.name(), lang)
        .await?
        .is_some();
    let template = template_for(s.table.as_ref(), t, kind, lang).await?;
    Ok(Json(template_json(kind, lang, &template, custom)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    subject: String,
    text: String,
    #[serde(default)]
    html: Option<String>,
}

/// Sets the tenant's own template (checked: it must render with this kind's variables).
#[utoipa::path(put, path = "/v1/email-templates/{kind}/{locale}", tag = "settings", security(("jwt" = [])),
    params(("kind" = EmailKindName, Path, description = "The email's kind"), ("locale" = Lang, Path, description = "The template's language")),
    request_body = TemplateInput,
    responses((status = 200, description = "The template", body = TemplateView)))]
async fn put_template(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath((kind, locale)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Json<Value>> {
    let (kind, lang) = kind_and_lang(&kind, &locale)?;
    let template = Template {
        subject: input.subject,
        text: input.text,
        html: input.html.filter(|h| !h.trim().is_empty()),
    };
    validate(kind, &template)?;
    let o = TemplateOverride {
        kind: kind.name().into(),
        locale: lang,
        template: template.clone(),
        updated_at: chrono::Utc::now(),
        updated_by: admin.0.sub.clone(),
    };
    settings::put_template(s.table.as_ref(), tenant(&admin), &o).await?;
    Ok(Json(template_json(kind, lang, &template, true)))
}

/// Goes back to the built-in template.
#[utoipa::path(delete, path = "/v1/email-templates/{kind}/{locale}", tag = "settings", security(("jwt" = [])),
    params(("kind" = EmailKindName, Path, description = "The email's kind"), ("locale" = Lang, Path, description = "The template's language")),
    responses((status = 204, description = "The built-in template applies again")))]
async fn delete_template(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath((kind, locale)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let (kind, lang) = kind_and_lang(&kind, &locale)?;
    settings::delete_template(s.table.as_ref(), tenant(&admin), kind.name(), lang).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewInput {
    /// Values for some of the kind's variables (the rest are samples).
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, String>>)]
    variables: Option<Map<String, Value>>,
}

/// Renders the template in force with sample values (the body may be left out).
#[utoipa::path(post, path = "/v1/email-templates/{kind}/{locale}/preview", tag = "settings", security(("jwt" = [])),
    params(("kind" = EmailKindName, Path, description = "The email's kind"), ("locale" = Lang, Path, description = "The template's language")),
    request_body(content = Option<PreviewInput>, description = "Optional"),
    responses((status = 200, description = "Subject, text and HTML", body = app::email::Rendered)))]
async fn preview(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath((kind, locale)): ApiPath<(String, String)>,
    OptionalJson(input): OptionalJson<PreviewInput>,
) -> ApiResult<Json<Value>> {
    let (kind, lang) = kind_and_lang(&kind, &locale)?;
    let mut vars = sample_vars(kind);
    let known = kind.vars();
    for (k, v) in input.variables.unwrap_or_default() {
        if !known.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                format!("variables.{k}"),
                "unknown_variable",
                format!("unknown variable; this email knows {}", known.join(", ")),
            ));
        }
        vars[k.as_str()] = match v {
            Value::String(_) => v,
            other => Value::String(other.to_string()),
        };
    }
    let template = template_for(s.table.as_ref(), tenant(&admin), kind, lang).await?;
    let r = render(&template, &vars).map_err(|e| ApiError::invalid("template", "does_not_render", e.to_string()))?;
    Ok(Json(to_json(&r)))
}
