//! Time for development: the sweeper runs in-process (every `LOCAL_SWEEP_SECONDS`, default
//! 60), and loopback clients can move local-server's clock forward and sweep at once, so the
//! whole reminder story (before due, overdue, escalation, digests) can be tried in minutes:
//!
//! - `GET /local/clock`: what "now" is, and how far ahead of the system clock;
//! - `POST /local/clock {"days": 3, "hours": 2, "minutes": 0}`: moves it forward (never back),
//!   then sweeps;
//! - `POST /local/sweep`: one sweep now.
//!
//! Only on local-server, and only for clients on a loopback address (403 otherwise).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::clock::Clock;
use axum::extract::{ConnectInfo, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use store::Table;
use web::error::ApiError;
use web::extract::ApiJson;

#[derive(Clone)]
pub struct TimeState {
    pub table: Arc<dyn Table>,
    pub clock: Clock,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    days: u32,
    #[serde(default)]
    hours: u32,
    #[serde(default)]
    minutes: u32,
}

fn loopback_only(peer: SocketAddr) -> Result<(), ApiError> {
    if peer.ip().is_loopback() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("the clock is for loopback clients only"))
    }
}

fn clock_json(clock: &Clock) -> Value {
    json!({"now": clock.now(), "ahead_seconds": clock.ahead().num_seconds()})
}

async fn show(State(t): State<TimeState>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Result<Json<Value>, ApiError> {
    loopback_only(peer)?;
    Ok(Json(clock_json(&t.clock)))
}

async fn advance(
    State(t): State<TimeState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(by): ApiJson<Advance>,
) -> Result<Json<Value>, ApiError> {
    loopback_only(peer)?;
    if by.days > 3650 || by.hours > 100_000 || by.minutes > 1_000_000 {
        return Err(ApiError::from(app::error::AppError::invalid(
            "days",
            "out_of_range",
            "at most 3650 days (100000 hours, 1000000 minutes) at once",
        )));
    }
    let step = chrono::Duration::days(i64::from(by.days))
        + chrono::Duration::hours(i64::from(by.hours))
        + chrono::Duration::minutes(i64::from(by.minutes));
    t.clock.advance(step);
    let swept = app::sweeper::tick(t.table.as_ref(), t.clock.now()).await?;
    let mut body = clock_json(&t.clock);
    body["swept"] = json!(swept);
    Ok(Json(body))
}

async fn sweep(
    State(t): State<TimeState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Json<Value>, ApiError> {
    loopback_only(peer)?;
    let swept = app::sweeper::tick(t.table.as_ref(), t.clock.now()).await?;
    Ok(Json(json!({"now": t.clock.now(), "swept": swept})))
}

pub fn routes(state: TimeState) -> Router {
    Router::new()
        .route("/local/clock", get(show).post(advance))
        .route("/local/sweep", post(sweep))
        .with_state(state)
}

/// The in-process sweeper: a tick every `LOCAL_SWEEP_SECONDS` (default 60) at the clock's now.
pub async fn run(state: TimeState) {
    let every = std::env::var("LOCAL_SWEEP_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(60);
    loop {
        tokio::time::sleep(Duration::from_secs(every)).await;
        if let Err(e) = app::sweeper::tick(state.table.as_ref(), state.clock.now()).await {
            tracing::warn!(error = %e, "sweep failed; the next tick tries again");
        }
    }
}
