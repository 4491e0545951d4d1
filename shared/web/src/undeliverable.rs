//! Undeliverable addresses (staff, served by process-api): what bounced for good or drew a
//! complaint, and clearing a mark once the mailbox works again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Json;
use serde_json::Value;

use super::extract::{ApiPath, ApiQuery};
use super::{page, tenant, AppState, Routes};
use crate::auth::Staff;
use crate::views::Page;
use app::repo::undeliverable::{self, Undeliverable};
use app::repo::PageParams;

pub fn routes() -> Routes {
    Routes::default()
        .route("/v1/undeliverable", get(list))
        .route("/v1/undeliverable/{email}", delete(clear))
}

/// The tenant's undeliverable addresses: no email goes to them.
#[utoipa::path(get, path = "/v1/undeliverable", tag = "runs", security(("jwt" = [])), params(PageParams),
    responses((status = 200, description = "A page of undeliverable addresses", body = Page<Undeliverable>)))]
async fn list(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(p): ApiQuery<PageParams>,
) -> crate::error::ApiResult<Json<Value>> {
    Ok(page(undeliverable::list(s.table.as_ref(), tenant(&id), &p).await?))
}

/// Emails may go to this address again (its mailbox was fixed).
#[utoipa::path(delete, path = "/v1/undeliverable/{email}", tag = "runs", security(("jwt" = [])),
    params(("email" = String, Path, description = "The address")),
    responses((status = 204, description = "The mark is gone")))]
async fn clear(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(email): ApiPath<String>,
) -> crate::error::ApiResult<StatusCode> {
    undeliverable::clear(s.table.as_ref(), tenant(&id), &email).await?;
    Ok(StatusCode::NO_CONTENT)
}
