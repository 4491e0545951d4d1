//! partner-api: partner organisations (staff), and the public invitation routes and page.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{parse_json, ApiJson, ApiQuery};
use super::{created, finish, record_tenant, staff_actor, AppState};
use crate::auth::Staff;
use crate::domain::partner::{Partner, PartnerInput, Permission, UserInput};
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::ids::new_id;
use crate::repo::partners::{self, AcceptInput};
use crate::repo::{page_json, settings, PageParams};

/// The area's routes, for hosts that merge areas (local-server); finish with [`finish`].
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/partners", post(create).get(list))
        .route("/v1/partners/{id}", get(get_one).delete(revoke))
        .route("/v1/partners/{id}/invitation", post(resend))
        .route("/v1/partners/{id}/permissions", put(set_permissions))
        .route("/v1/partners/{id}/users", post(add_user))
        .route("/v1/partner-invitations/{token}", get(invitation))
        .route("/v1/partner-invitations/{token}/accept", post(accept))
        .route("/partners/invitations/{token}", get(invitation_page).post(accept_form))
        .with_state(state)
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(routes(state))
}

fn view(p: &Partner) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("invitation_id");
    }
    v
}

async fn create(
    State(s): State<AppState>,
    Staff(id): Staff,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<Response> {
    let key = super::extract::idempotency_key(&headers)?;
    let actor = staff_actor(&id);
    let partner = partners::create(s.table.as_ref(), &id.tenant_id, input, &actor, key.as_deref()).await?;
    Ok(created(view(&partner)))
}

async fn list(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    record_tenant(&id.tenant_id);
    let (items, last) = partners::list(s.table.as_ref(), &id.tenant_id, &p).await?;
    Ok(Json(page_json(items.iter().map(view).collect(), last)))
}

async fn get_one(State(s): State<AppState>, Staff(id): Staff, Path(pid): Path<String>) -> ApiResult<Json<Value>> {
    record_tenant(&id.tenant_id);
    Ok(Json(view(&partners::get(s.table.as_ref(), &id.tenant_id, &pid).await?)))
}

async fn resend(State(s): State<AppState>, Staff(id): Staff, Path(pid): Path<String>) -> ApiResult<Json<Value>> {
    let actor = staff_actor(&id);
    let p = partners::change(s.table.as_ref(), &id.tenant_id, &pid, &actor, |p| p.resend(new_id())).await?;
    Ok(Json(view(&p)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionsInput {
    permissions: Vec<Permission>,
}

async fn set_permissions(
    State(s): State<AppState>,
    Staff(id): Staff,
    Path(pid): Path<String>,
    ApiJson(input): ApiJson<PermissionsInput>,
) -> ApiResult<Json<Value>> {
    let actor = staff_actor(&id);
    let p = partners::change(s.table.as_ref(), &id.tenant_id, &pid, &actor, |p| {
        p.set_permissions(input.permissions)
    })
    .await?;
    Ok(Json(view(&p)))
}

async fn add_user(
    State(s): State<AppState>,
    Staff(id): Staff,
    Path(pid): Path<String>,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<Response> {
    let actor = staff_actor(&id);
    let user_id = new_id();
    let now = chrono::Utc::now();
    let p = partners::change(s.table.as_ref(), &id.tenant_id, &pid, &actor, |p| {
        p.add_user(input, user_id.clone(), now)
    })
    .await?;
    let user = p
        .users
        .iter()
        .find(|u| u.id == user_id)
        .map(|u| json!(u))
        .unwrap_or(Value::Null);
    Ok(created(json!({"partner": view(&p), "user": user})))
}

async fn revoke(State(s): State<AppState>, Staff(id): Staff, Path(pid): Path<String>) -> ApiResult<StatusCode> {
    let actor = staff_actor(&id);
    let now = chrono::Utc::now();
    partners::change(s.table.as_ref(), &id.tenant_id, &pid, &actor, |p| p.revoke(now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who invites, for the invitation page and apps.
async fn invitation_view(s: &AppState, token: &str) -> ApiResult<(Value, Lang)> {
    let (row, partner) = partners::open_invitation(s.table.as_ref(), token).await?;
    let tenant = settings::get_settings(s.table.as_ref(), &row.tenant_id).await?;
    let lang = Lang::resolve(partner.locale, tenant.default_locale.or(Some(s.config.default_locale)));
    let inviter = tenant.name.unwrap_or_else(|| row.tenant_id.clone());
    Ok((
        json!({"inviter": {"name": inviter}, "partner": {"name": partner.name, "email": partner.email}, "expires_at": row.expires_at, "locale": lang}),
        lang,
    ))
}

async fn invitation(State(s): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(invitation_view(&s, &token).await?.0))
}

async fn accept(
    State(s): State<AppState>,
    Path(token): Path<String>,
    ApiJson(input): ApiJson<AcceptInput>,
) -> ApiResult<Json<Value>> {
    let (partner, session) = partners::accept(s.table.as_ref(), &token, input).await?;
    Ok(Json(
        json!({"partner_id": partner.id, "status": partner.status, "session_token": session}),
    ))
}

const PAGE: &str = r#"<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ t.title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2a33}label{display:block;margin-top:.8rem}input{padding:.4rem;min-width:18rem}button{margin-top:1rem;padding:.6rem 1.2rem;background:#00577a;color:#fff;border:0;border-radius:4px}.error{color:#a00}</style></head><body>
{% if error %}<h1>{{ t.title }}</h1><p class="error">{{ error }}</p>{% else %}
<h1>{{ t.title }}</h1><p>{{ t.intro }} <strong>{{ invite.inviter.name }}</strong>.</p>
{% if errors %}<ul class="error">{% for e in errors %}<li>{{ e.field }}: {{ e.message }}</li>{% endfor %}</ul>{% endif %}
<form method="post"><label>{{ t.org }}<input name="organization_name" value="{{ invite.partner.name }}" required></label>
<label>{{ t.name }}<input name="name" required></label><label>{{ t.email }}<input type="email" name="email" value="{{ invite.partner.email }}" required></label>
<button type="submit">{{ t.accept }}</button></form>{% endif %}</body></html>"#;

fn page_strings(lang: Lang) -> Value {
    let [title, intro, org, name, email, accept] = match lang {
        Lang::De => [
            "Einladung",
            "Sie sind eingeladen zur Zusammenarbeit mit",
            "Name Ihrer Organisation",
            "Ihr Name",
            "Ihre E-Mail-Adresse",
            "Einladung annehmen",
        ],
        Lang::En => [
            "Invitation",
            "You are invited to work with",
            "Your organisation's name",
            "Your name",
            "Your email address",
            "Accept the invitation",
        ],
        Lang::Fr => [
            "Invitation",
            "Vous êtes invité à collaborer avec",
            "Nom de votre organisation",
            "Votre nom",
            "Votre adresse e-mail",
            "Accepter l'invitation",
        ],
        Lang::It => [
            "Invito",
            "È invitato a collaborare con",
            "Nome della Sua organizzazione",
            "Il Suo nome",
            "Il Suo indirizzo e-mail",
            "Accettare l'invito",
        ],
    };
    json!({"title": title, "intro": intro, "org": org, "name": name, "email": email, "accept": accept})
}

fn render_page(status: StatusCode, ctx: Value) -> Response {
    let env = minijinja::Environment::new();
    match env.render_named_str("invitation.html", PAGE, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::Internal(format!("invitation page: {e}")).into_response(),
    }
}

/// The language a browser asks for (`Accept-Language`), when the invitation can't tell.
fn browser_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|tag| Lang::parse(tag.split(';').next().unwrap_or_default().trim()))
        })
        .unwrap_or(Lang::FALLBACK)
}

fn error_page(e: ApiError, lang: Lang) -> Response {
    if let ApiError::Internal(msg) = &e {
        tracing::error!(error = %msg, "internal error");
    }
    let detail = e.problem()["detail"].clone();
    render_page(
        e.status(),
        json!({"lang": lang.code(), "t": page_strings(lang), "error": detail}),
    )
}

async fn invitation_page(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    match invitation_view(&s, &token).await {
        Ok((invite, lang)) => render_page(
            StatusCode::OK,
            json!({"lang": lang.code(), "t": page_strings(lang), "invite": invite}),
        ),
        Err(e) => error_page(e, browser_lang(&headers)),
    }
}

/// The invitation form: accept, set the portal session cookie, go to the task list.
async fn accept_form(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
    form: axum::body::Bytes,
) -> Response {
    let fields: std::collections::HashMap<String, String> = form_urlencoded::parse(&form).into_owned().collect();
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let body =
        json!({"organization_name": get("organization_name"), "user": {"name": get("name"), "email": get("email")}});
    let input: AcceptInput = match parse_json(body.to_string().as_bytes()) {
        Ok(i) => i,
        Err(e) => return error_page(e, browser_lang(&headers)),
    };
    match partners::accept(s.table.as_ref(), &token, input).await {
        Ok((_, session)) => {
            let cookie = super::portal_html::session_cookie(&s, &session);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/portal")).into_response()
        }
        Err(ApiError::Validation(errors)) => match invitation_view(&s, &token).await {
            Ok((invite, lang)) => render_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"lang": lang.code(), "t": page_strings(lang), "invite": invite, "errors": errors}),
            ),
            Err(e) => error_page(e, browser_lang(&headers)),
        },
        Err(e) => error_page(e, browser_lang(&headers)),
    }
}
