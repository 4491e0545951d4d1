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
        .route("/v1/settings/history", get(history))
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

/// Who changed which setting or email template, when (admins), oldest first.
#[utoipa::path(get, path = "/v1/settings/history", tag = "settings", security(("jwt" = [])),
    responses((status = 200, description = "The configuration's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, admin: Admin) -> ApiResult<Json<Value>> {
    let events = app::repo::history::<Settings>(s.table.as_ref(), tenant(&admin), "settings").await;
    match events {
        Ok(events) => Ok(Json(super::to_json(&crate::views::History { events }))),
        // Never changed: no history yet.
        Err(e) if e.is_not_found() => Ok(Json(super::to_json(&crate::views::History { events: Vec::new() }))),
        Err(e) => Err(e.into()),
    }
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
    /// The utility's name as pages show it and emails sign it.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[serde(default)]
    default_locale: Option<Lang>,
    /// An https URL of the logo.
    #[serde(default)]
    #[schema(max_length = 500)]
    logo_url: Option<String>,
    /// `#rrggbb` (empty: the default colour).
    #[serde(default)]
    #[schema(pattern = "^(#[0-9a-fA-F]{6})?$")]
    primary_color: Option<String>,
    #[serde(default)]
    support_email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 40)]
    support_phone: Option<String>,
    /// An IANA time zone (`Europe/Zurich`).
    #[serde(default)]
    time_zone: Option<String>,
    /// The sender's display name.
    #[serde(default)]
    #[schema(max_length = 100)]
    sender_name: Option<String>,
    /// Whose public holidays are no business days: `DE`, a state (`DE-BY`, `DE-SN`, …), `AT`
    /// or `CH`.
    #[serde(default)]
    holiday_region: Option<domain::calendar::HolidayRegion>,
    /// The reminders of steps whose process and step set none (`{}`: no reminders).
    #[serde(default)]
    reminders: Option<domain::reminders::ReminderPolicy>,
    /// The size limit of one document in MB (default 25).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    max_document_mb: Option<u32>,
    /// The document types taken, of application/pdf, image/jpeg, image/png, image/heic,
    /// image/heif and image/webp (an empty list: all of them).
    #[serde(default)]
    document_types: Option<Vec<String>>,
    /// Documents wait for a malware scan (GuardDuty Malware Protection for S3) before they
    /// are served.
    #[serde(default)]
    document_scanning: Option<bool>,
}

impl SettingsInput {
    /// Checks every field; an empty string clears a field (except the name).
    fn validate(&self) -> Result<(), domain::DomainError> {
        let mut errors = Vec::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if let Some(name) = &self.name {
            domain::require_text(name, "name", 200, &mut errors);
        }
        let bad = |field: &str, code: &'static str, message: &str| domain::FieldError::new(field, code, message);
        if let Some(url) = given(&self.logo_url) {
            let ok = url.len() <= 500
                && url.starts_with("https://")
                && url.len() > "https://".len()
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'));
            if !ok {
                errors.push(bad("logo_url", "invalid_url", "must be an https URL"));
            }
        }
        if let Some(c) = given(&self.primary_color) {
            if !(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())) {
                errors.push(bad("primary_color", "invalid_color", "must be a colour as #rrggbb"));
            }
        }
        if let Some(e) = given(&self.support_email) {
            domain::require_email(&e, "support_email", &mut errors);
        }
        if let Some(p) = given(&self.support_phone) {
            let ok = p.chars().count() <= 40
                && p.chars().any(|c| c.is_ascii_digit())
                && p.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c));
            if !ok {
                errors.push(bad(
                    "support_phone",
                    "invalid_phone",
                    "must be a phone number (digits, spaces, + - ( ) / .)",
                ));
            }
        }
        if let Some(tz) = given(&self.time_zone) {
            if domain::dates::time_zone(&tz).is_none() {
                errors.push(bad(
                    "time_zone",
                    "invalid_time_zone",
                    "must be an IANA time zone such as Europe/Berlin",
                ));
            }
        }
        if let Some(n) = given(&self.sender_name) {
            let ok = n.chars().count() <= 100
                && !n
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '<' | '>' | '"' | '@' | ',' | ';'));
            if !ok {
                errors.push(bad(
                    "sender_name",
                    "invalid_sender_name",
                    "must be a name without < > \" @ , ; (at most 100 characters)",
                ));
            }
        }
        for (i, t) in self.document_types.iter().flatten().enumerate() {
            if !domain::document::DEFAULT_TYPES.contains(&t.as_str()) {
                errors.push(bad(
                    &format!("document_types[{i}]"),
                    "not_an_option",
                    "must be one of application/pdf, image/jpeg, image/png, image/heic, image/heif, image/webp",
                ));
            }
        }
        if let Some(policy) = &self.reminders {
            policy.validate("reminders", &mut errors);
        }
        if self.max_document_mb.is_some_and(|mb| !(1..=100).contains(&mb)) {
            errors.push(bad("max_document_mb", "out_of_range", "must be 1-100"));
        }
        domain::into_result(errors)
    }
}

/// Changes the tenant's settings: fields left out stay as they are; an empty string clears one.
#[utoipa::path(put, path = "/v1/settings", tag = "settings", security(("jwt" = [])),
    request_body = SettingsInput,
    responses((status = 200, description = "The settings", body = Settings)))]
async fn put_settings(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<Json<Value>> {
    input.validate()?;
    let set = |slot: &mut Option<String>, v: Option<String>| {
        if let Some(v) = v {
            let v = v.trim().to_string();
            *slot = (!v.is_empty()).then_some(v);
        }
    };
    let change = |st: &mut Settings| {
        set(&mut st.name, input.name);
        if input.default_locale.is_some() {
            st.default_locale = input.default_locale;
        }
        set(&mut st.logo_url, input.logo_url);
        set(
            &mut st.primary_color,
            input.primary_color.map(|c| c.to_ascii_lowercase()),
        );
        set(&mut st.support_email, input.support_email);
        set(&mut st.support_phone, input.support_phone);
        set(&mut st.time_zone, input.time_zone);
        set(&mut st.sender_name, input.sender_name);
        if input.holiday_region.is_some() {
            st.holiday_region = input.holiday_region;
        }
        if input.max_document_mb.is_some() {
            st.max_document_mb = input.max_document_mb;
        }
        if let Some(policy) = input.reminders {
            st.reminders = (policy != Default::default()).then_some(policy);
        }
        if let Some(types) = input.document_types {
            st.document_types = (!types.is_empty()).then_some(types);
        }
        if let Some(on) = input.document_scanning {
            st.document_scanning = on;
        }
    };
    let saved = settings::put_settings(s.table.as_ref(), tenant(&admin), change, &super::staff_actor(&admin.0)).await?;
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
    settings::put_template(s.table.as_ref(), tenant(&admin), &o, &super::staff_actor(&admin.0)).await?;
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
    settings::delete_template(
        s.table.as_ref(),
        tenant(&admin),
        kind.name(),
        lang,
        &super::staff_actor(&admin.0),
    )
    .await?;
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
