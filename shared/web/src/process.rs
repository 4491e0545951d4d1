//! process-api: journeys, process definitions, runs and steps (staff).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::extract::{idempotency_key, if_match_version, ApiJson, ApiPath, ApiQuery, OptionalJson};
use super::{created, finish, history_of, page, staff_change, tenant, to_json, with_etag, AppState, Routes};
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::views::Page;
use app::repo::definitions::{self as defs, Definition};
use app::repo::runs::{self, RunFilter};
use app::repo::PageParams;
use domain::journey::{Journey, JourneyInput};
use domain::process::{Process, ProcessInput};
use domain::run::{Creator, Run, RunInput};

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    Routes::default()
        .route("/v1/journeys", post(create_journey).get(list_of::<Journey>))
        .route("/v1/journeys/{id}", get(get_of::<Journey>))
        .route("/v1/processes", post(create_process).get(list_of::<Process>))
        .route(
            "/v1/processes/{id}",
            get(get_of::<Process>).put(update_process).delete(archive_process),
        )
        .route("/v1/processes/{id}/duplicate", post(duplicate_process))
        .route("/v1/processes/{id}/runs", post(start_run))
        .route("/v1/runs", get(list_runs))
        .route("/v1/runs/{id}", get(get_run))
        .route("/v1/runs/{id}/steps/{key}/complete", post(complete_step))
        .route("/v1/runs/{id}/cancel", post(cancel_run))
        .route("/v1/runs/{id}/history", get(history))
        .merge(super::admin::routes())
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}

async fn create_journey(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiJson(input): ApiJson<JourneyInput>,
) -> ApiResult<Response> {
    let journey = defs::create_journey(s.table.as_ref(), tenant(&id), input).await?;
    Ok(created(to_json(&journey)))
}

/// A page of the tenant's journeys or processes.
async fn list_of<D: Definition>(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Value>> {
    Ok(page(defs::list::<D>(s.table.as_ref(), tenant(&id), &p).await?))
}

/// A journey or process, with its version as `ETag`.
async fn get_of<D: Definition>(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(did): ApiPath<String>,
) -> ApiResult<Response> {
    let d: D = defs::get(s.table.as_ref(), tenant(&id), &did).await?;
    Ok(with_etag(d.version(), &d))
}

async fn create_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiJson(input): ApiJson<ProcessInput>,
) -> ApiResult<Response> {
    let process = defs::create_process(s.table.as_ref(), tenant(&id), input).await?;
    Ok(created(to_json(&process)))
}

async fn update_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ProcessInput>,
) -> ApiResult<Json<Value>> {
    let expected = if_match_version(&headers)?;
    let process = defs::update_process(s.table.as_ref(), tenant(&id), &pid, expected, input).await?;
    Ok(Json(to_json(&process)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DuplicateInput {
    #[serde(default)]
    name: Option<String>,
}

async fn duplicate_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    OptionalJson(input): OptionalJson<DuplicateInput>,
) -> ApiResult<Response> {
    let process = defs::duplicate_process(s.table.as_ref(), tenant(&id), &pid, input.name).await?;
    Ok(created(to_json(&process)))
}

async fn archive_process(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
) -> ApiResult<StatusCode> {
    defs::archive_process(s.table.as_ref(), tenant(&id), &pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn start_run(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(pid): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RunInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let t = tenant(&id);
    let process: Process = defs::get(s.table.as_ref(), t, &pid).await?;
    let creator = Creator {
        sub: id.sub.clone(),
        email: id.email.clone(),
        name: id.name.clone(),
        locale: id.locale,
    };
    let run = runs::create(s.table.as_ref(), t, &process, input, creator, key.as_deref()).await?;
    Ok(created(to_json(&run.view())))
}

async fn list_runs(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiQuery(f): ApiQuery<RunFilter>,
) -> ApiResult<Json<Value>> {
    let (items, last) = runs::list(s.table.as_ref(), tenant(&id), &f).await?;
    Ok(Json(to_json(&Page::new(
        items.iter().map(|r| r.view()).collect::<Vec<_>>(),
        last,
    ))))
}

async fn get_run(State(s): State<AppState>, Staff(id): Staff, ApiPath(rid): ApiPath<String>) -> ApiResult<Json<Value>> {
    let run: Run = app::repo::load(s.table.as_ref(), tenant(&id), &rid).await?;
    Ok(Json(to_json(&run.view())))
}

async fn complete_step(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath((rid, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, who, now| run.complete(&key, who, now)).await?;
    Ok(Json(to_json(&run.view())))
}

async fn cancel_run(
    State(s): State<AppState>,
    Staff(id): Staff,
    ApiPath(rid): ApiPath<String>,
    ApiJson(input): ApiJson<crate::ReasonInput>,
) -> ApiResult<Json<Value>> {
    let run = staff_change(&s, &id, &rid, |run: &mut Run, _, now| run.cancel(&input.reason, now)).await?;
    Ok(Json(to_json(&run.view())))
}

async fn history(State(s): State<AppState>, Staff(id): Staff, ApiPath(rid): ApiPath<String>) -> ApiResult<Json<Value>> {
    history_of::<Run>(&s, &id, &rid).await
}
