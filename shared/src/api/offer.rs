//! offer-api: offers in the back office (admin and staff) and the active offers in the end
//! users' app (role customer).

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{if_match_version, ApiJson, ApiQuery};
use super::{created, finish, record_tenant, AppState};
use crate::auth::{Identity, Role, Staff};
use crate::domain::offer::{Offer, OfferInput};
use crate::domain::run::Actor;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::repo::offers::{self, OfferFilter};
use crate::repo::{orders, page_json, settings};
use crate::store::attr_str;

/// The area's routes, for hosts that merge areas (local-server); finish with [`finish`].
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/offers", post(create_offer).get(list_offers))
        .route("/v1/offers/{id}", get(get_offer).put(update_offer))
        .route("/v1/offers/{id}/activate", post(activate_offer))
        .route("/v1/offers/{id}/close", post(close_offer))
        .route("/v1/offers/{id}/preview", get(preview))
        .route("/v1/app/offers", get(app_offers))
        .with_state(state)
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(routes(state))
}

/// A caller with the `customer` role: an end user of the tenant's app.
#[derive(Debug, Clone)]
pub struct Customer(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let id = Identity::from_request_parts(parts, state).await?;
        if id.roles.contains(&Role::Customer) {
            Ok(Customer(id))
        } else {
            Err(ApiError::Forbidden("this needs the customer role"))
        }
    }
}

pub(crate) fn tenant(id: &Identity) -> &str {
    record_tenant(&id.tenant_id);
    &id.tenant_id
}

pub(crate) fn staff_actor(id: &Identity) -> Actor {
    Actor::staff(&id.sub, id.name.as_deref())
}

/// The tenant's default language: its settings, else `DEFAULT_LOCALE`, else German.
pub(crate) async fn tenant_default(s: &AppState, tenant: &str) -> ApiResult<Lang> {
    let stored = settings::get_settings(s.table.as_ref(), tenant).await?;
    Ok(stored.default_locale.unwrap_or(s.config.default_locale))
}

/// The `If-Match` version when the header is sent (optional on offers and order steps).
pub(crate) fn optional_if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    if headers.contains_key(header::IF_MATCH) {
        if_match_version(headers).map(Some)
    } else {
        Ok(None)
    }
}

fn offer_json(offer: &Offer) -> Value {
    serde_json::to_value(offer).unwrap_or(Value::Null)
}

async fn create_offer(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiJson(input): ApiJson<OfferInput>,
) -> ApiResult<Response> {
    let offer = offers::create_offer(s.table.as_ref(), tenant(&id), input, &staff_actor(&id)).await?;
    Ok(created(offer_json(&offer)))
}

/// Every offer, grouped by category (energy, then hardware; in creation order within a
/// category), optionally of one category and/or status.
async fn list_offers(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(f): ApiQuery<OfferFilter>,
) -> ApiResult<Json<Value>> {
    let (items, last) = offers::list_offers(s.table.as_ref(), tenant(&id), &f).await?;
    Ok(Json(page_json(items.iter().map(offer_json).collect(), last)))
}

async fn get_offer(State(s): State<AppState>, Staff(id): Staff, Path(oid): Path<String>) -> ApiResult<Response> {
    let offer = offers::get_offer(s.table.as_ref(), tenant(&id), &oid).await?;
    let etag = format!("\"{}\"", offer.version);
    Ok(([(header::ETAG, etag)], Json(offer_json(&offer))).into_response())
}

async fn update_offer(
    State(s): State<AppState>,
    Staff(id): Staff,
    Path(oid): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OfferInput>,
) -> ApiResult<Json<Value>> {
    let expected = optional_if_match(&headers)?;
    let offer = offers::update_offer(s.table.as_ref(), tenant(&id), &oid, expected, input, &staff_actor(&id)).await?;
    Ok(Json(offer_json(&offer)))
}

async fn activate_offer(
    State(s): State<AppState>,
    Staff(id): Staff,
    Path(oid): Path<String>,
) -> ApiResult<Json<Value>> {
    let (offer, closed) = offers::activate_offer(s.table.as_ref(), tenant(&id), &oid, &staff_actor(&id)).await?;
    let mut body = offer_json(&offer);
    body["closed_offer_id"] = json!(closed.map(|o| o.id));
    Ok(Json(body))
}

async fn close_offer(State(s): State<AppState>, Staff(id): Staff, Path(oid): Path<String>) -> ApiResult<Json<Value>> {
    let offer = offers::close_offer(s.table.as_ref(), tenant(&id), &oid, &staff_actor(&id)).await?;
    Ok(Json(offer_json(&offer)))
}

#[derive(Deserialize)]
struct PreviewQuery {
    #[serde(default)]
    locale: Option<String>,
}

/// What the app's card and detail page show in `locale` (default: the caller's language).
async fn preview(
    State(s): State<AppState>,
    Staff(id): Staff,
    Path(oid): Path<String>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&id);
    let default = tenant_default(&s, t).await?;
    let lang = match q.locale.as_deref() {
        Some(l) => Lang::parse(l).ok_or_else(|| ApiError::invalid("locale", "must be de, en, fr or it"))?,
        None => Lang::resolve(id.locale, Some(default)),
    };
    let offer = offers::get_offer(s.table.as_ref(), t, &oid).await?;
    Ok(Json(offer.preview(lang, default)))
}

/// The active offers of the user's tenant in the user's language, each with the user's open
/// order of it (or null).
async fn app_offers(State(s): State<AppState>, Customer(id): Customer) -> ApiResult<Json<Value>> {
    let t = tenant(&id);
    let default = tenant_default(&s, t).await?;
    let lang = Lang::resolve(id.locale, Some(default));
    let active = offers::active_offers(s.table.as_ref(), t).await?;
    let open = orders::open_orders_of(s.table.as_ref(), t, &id.sub).await?;
    let items: Vec<Value> = active
        .iter()
        .map(|offer| {
            let mut v = offer.preview(lang, default);
            v["open_order"] = open
                .iter()
                .find(|row| attr_str(row, "offer_id") == Some(offer.id.as_str()))
                .map(|row| {
                    json!({
                        "id": row.get("order_id"),
                        "status": row.get("status"),
                        "current_step": row.get("current_step"),
                    })
                })
                .unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}
