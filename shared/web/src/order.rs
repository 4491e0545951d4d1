//! order-api: end users place and follow their orders (role customer, `/v1/app/orders`);
//! staff move orders through the five steps, cancel and deactivate them; admins set the
//! tenant's five steps.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::extract::{idempotency_key, optional_if_match, ApiJson, ApiPath, ApiQuery};
use super::{
    created, finish, history_of, staff_actor, staff_change, tenant, tenant_default, to_json, AppState, Routes,
};
use crate::auth::{Admin, Customer, Identity};
use crate::error::{ApiError, ApiResult, Problem};
use crate::views::Page;
use app::repo::orders::{self, OrderFilter};
use app::repo::PageParams;
use chrono::{DateTime, Utc};
use domain::events::{Actor, OrderEvent};
use domain::i18n::Lang;
use domain::order::{Order, OrderStepsInput, OrderStepsView, OrderUser, OrderView};
use domain::DomainError;

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/app/orders", post(place_order).get(my_orders))
        .route("/v1/app/orders/{id}", get(my_order))
        .route("/v1/orders", get(list_orders))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/orders/{id}/advance", post(advance))
        .route("/v1/orders/{id}/cancel", post(cancel))
        .route("/v1/orders/{id}/deactivate", post(deactivate))
        .route("/v1/orders/{id}/notes", post(add_note))
        .route("/v1/orders/{id}/answers", axum::routing::put(correct_answers))
        .route("/v1/orders/{id}/history", get(history))
        .route("/v1/order-steps", get(get_steps).put(put_steps))
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}

fn user_of(id: &Identity) -> OrderUser {
    OrderUser {
        sub: id.sub.clone(),
        email: id.email.clone(),
        name: id.name.clone(),
        locale: id.locale,
    }
}

/// The caller's language and the tenant's default.
async fn langs(s: &AppState, id: &Identity) -> ApiResult<(Lang, Lang)> {
    let default = tenant_default(s, tenant(id)).await?;
    Ok((Lang::resolve(id.locale, Some(default)), default))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PlaceOrder {
    offer_id: String,
    /// Answers to the offer's questionnaire, by field key.
    #[serde(default)]
    #[schema(value_type = Object)]
    answers: Map<String, Value>,
}

/// Orders an active offer (one open order per offer and user).
#[utoipa::path(post, path = "/v1/app/orders", tag = "orders", security(("customer_jwt" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first order")),
    request_body = PlaceOrder,
    responses((status = 201, description = "The order", body = OrderView),
        (status = 409, description = "The offer is not active, the user has an open order of it, or a request with this key is in flight", body = Problem, content_type = "application/problem+json")))]
async fn place_order(
    State(s): State<AppState>,
    Customer(id): Customer,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PlaceOrder>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let order = orders::create(
        s.table.as_ref(),
        tenant(&id),
        &input.offer_id,
        input.answers,
        user_of(&id),
        key.as_deref(),
    )
    .await?;
    let (lang, default) = langs(&s, &id).await?;
    Ok(created(to_json(&order.view(lang, default, false))))
}

/// The user's orders as cards, newest first, in their language.
#[utoipa::path(get, path = "/v1/app/orders", tag = "orders", security(("customer_jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of the user's orders", body = Page<OrderView>)))]
async fn my_orders(
    State(s): State<AppState>,
    Customer(id): Customer,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    let found = orders::user_orders(s.table.as_ref(), tenant(&id), &id.sub, &p).await?;
    order_page(&s, &id, found, false).await
}

/// A page of orders in the caller's language (`staff`: with who did what).
async fn order_page(
    s: &AppState,
    id: &Identity,
    (items, last): (Vec<Order>, Option<store::Item>),
    staff: bool,
) -> ApiResult<Json<Value>> {
    let (lang, default) = langs(s, id).await?;
    let views: Vec<_> = items.iter().map(|o| o.view(lang, default, staff)).collect();
    Ok(Json(to_json(&Page::new(views, last))))
}

/// One of the user's orders (404 for anyone else's).
#[utoipa::path(get, path = "/v1/app/orders/{id}", tag = "orders", security(("customer_jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "The order", body = OrderView)))]
async fn my_order(
    State(s): State<AppState>,
    Customer(id): Customer,
    ApiPath(oid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let order = app::repo::load::<domain::order::Order>(s.table.as_ref(), tenant(&id), &oid).await?;
    if order.user.sub != id.sub {
        return Err(ApiError::NotFound("order"));
    }
    let (lang, default) = langs(&s, &id).await?;
    Ok(Json(to_json(&order.view(lang, default, false))))
}

async fn staff_view(s: &AppState, id: &Identity, order: &Order) -> ApiResult<Json<Value>> {
    let (lang, default) = langs(s, id).await?;
    Ok(Json(to_json(&order.view(lang, default, true))))
}

/// A staff command on an order, answered with the order as staff see it.
async fn order_command<F>(s: &AppState, id: &Identity, oid: &str, command: F) -> ApiResult<Json<Value>>
where
    F: FnOnce(&mut Order, &Actor, DateTime<Utc>) -> Result<Vec<OrderEvent>, DomainError>,
{
    let order = staff_change(s, id, oid, command).await?;
    staff_view(s, id, &order).await
}

/// All orders, newest first, optionally with one status.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("jwt" = [])), params(OrderFilter),
    responses((status = 200, description = "A page of orders", body = Page<OrderView>)))]
async fn list_orders(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiQuery(f): ApiQuery<OrderFilter>,
) -> ApiResult<Json<Value>> {
    let found = orders::list(s.table.as_ref(), tenant(&id), &f).await?;
    order_page(&s, &id, found, true).await
}

/// An order as the back office sees it (who did what).
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "The order", body = OrderView)))]
async fn get_order(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let order = app::repo::load::<domain::order::Order>(s.table.as_ref(), tenant(&id), &oid).await?;
    staff_view(&s, &id, &order).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdvanceInput {
    /// The step this request completes; it must be the current one (409 otherwise).
    expected_step: u32,
}

/// Completes the order's current step; after the fifth the order is active.
#[utoipa::path(post, path = "/v1/orders/{id}/advance", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    request_body = AdvanceInput,
    responses((status = 200, description = "The order", body = OrderView), (status = 409, description = "Not possible in the order's status or step", body = Problem, content_type = "application/problem+json")))]
async fn advance(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiJson(input): ApiJson<AdvanceInput>,
) -> ApiResult<Json<Value>> {
    order_command(&s, &id, &oid, |order, who, now| {
        order.advance(input.expected_step, who, now)
    })
    .await
}

/// Cancels an order in progress.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    request_body = crate::ReasonInput,
    responses((status = 200, description = "The order", body = OrderView), (status = 409, description = "Not possible in the order's status or step", body = Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiJson(input): ApiJson<crate::ReasonInput>,
) -> ApiResult<Json<Value>> {
    order_command(&s, &id, &oid, |order, _, now| order.cancel(&input.reason, now)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoteInput {
    text: String,
}

/// Adds an internal note (admins; the end user never sees it and is not told).
#[utoipa::path(post, path = "/v1/orders/{id}/notes", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    request_body = NoteInput,
    responses((status = 200, description = "The order, with its notes", body = OrderView),
        (status = 422, description = "A blank note", body = Problem, content_type = "application/problem+json")))]
async fn add_note(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<Json<Value>> {
    let note_id = domain::ids::new_id();
    order_command(&s, &id, &oid, |order, who, now| {
        order.add_note(note_id, &input.text, who, now)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswersInput {
    /// Every answer, as the questionnaire asks them (what placing the order takes).
    #[schema(value_type = Object)]
    answers: serde_json::Map<String, Value>,
}

/// Corrects the end user's answers while the order is in progress (admins): checked against
/// the questionnaire it was placed with; in the history with its author; the end user is told
/// which answers changed.
#[utoipa::path(put, path = "/v1/orders/{id}/answers", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    request_body = AnswersInput,
    responses((status = 200, description = "The order", body = OrderView),
        (status = 409, description = "Not in progress, or nothing changes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Answers the questionnaire refuses", body = Problem, content_type = "application/problem+json")))]
async fn correct_answers(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiJson(input): ApiJson<AnswersInput>,
) -> ApiResult<Json<Value>> {
    let order: domain::order::Order = app::repo::load(s.table.as_ref(), tenant(&id), &oid).await?;
    let offer: domain::offer::Offer = app::repo::load(s.table.as_ref(), tenant(&id), &order.offer_id).await?;
    order_command(&s, &id, &oid, |order, who, now| {
        order.correct_answers(&offer.questionnaire, input.answers, who, now)
    })
    .await
}

/// Deactivates an active order.
#[utoipa::path(post, path = "/v1/orders/{id}/deactivate", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    request_body = crate::ReasonInput,
    responses((status = 200, description = "The order", body = OrderView), (status = 409, description = "Not possible in the order's status or step", body = Problem, content_type = "application/problem+json")))]
async fn deactivate(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiJson(input): ApiJson<crate::ReasonInput>,
) -> ApiResult<Json<Value>> {
    order_command(&s, &id, &oid, |order, _, now| order.deactivate(&input.reason, now)).await
}

/// An order's events, oldest first.
#[utoipa::path(get, path = "/v1/orders/{id}/history", tag = "orders", security(("jwt" = [])), params(("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "The order's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, Admin(id): Admin, ApiPath(oid): ApiPath<String>) -> ApiResult<Json<Value>> {
    history_of::<Order>(&s, &id, &oid).await
}

/// The tenant's five order steps.
#[utoipa::path(get, path = "/v1/order-steps", tag = "orders", security(("jwt" = [])),
    responses((status = 200, description = "The steps", body = OrderStepsView)))]
async fn get_steps(State(s): State<AppState>, Admin(id): Admin) -> ApiResult<Json<Value>> {
    let steps = orders::get_order_steps(s.table.as_ref(), tenant(&id)).await?;
    Ok(Json(to_json(&steps.view())))
}

/// Sets the tenant's five steps (admins only); orders already placed keep theirs.
#[utoipa::path(put, path = "/v1/order-steps", tag = "orders", security(("jwt" = [])),
    params(("If-Match" = Option<String>, Header, description = "The version edited")),
    request_body = OrderStepsInput,
    responses((status = 200, description = "The steps", body = OrderStepsView),
        (status = 412, description = "Someone changed the steps since that version", body = Problem, content_type = "application/problem+json")))]
async fn put_steps(
    State(s): State<AppState>,
    Admin(id): Admin,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OrderStepsInput>,
) -> ApiResult<Json<Value>> {
    let expected = optional_if_match(&headers)?;
    let steps = orders::put_order_steps(s.table.as_ref(), tenant(&id), input, expected, &staff_actor(&id)).await?;
    Ok(Json(to_json(&steps.view())))
}
