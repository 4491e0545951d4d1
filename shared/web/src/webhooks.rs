//! process-api, outbound webhooks (admins): subscriptions, their delivery logs, redelivery.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{created, history_of, staff_actor, staff_change, to_json, AppState, Routes};
use crate::auth::Admin;
use crate::error::{ApiResult, Problem};
use crate::views::Page;
use app::repo::PageParams;
use app::webhooks;
use domain::webhook::{Delivery, Subscription, SubscriptionInput};

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/webhooks", post(subscribe).get(list))
        .route("/v1/webhooks/{id}", get(get_one).put(update))
        .route("/v1/webhooks/{id}/history", get(history))
        .route("/v1/webhooks/{id}/deliveries", get(deliveries))
        .route("/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", post(redeliver))
}

/// A new subscription with its signing secret, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
struct Subscribed {
    #[serde(flatten)]
    subscription: Subscription,
    secret: String,
}

/// Subscribes a URL to event types (admins). Deliveries are signed with the secret returned
/// here (`Webhook-Signature: t=…,v1=…`), carry `Webhook-Id`, and are retried for a day.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("jwt" = [])),
    request_body = SubscriptionInput,
    responses((status = 201, description = "The subscription and its secret (shown once)", body = Subscribed),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an https URL, or an unknown event type", body = Problem, content_type = "application/problem+json")))]
async fn subscribe(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<Response> {
    let id = &admin.0;
    let owner = super::triggers::owner_of(id);
    let actor = staff_actor(id);
    let allow = s.config.webhooks_allow_private;
    let (subscription, secret) = webhooks::subscribe(
        s.table.as_ref(),
        &id.tenant_id,
        input,
        owner,
        allow,
        &actor,
        s.config.clock.now(),
    )
    .await?;
    Ok(created(to_json(&Subscribed { subscription, secret })))
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of subscriptions", body = Page<Subscription>)))]
async fn list(State(s): State<AppState>, admin: Admin, ApiQuery(page): ApiQuery<PageParams>) -> ApiResult<Json<Value>> {
    let (items, last) = webhooks::list(s.table.as_ref(), &admin.0.tenant_id, &page).await?;
    Ok(Json(to_json(&Page::new(items, last))))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", security(("jwt" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription", body = Subscription)))]
async fn get_one(State(s): State<AppState>, admin: Admin, ApiPath(sid): ApiPath<String>) -> ApiResult<Json<Value>> {
    let sub: Subscription = app::repo::load(s.table.as_ref(), &admin.0.tenant_id, &sid).await?;
    Ok(Json(to_json(&sub)))
}

/// Changes a subscription; `enabled: true` turns a disabled one on again.
#[utoipa::path(put, path = "/v1/webhooks/{id}", tag = "webhooks", security(("jwt" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    request_body = SubscriptionInput,
    responses((status = 200, description = "The subscription", body = Subscription)))]
async fn update(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(sid): ApiPath<String>,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<Json<Value>> {
    let sub = staff_change(&s, &admin.0, &sid, |x: &mut Subscription, _, now| x.update(input, now)).await?;
    Ok(Json(to_json(&sub)))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}/history", tag = "webhooks", security(("jwt" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, admin: Admin, ApiPath(sid): ApiPath<String>) -> ApiResult<Json<Value>> {
    history_of::<Subscription>(&s, &admin.0, &sid).await
}

/// The subscription's deliveries, newest first: status, attempts, each attempt's response
/// code and the first KB of its answer.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("jwt" = [])),
    params(("id" = String, Path, description = "The subscription's id"), PageParams),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>)))]
async fn deliveries(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath(sid): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let (items, last) = webhooks::deliveries(s.table.as_ref(), &admin.0.tenant_id, &sid, &page).await?;
    Ok(Json(to_json(&Page::new(items, last))))
}

/// Sends a delivered or dead delivery again, now (a new day of retries if it fails).
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("jwt" = [])),
    params(("id" = String, Path, description = "The subscription's id"), ("delivery_id" = String, Path, description = "The delivery's id")),
    responses((status = 200, description = "The delivery after the new attempt", body = Delivery),
        (status = 409, description = "It is still being tried", body = Problem, content_type = "application/problem+json")))]
async fn redeliver(
    State(s): State<AppState>,
    admin: Admin,
    ApiPath((sid, did)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let actor = staff_actor(&admin.0);
    let d = webhooks::redeliver(
        s.table.as_ref(),
        &admin.0.tenant_id,
        &sid,
        &did,
        &actor,
        s.config.clock.now(),
    )
    .await?;
    Ok(Json(to_json(&d)))
}
