//! The HTTP side: one `axum::Router` per API area, served by lambda_http in Lambda and by
//! `axum::serve` in `local-server`. Handlers never know which host runs them.

pub mod admin;
pub mod auth;
pub mod collaboration;
pub mod comments;
pub mod documents;
pub mod error;
pub mod extract;
pub mod guard;
pub mod offer;
pub mod openapi;
pub mod order;
pub mod pages;
pub mod partner;
pub mod portal;
pub mod process;
pub mod triggers;
pub mod undeliverable;
pub mod views;
pub mod webhooks;

use std::sync::Arc;

use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ApiResult};
use app::config::Config;
use store::Table;

/// An area's routes with the paths they declare: what the route-table test holds against
/// `infra/template.yaml` (each path is probed for the methods it serves).
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    pub fn route(mut self, path: &'static str, methods: axum::routing::MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn with_state(self, state: AppState) -> Router {
        self.router.with_state(state)
    }
}

/// Every area's routes (local-server merges them into one router).
pub fn all_areas() -> Routes {
    process::table()
        .merge(portal::table())
        .merge(partner::table())
        .merge(offer::table())
        .merge(order::table())
}

/// What every handler gets: the table and the configuration.
#[derive(Clone)]
pub struct AppState {
    pub table: Arc<dyn Table>,
    /// Where documents' files are (S3; local-server's data folder).
    pub blobs: Arc<dyn store::blobs::Blobs>,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn store::blobs::Blobs>, config: Config) -> Self {
        AppState {
            table,
            blobs,
            config: Arc::new(config),
        }
    }
}

async fn not_found() -> Response {
    ApiError::NotFound("route").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}

/// The layers every area shares: a problem+json fallback and request tracing with the
/// request id (the tenant is recorded by the identity extractors).
pub fn finish(router: Router) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(guard::guard))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let request_id = req
                .headers()
                .get("x-request-id")
                .or_else(|| req.headers().get("apigw-requestid"))
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(
                    || match req.extensions().get::<lambda_http::request::RequestContext>() {
                        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
                        _ => None,
                    },
                )
                .unwrap_or_default();
            let path = redact_path(req.uri().path());
            tracing::info_span!("request", method = %req.method(), path, request_id, tenant = tracing::field::Empty)
        }))
}

/// The path as logs may show it: the secret token in access and invitation links is masked.
pub fn redact_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut secret_next = false;
    for segment in path.split('/') {
        out.push(if secret_next { "***" } else { segment });
        secret_next = matches!(segment, "access" | "invitations" | "partner-invitations");
    }
    out.join("/")
}

/// The caller's tenant, recorded on the request span.
pub(crate) fn tenant(id: &crate::auth::Identity) -> &str {
    record_tenant(&id.tenant_id);
    &id.tenant_id
}

/// A staff caller as the actor of a change.
pub(crate) fn staff_actor(id: &crate::auth::Identity) -> domain::events::Actor {
    record_tenant(&id.tenant_id);
    domain::events::Actor::staff(&id.sub, id.name.as_deref())
}

/// A staff member's command on an aggregate: one read, the command, one conditional write
/// with its events (the staff member is their actor).
pub(crate) async fn staff_change<A, F>(
    s: &AppState,
    id: &crate::auth::Identity,
    aggregate_id: &str,
    command: F,
) -> ApiResult<A>
where
    A: app::repo::Aggregate,
    F: FnOnce(
        &mut A,
        &domain::events::Actor,
        chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<A::Event>, domain::DomainError>,
{
    let who = staff_actor(id);
    let changed = app::repo::change(
        s.table.as_ref(),
        &id.tenant_id,
        aggregate_id,
        &who,
        s.config.clock.now(),
        |a: &mut A, now| command(a, &who, now),
    )
    .await?;
    Ok(changed)
}

/// `{"events": [...]}`: an aggregate's history.
pub(crate) async fn history_of<A: app::repo::Aggregate>(
    s: &AppState,
    id: &crate::auth::Identity,
    aggregate_id: &str,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let events = app::repo::history::<A>(s.table.as_ref(), tenant(id), aggregate_id).await?;
    Ok(axum::Json(to_json(&views::History { events })))
}

/// `{reason}`: why a run is cancelled or an order ended. Required; missing or blank is a 422
/// naming `reason`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonInput {
    /// Why (required, not blank).
    #[serde(default)]
    #[schema(min_length = 1)]
    pub reason: String,
}

/// A page of a list as `{items, next_cursor}`.
pub(crate) fn page<T: serde::Serialize>((items, last): (Vec<T>, Option<store::Item>)) -> axum::Json<serde_json::Value> {
    axum::Json(to_json(&views::Page::new(items, last)))
}

/// A versioned resource with its version as `ETag` (what `If-Match` sends back).
pub(crate) fn with_etag<T: serde::Serialize>(version: u64, body: &T) -> Response {
    let etag = format!("\"{version}\"");
    ([(axum::http::header::ETAG, etag)], axum::Json(to_json(body))).into_response()
}

/// A value as JSON for a response.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// The tenant's default language: its settings, else `DEFAULT_LOCALE`, else German.
pub(crate) async fn tenant_default(s: &AppState, tenant: &str) -> Result<domain::i18n::Lang, ApiError> {
    let stored = app::repo::settings::get_settings(s.table.as_ref(), tenant).await?;
    Ok(stored.default_locale.unwrap_or(s.config.default_locale))
}

/// Records the tenant on the current request span.
pub(crate) fn record_tenant(tenant: &str) {
    tracing::Span::current().record("tenant", tenant);
}

/// 201 Created with a JSON body.
pub fn created(body: serde_json::Value) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_never_reach_the_logs() {
        assert_eq!(super::redact_path("/portal/access/abc123"), "/portal/access/***");
        assert_eq!(
            super::redact_path("/v1/partner-invitations/abc/accept"),
            "/v1/partner-invitations/***/accept"
        );
        assert_eq!(
            super::redact_path("/partners/invitations/abc"),
            "/partners/invitations/***"
        );
        assert_eq!(super::redact_path("/v1/runs/r1"), "/v1/runs/r1");
    }
}
