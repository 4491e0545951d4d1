//! partner-api: partner organisations (staff), and the public invitation routes and page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::extract::{parse_json, ApiJson, ApiPath, ApiQuery, FormBody};
use super::{created, finish, record_tenant, staff_actor, staff_change, to_json, AppState, Routes};
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, Problem};
use crate::pages::{render_for, Brand, PageError};
use crate::views::Page;
use app::error::AppError;
use app::repo::partners::{self, AcceptInput};
use app::repo::{settings, PageParams};
use domain::i18n::Lang;
use domain::ids::new_id;
use domain::partner::{Partner, PartnerInput, PartnerView, Permission, UserInput};
use domain::DomainError;

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/partners", post(create).get(list))
        .route("/v1/partners/{id}", get(get_one).delete(revoke))
        .route("/v1/partners/{id}/invitation", post(resend))
        .route("/v1/partners/{id}/permissions", put(set_permissions))
        .route("/v1/partners/{id}/digest", put(set_digest))
        .route("/v1/partners/{id}/users", post(add_user))
        .route("/v1/partner-invitations/{token}", get(invitation))
        .route("/v1/partner-invitations/{token}/accept", post(accept))
        .route("/partners/invitations/{token}", get(invitation_page).post(accept_form))
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}

fn view(p: &Partner) -> Value {
    to_json(&p.view())
}

/// Who invites whom (`GET /v1/partner-invitations/{token}` and the invitation page).
#[derive(Serialize, utoipa::ToSchema)]
struct InvitationView {
    inviter: Named,
    partner: InvitedPartner,
    expires_at: chrono::DateTime<chrono::Utc>,
    locale: Lang,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Named {
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct InvitedPartner {
    name: String,
    email: String,
}

/// An accepted invitation: the partner, active, and its first user's portal session.
#[derive(Serialize, utoipa::ToSchema)]
struct Accepted {
    partner_id: String,
    status: domain::partner::PartnerStatus,
    session_token: String,
}

/// A user added to a partner, with the partner.
#[derive(Serialize, utoipa::ToSchema)]
struct UserAdded<'a> {
    partner: domain::partner::PartnerView<'a>,
    user: Option<&'a domain::partner::PartnerUser>,
}

/// Invites a partner organisation: its contact is emailed an invitation link.
#[utoipa::path(post, path = "/v1/partners", tag = "partners", security(("jwt" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first partner")),
    request_body = PartnerInput,
    responses((status = 201, description = "The partner, invited", body = PartnerView),
        (status = 409, description = "A request with this key is in flight", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(s): State<AppState>,
    Staff(id): Staff,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<Response> {
    let key = super::extract::idempotency_key(&headers)?;
    let actor = staff_actor(&id);
    let partner = partners::create(
        s.table.as_ref(),
        &id.tenant_id,
        input,
        &actor,
        key.as_deref(),
        s.config.clock.now(),
    )
    .await?;
    Ok(created(view(&partner)))
}

/// The tenant's partners.
#[utoipa::path(get, path = "/v1/partners", tag = "partners", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of partners", body = Page<PartnerView>)))]
async fn list(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    record_tenant(&id.tenant_id);
    let (items, last) = partners::list(s.table.as_ref(), &id.tenant_id, &p).await?;
    Ok(Json(to_json(&Page::new(
        items.iter().map(Partner::view).collect::<Vec<_>>(),
        last,
    ))))
}

/// A partner with its users.
#[utoipa::path(get, path = "/v1/partners/{id}", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    responses((status = 200, description = "The partner", body = PartnerView)))]
async fn get_one(State(s): State<AppState>, Staff(id): Staff, ApiPath(pid): ApiPath<String>) -> ApiResult<Json<Value>> {
    record_tenant(&id.tenant_id);
    Ok(Json(view(
        &app::repo::load::<domain::partner::Partner>(s.table.as_ref(), &id.tenant_id, &pid).await?,
    )))
}

/// Sends a new invitation link (the old one stops working).
#[utoipa::path(post, path = "/v1/partners/{id}/invitation", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    responses((status = 200, description = "The partner", body = PartnerView), (status = 409, description = "Not possible in the partner's status", body = Problem, content_type = "application/problem+json")))]
async fn resend(State(s): State<AppState>, Staff(id): Staff, ApiPath(pid): ApiPath<String>) -> ApiResult<Json<Value>> {
    let p = staff_change(&s, &id, &pid, |p: &mut Partner, _, _| p.resend(new_id())).await?;
    Ok(Json(view(&p)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PermissionsInput {
    permissions: Vec<Permission>,
}

/// Sets what the partner's users may do.
#[utoipa::path(put, path = "/v1/partners/{id}/permissions", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    request_body = PermissionsInput,
    responses((status = 200, description = "The partner", body = PartnerView), (status = 409, description = "Not possible in the partner's status", body = Problem, content_type = "application/problem+json")))]
async fn set_permissions(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    ApiJson(input): ApiJson<PermissionsInput>,
) -> ApiResult<Json<Value>> {
    let p = staff_change(&s, &id, &pid, |p: &mut Partner, _, _| {
        p.set_permissions(input.permissions)
    })
    .await?;
    Ok(Json(view(&p)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DigestInput {
    enabled: bool,
}

/// Turns the partner's daily digest on or off: its users get one email each morning listing
/// its open and overdue tasks, instead of a reminder email per step.
#[utoipa::path(put, path = "/v1/partners/{id}/digest", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    request_body = DigestInput,
    responses((status = 200, description = "The partner", body = PartnerView), (status = 409, description = "The partner is revoked", body = Problem, content_type = "application/problem+json")))]
async fn set_digest(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    ApiJson(input): ApiJson<DigestInput>,
) -> ApiResult<Json<Value>> {
    let tz = settings::get_settings(s.table.as_ref(), &id.tenant_id).await?.tz();
    let p = staff_change(&s, &id, &pid, |p: &mut Partner, _, now| {
        p.set_digest(input.enabled, tz.name(), now)
    })
    .await?;
    Ok(Json(view(&p)))
}

/// Adds a user to an active partner.
#[utoipa::path(post, path = "/v1/partners/{id}/users", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    request_body = UserInput,
    responses((status = 201, description = "The partner and the new user", body = UserAdded), (status = 409, description = "Not possible in the partner's status", body = Problem, content_type = "application/problem+json")))]
async fn add_user(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<Response> {
    let user_id = new_id();
    let p = staff_change(&s, &id, &pid, |p: &mut Partner, _, now| {
        p.add_user(input, user_id.clone(), now)
    })
    .await?;
    let user = p.users.iter().find(|u| u.id == user_id);
    Ok(created(to_json(&UserAdded {
        partner: p.view(),
        user,
    })))
}

/// Revokes a partner: its sessions stop, its steps can no longer be worked on.
#[utoipa::path(delete, path = "/v1/partners/{id}", tag = "partners", security(("jwt" = [])), params(("id" = String, Path, description = "The partner's id")),
    responses((status = 204, description = "Revoked"), (status = 409, description = "Not possible in the partner's status", body = Problem, content_type = "application/problem+json")))]
async fn revoke(State(s): State<AppState>, Staff(id): Staff, ApiPath(pid): ApiPath<String>) -> ApiResult<StatusCode> {
    staff_change(&s, &id, &pid, |p: &mut Partner, _, now| p.revoke(now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who invites, for the invitation page and apps.
async fn invitation_view(s: &AppState, token: &str) -> ApiResult<(InvitationView, Lang)> {
    let (view, lang, _) = invitation_with_brand(s, token).await?;
    Ok((view, lang))
}

/// The invitation, its reader's language and the utility's look (the page's header).
async fn invitation_with_brand(s: &AppState, token: &str) -> ApiResult<(InvitationView, Lang, Brand)> {
    let (row, partner) = partners::open_invitation(s.table.as_ref(), token, s.config.clock.now()).await?;
    let tenant = settings::get_settings(s.table.as_ref(), &row.tenant_id).await?;
    let brand = Brand::of(&tenant, &row.tenant_id);
    let lang = Lang::resolve(partner.locale, tenant.default_locale.or(Some(s.config.default_locale)));
    let inviter = tenant.name.unwrap_or_else(|| row.tenant_id.clone());
    let view = InvitationView {
        inviter: Named { name: inviter },
        partner: InvitedPartner {
            name: partner.name,
            email: partner.email,
        },
        expires_at: row.expires_at,
        locale: lang,
    };
    Ok((view, lang, brand))
}

/// Who invites whom (public: the link is the credential).
#[utoipa::path(get, path = "/v1/partner-invitations/{token}", tag = "partners", security(()), params(("token" = String, Path, description = "The invitation link's secret")),
    responses((status = 200, description = "The invitation", body = InvitationView),
        (status = 410, description = "The invitation expired, was replaced or used", body = Problem, content_type = "application/problem+json")))]
async fn invitation(State(s): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(to_json(&invitation_view(&s, &token).await?.0)))
}

/// Accepts an invitation: the partner becomes active, its first user gets a portal session.
#[utoipa::path(post, path = "/v1/partner-invitations/{token}/accept", tag = "partners", security(()), params(("token" = String, Path, description = "The invitation link's secret")),
    request_body = AcceptInput,
    responses((status = 200, description = "Accepted", body = Accepted),
        (status = 409, description = "Accepted already", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The invitation expired, was replaced or used", body = Problem, content_type = "application/problem+json")))]
async fn accept(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(input): ApiJson<AcceptInput>,
) -> ApiResult<Json<Value>> {
    let accepted = partners::accept(s.table.as_ref(), &token, input, s.config.clock.now()).await?;
    Ok(Json(to_json(&Accepted {
        partner_id: accepted.partner.id,
        status: accepted.partner.status,
        session_token: accepted.session,
    })))
}

/// The language a browser asks for (`Accept-Language`), when the invitation can't tell.
fn browser_lang(headers: &axum::http::HeaderMap) -> Lang {
    crate::guard::browser_lang(headers).unwrap_or(Lang::FALLBACK)
}

/// An invitation that opens nothing, under the utility it is from (an expired or used
/// invitation's row is kept until its `ttl`), with the way forward.
async fn error_page(s: &AppState, token: &str, e: impl Into<ApiError>, headers: &axum::http::HeaderMap) -> Response {
    let tenant = app::repo::access::tenant_of_invitation(s.table.as_ref(), token)
        .await
        .ok()
        .flatten();
    let brand = match tenant {
        Some(t) => crate::portal::html::branded(s, &t).await,
        None => None,
    };
    PageError::new(e.into(), browser_lang(headers))
        .branded(brand)
        .render("invitation_error")
}

/// The invitation page: who invites, and the form to accept.
#[utoipa::path(get, path = "/partners/invitations/{token}", tag = "pages", security(()), params(("token" = String, Path, description = "The invitation link's secret")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 410, description = "The invitation expired, was replaced or used", content_type = "text/html", body = String)))]
async fn invitation_page(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    match invitation_with_brand(&s, &token).await {
        Ok((invite, lang, brand)) => render_for(
            Some(&brand),
            StatusCode::OK,
            "invitation",
            lang,
            "invitation_title",
            json!({ "invite": invite }),
        ),
        Err(e) => error_page(&s, &token, e, &headers).await,
    }
}

/// The invitation form's fields.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct AcceptForm {
    organization_name: String,
    name: String,
    email: String,
}

/// The invitation form: accepts, sets the portal cookie and goes to the task list, which
/// welcomes the new partner organisation.
#[utoipa::path(post, path = "/partners/invitations/{token}", tag = "pages", security(()), params(("token" = String, Path, description = "The invitation link's secret")),
    request_body(content = AcceptForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Accepted: to /portal?welcome=1, with the session cookie",
            headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 409, description = "Accepted already", content_type = "text/html", body = String),
        (status = 410, description = "The invitation expired, was replaced or used", content_type = "text/html", body = String)))]
async fn accept_form(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: axum::http::HeaderMap,
    FormBody(form): FormBody,
) -> Response {
    let fields: std::collections::HashMap<String, String> = form_urlencoded::parse(&form).into_owned().collect();
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let body =
        json!({"organization_name": get("organization_name"), "user": {"name": get("name"), "email": get("email")}});
    let input: AcceptInput = match parse_json(body.to_string().as_bytes()) {
        Ok(i) => i,
        Err(e) => return error_page(&s, &token, e, &headers).await,
    };
    match partners::accept(s.table.as_ref(), &token, input, s.config.clock.now()).await {
        Ok(accepted) => {
            let cookies = crate::portal::html::session_cookies(&s, &accepted.session, &accepted.tenant_id);
            (cookies, Redirect::to("/portal?welcome=1")).into_response()
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => match invitation_with_brand(&s, &token).await {
            Ok((invite, lang, brand)) => render_for(
                Some(&brand),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invitation",
                lang,
                "invitation_title",
                json!({"invite": invite, "errors": errors}),
            ),
            Err(e) => error_page(&s, &token, e, &headers).await,
        },
        Err(e) => error_page(&s, &token, e, &headers).await,
    }
}
