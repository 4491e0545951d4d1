//! offer-api: offers in the back office (admin and staff) and the active offers in the end
//! users' app (role customer).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::{optional_if_match, ApiJson, ApiPath, ApiQuery};
use super::{created, finish, page, staff_actor, tenant, tenant_default, to_json, with_etag, AppState, Routes};
use crate::auth::{Admin, Customer};
use crate::error::{ApiError, ApiResult, Problem};
use crate::views::Page;
use app::repo::offers::{self, OfferFilter};
use app::repo::orders;
use domain::i18n::Lang;
use domain::offer::{Offer, OfferInput, OfferPreview};

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/offers", post(create_offer).get(list_offers))
        .route("/v1/offers/{id}", get(get_offer).put(update_offer))
        .route("/v1/offers/{id}/activate", post(activate_offer))
        .route("/v1/offers/{id}/close", post(close_offer))
        .route("/v1/offers/{id}/preview", get(preview))
        .route("/v1/offers/{id}/history", get(history))
        .route("/v1/offers/preview", post(live_preview))
        .route("/v1/app/offers", get(app_offers))
        .route("/v1/offers/{id}/images/{slot}/uploads", post(ask_image))
        .route(
            "/v1/offers/{id}/images/{slot}/uploads/{upload_id}/confirm",
            post(confirm_image),
        )
        .route("/v1/offer-images/{image_id}", get(image))
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}

/// Creates an offer (a draft).
#[utoipa::path(post, path = "/v1/offers", tag = "offers", security(("jwt" = [])),
    request_body = OfferInput,
    responses((status = 201, description = "The offer", body = Offer)))]
async fn create_offer(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiJson(input): ApiJson<OfferInput>,
) -> ApiResult<Response> {
    let offer = offers::create(s.table.as_ref(), tenant(&id), input, &staff_actor(&id)).await?;
    Ok(created(to_json(&offer)))
}

/// Every offer, grouped by category (energy, then hardware; in creation order within a
/// category), optionally of one category and/or status.
#[utoipa::path(get, path = "/v1/offers", tag = "offers", security(("jwt" = [])), params(OfferFilter),
    responses((status = 200, description = "A page of offers", body = Page<Offer>)))]
async fn list_offers(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiQuery(f): ApiQuery<OfferFilter>,
) -> ApiResult<Json<Value>> {
    Ok(page(offers::list(s.table.as_ref(), tenant(&id), &f).await?))
}

/// An offer, with its version as `ETag`.
#[utoipa::path(get, path = "/v1/offers/{id}", tag = "offers", security(("jwt" = [])), params(("id" = String, Path, description = "The offer's id")),
    responses((status = 200, description = "The offer", body = Offer,
        headers(("ETag" = String, description = "The version, for If-Match")))))]
async fn get_offer(State(s): State<AppState>, Admin(id): Admin, ApiPath(oid): ApiPath<String>) -> ApiResult<Response> {
    let offer = app::repo::load::<domain::offer::Offer>(s.table.as_ref(), tenant(&id), &oid).await?;
    Ok(with_etag(offer.version, &offer))
}

/// An offer's events, oldest first: created, edited, activated, closed, images set (admins).
#[utoipa::path(get, path = "/v1/offers/{id}/history", tag = "offers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The offer's id")),
    responses((status = 200, description = "The offer's events", body = crate::views::History)))]
async fn history(State(s): State<AppState>, Admin(id): Admin, ApiPath(oid): ApiPath<String>) -> ApiResult<Json<Value>> {
    super::history_of::<Offer>(&s, &id, &oid).await
}

/// Changes a draft or active offer (`If-Match`, when sent, must be its version).
#[utoipa::path(put, path = "/v1/offers/{id}", tag = "offers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The offer's id"), ("If-Match" = Option<String>, Header, description = "The version edited")),
    request_body = OfferInput,
    responses((status = 200, description = "The offer", body = Offer), (status = 409, description = "Not possible in the offer's status", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Someone changed the offer since that version", body = Problem, content_type = "application/problem+json")))]
async fn update_offer(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OfferInput>,
) -> ApiResult<Json<Value>> {
    let expected = optional_if_match(&headers)?;
    let offer = offers::update(s.table.as_ref(), tenant(&id), &oid, expected, input, &staff_actor(&id)).await?;
    Ok(Json(to_json(&offer)))
}

/// Activates an offer; the active offer of its category (if any) is closed.
#[utoipa::path(post, path = "/v1/offers/{id}/activate", tag = "offers", security(("jwt" = [])), params(("id" = String, Path, description = "The offer's id")),
    responses((status = 200, description = "The offer, active", body = Activated), (status = 409, description = "Not possible in the offer's status", body = Problem, content_type = "application/problem+json")))]
async fn activate_offer(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let (offer, closed) = offers::activate(s.table.as_ref(), tenant(&id), &oid, &staff_actor(&id)).await?;
    Ok(Json(to_json(&Activated {
        offer: &offer,
        closed_offer_id: closed.map(|o| o.id),
    })))
}

/// An activated offer, with the offer its activation closed (if any).
#[derive(Serialize, utoipa::ToSchema)]
struct Activated<'a> {
    #[serde(flatten)]
    offer: &'a domain::offer::Offer,
    closed_offer_id: Option<String>,
}

/// Closes an offer.
#[utoipa::path(post, path = "/v1/offers/{id}/close", tag = "offers", security(("jwt" = [])), params(("id" = String, Path, description = "The offer's id")),
    responses((status = 200, description = "The offer, closed", body = Offer), (status = 409, description = "Not possible in the offer's status", body = Problem, content_type = "application/problem+json")))]
async fn close_offer(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let offer = offers::close(s.table.as_ref(), tenant(&id), &oid, &staff_actor(&id)).await?;
    Ok(Json(to_json(&offer)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// The language to show (default: the caller's).
    #[serde(default)]
    #[param(value_type = Option<Lang>)]
    locale: Option<String>,
}

/// What the app's card and detail page show in `locale` (default: the caller's language).
#[utoipa::path(get, path = "/v1/offers/{id}/preview", tag = "offers", security(("jwt" = [])), params(("id" = String, Path, description = "The offer's id"), PreviewQuery),
    responses((status = 200, description = "The card and the detail page", body = OfferPreview)))]
async fn preview(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath(oid): ApiPath<String>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&id);
    let (lang, default) = preview_lang(&s, &id, q.locale.as_deref()).await?;
    let offer = app::repo::load::<domain::offer::Offer>(s.table.as_ref(), t, &oid).await?;
    Ok(Json(to_json(&offer.preview(lang, default))))
}

/// The language a preview shows (`locale`, else the caller's), and the tenant's default.
async fn preview_lang(s: &AppState, id: &crate::auth::Identity, locale: Option<&str>) -> ApiResult<(Lang, Lang)> {
    let default = tenant_default(s, tenant(id)).await?;
    let lang = match locale {
        Some(l) => {
            Lang::parse(l).ok_or_else(|| ApiError::invalid("locale", "invalid_locale", "must be de, en, fr or it"))?
        }
        None => Lang::resolve(id.locale, Some(default)),
    };
    Ok((lang, default))
}

/// Unsaved offer content, and the language to show it in.
#[derive(Deserialize, utoipa::ToSchema)]
struct LivePreview {
    #[serde(flatten)]
    offer: OfferInput,
    /// de, en, fr or it (default: the caller's language).
    #[serde(default)]
    #[schema(value_type = Option<Lang>)]
    locale: Option<String>,
}

/// What the app would show for offer content being edited, without storing anything: the
/// same validation as saving (422 with the same fields), then the card and the detail page.
#[utoipa::path(post, path = "/v1/offers/preview", tag = "offers", security(("jwt" = [])),
    request_body = LivePreview,
    responses((status = 200, description = "The card and the detail page", body = OfferPreview),
        (status = 422, description = "What saving would refuse", body = Problem, content_type = "application/problem+json")))]
async fn live_preview(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiJson(input): ApiJson<LivePreview>,
) -> ApiResult<Json<Value>> {
    let (lang, default) = preview_lang(&s, &id, input.locale.as_deref()).await?;
    let (offer, _) = Offer::create("preview".into(), input.offer, s.config.clock.now())?;
    Ok(Json(to_json(&offer.preview(lang, default))))
}

/// An active offer as the app lists it, with the user's open order of it (or null).
#[derive(Serialize, utoipa::ToSchema)]
struct AppOffer {
    #[serde(flatten)]
    offer: OfferPreview,
    open_order: Option<OpenOrder>,
}

/// The user's open order of an offer, from its open-order row.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct OpenOrder {
    #[serde(rename(serialize = "id", deserialize = "order_id"))]
    id: String,
    offer_id: String,
    status: domain::order::OrderStatus,
    #[serde(default)]
    current_step: Option<u8>,
}

/// The active offers of the user's tenant in the user's language, each with the user's open
/// order of it (or null).
#[utoipa::path(get, path = "/v1/app/offers", tag = "offers", security(("customer_jwt" = [])),
    responses((status = 200, description = "The active offers (one page)", body = Page<AppOffer>)))]
async fn app_offers(State(s): State<AppState>, Customer(id): Customer) -> ApiResult<Json<Value>> {
    let t = tenant(&id);
    let default = tenant_default(&s, t).await?;
    let lang = Lang::resolve(id.locale, Some(default));
    let active = offers::active_offers(s.table.as_ref(), t).await?;
    let open: Vec<OpenOrder> = orders::open_orders_of(s.table.as_ref(), t, &id.sub)
        .await?
        .into_iter()
        .map(|row| app::repo::from_item(row).map_err(ApiError::from))
        .collect::<ApiResult<_>>()?;
    let items: Vec<AppOffer> = active
        .iter()
        .map(|offer| AppOffer {
            offer: offer.preview(lang, default),
            open_order: open.iter().find(|o| o.offer_id == offer.id).map(|o| OpenOrder {
                id: o.id.clone(),
                offer_id: o.offer_id.clone(),
                status: o.status,
                current_step: o.current_step,
            }),
        })
        .collect();
    // All active offers fit one page (at most one per category).
    Ok(Json(to_json(&Page::new(items, None))))
}

/// Asks for an upload of an offer's teaser or detail image (a draft's; images only, ≤ 5 MB).
#[utoipa::path(post, path = "/v1/offers/{id}/images/{slot}/uploads", tag = "offers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The offer's id"), ("slot" = String, Path, description = "`teaser` or `detail`")),
    request_body = app::repo::offer_images::ImageInput,
    responses((status = 201, description = "Where to send the file", body = app::repo::uploads::UploadTicket),
        (status = 409, description = "The offer is not a draft", body = Problem, content_type = "application/problem+json")))]
async fn ask_image(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath((oid, slot)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<app::repo::offer_images::ImageInput>,
) -> ApiResult<Response> {
    use app::repo::offer_images;
    let t = tenant(&id);
    let slot = offer_images::slot(&slot)?;
    let offer = app::repo::load::<domain::offer::Offer>(s.table.as_ref(), t, &oid).await?;
    let files = app::repo::uploads::Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
    Ok(crate::created(to_json(
        &offer_images::ask(&files, &offer, slot, input).await?,
    )))
}

/// Confirms an uploaded image: the offer's card or detail page shows it (its URL is public).
#[utoipa::path(post, path = "/v1/offers/{id}/images/{slot}/uploads/{upload_id}/confirm", tag = "offers", security(("jwt" = [])),
    params(("id" = String, Path, description = "The offer's id"), ("slot" = String, Path, description = "`teaser` or `detail`"),
        ("upload_id" = String, Path, description = "The upload's id")),
    responses((status = 200, description = "The offer, with the image's URL", body = Offer),
        (status = 409, description = "Nothing was uploaded yet, or the offer is not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an image, too large or empty (it was deleted)", body = Problem, content_type = "application/problem+json")))]
async fn confirm_image(
    State(s): State<AppState>,
    Admin(id): Admin,
    ApiPath((oid, slot, upload)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    use app::repo::offer_images;
    let t = tenant(&id);
    let slot = offer_images::slot(&slot)?;
    let files = app::repo::uploads::Files::of(s.table.as_ref(), s.blobs.as_ref(), t).await?;
    let who = staff_actor(&id);
    let offer = offer_images::confirm(&files, &oid, slot, &upload, &who, &s.config.portal_base_url).await?;
    Ok(Json(to_json(&offer)))
}

/// An offer image (public: the app and the preview show it): a redirect to a link valid a
/// few minutes, which browsers may keep for four.
#[utoipa::path(get, path = "/v1/offer-images/{image_id}", tag = "offers", security(()),
    params(("image_id" = String, Path, description = "The image's public id")),
    responses((status = 303, description = "To the image", headers(("Location" = String), ("Cache-Control" = String))),
        (status = 404, description = "No such image", body = Problem, content_type = "application/problem+json")))]
async fn image(State(s): State<AppState>, ApiPath(image_id): ApiPath<String>) -> ApiResult<Response> {
    let url = app::repo::offer_images::image_link(s.table.as_ref(), s.blobs.as_ref(), &image_id).await?;
    let location = axum::http::HeaderValue::from_str(&url)
        .map_err(|_| crate::error::ApiError::Internal("an image link is no header value".into()))?;
    let cache = format!("public, max-age={}", app::repo::offer_images::IMAGE_CACHE_SECONDS);
    Ok((
        axum::http::StatusCode::SEE_OTHER,
        [
            (axum::http::header::LOCATION, location),
            (
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_str(&cache)
                    .map_err(|_| crate::error::ApiError::Internal("cache header".into()))?,
            ),
        ],
    )
        .into_response())
}
