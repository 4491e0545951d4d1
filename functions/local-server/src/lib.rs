//! Every API area in one process on 127.0.0.1, on the embedded store, with the event relay
//! running in-process and emails written as `.eml` files (listed at `GET /local/outbox`).

pub mod auth;
mod clock;
pub mod files;
pub mod mailbox;
mod relay;
mod staff_page;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::mailbox::FileMailer;
use app::config::Config;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use store_sqlite::EmbeddedTable;
use web::AppState;

pub use auth::{Claims, LocalAuth};

#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// What email links point at; defaults to `http://{addr}`.
    pub base_url: Option<String>,
}

pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    pub auth: LocalAuth,
    pub server: tokio::task::JoinHandle<()>,
    pub relay: tokio::task::JoinHandle<()>,
    pub sweeper: tokio::task::JoinHandle<()>,
    table: Arc<EmbeddedTable>,
}

impl Running {
    /// Whether the change feed holds writes the relay has not handled yet.
    pub fn relay_behind(&self) -> Result<bool, String> {
        relay::behind(&self.table)
    }

    /// The newest position in the change feed, and whether the relay has handled all up to
    /// one: what a test waits on to act only after an email went out (as its reader would).
    pub fn feed_head(&self) -> Result<i64, String> {
        relay::head(&self.table)
    }

    pub fn relay_has_passed(&self, position: i64) -> Result<bool, String> {
        relay::has_passed(&self.table, position)
    }

    pub fn stop(&self) {
        self.server.abort();
        self.relay.abort();
        self.sweeper.abort();
    }
}

async fn outbox(State(mailer): State<Arc<FileMailer>>) -> Result<Json<serde_json::Value>, web::error::ApiError> {
    let emails = mailer
        .list()
        .map_err(|e| web::error::ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({ "emails": emails })))
}

/// The merged router of every area plus the local-only routes.
pub fn app(state: AppState, mailer: Arc<FileMailer>, auth: LocalAuth) -> Router {
    let local = Router::new()
        .route("/local/outbox", get(outbox))
        .with_state(mailer)
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/local/staff/{tenant}/runs/{run_id}",
            get(staff_page::run_page).with_state(state.clone()),
        );
    let areas = web::all_areas().with_state(state).merge(local);
    web::finish(areas).layer(axum::middleware::from_fn_with_state(auth, auth::verify_jwt))
}

/// Creates `dir` (and its parents) readable by its owner only: the data folder holds the
/// token secret, the database and the emails.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Makes the files the store wrote (the database and its journal) readable by the owner only.
fn private_files(dir: &std::path::Path, prefix: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(prefix))
        {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Binds, then serves in the background; returns once the server accepts connections.
pub async fn start(opts: Options) -> Result<Running, String> {
    private_dir(&opts.data_dir).map_err(|e| format!("data folder {}: {e}", opts.data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|e| format!("bind {}: {e}", opts.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = opts.base_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let table = Arc::new(EmbeddedTable::open(&opts.data_dir.join("portal.sqlite3")).map_err(|e| e.to_string())?);
    private_files(&opts.data_dir, "portal.sqlite3").map_err(|e| e.to_string())?;
    let mailer = FileMailer::new(opts.data_dir.join("outbox")).map_err(|e| e.to_string())?;
    let mailer = Arc::new(mailer.with_feedback(table.clone()));
    let auth = LocalAuth::load(&opts.data_dir).map_err(|e| e.to_string())?;
    let config = Config::local(&base_url);
    let blobs = Arc::new(files::LocalBlobs::new(opts.data_dir.join("files"), &base_url));
    let state = AppState::new(table.clone(), blobs.clone(), config.clone());
    let time = clock::TimeState {
        table: table.clone(),
        clock: config.clock.clone(),
    };
    let router = app(state, mailer.clone(), auth.clone())
        .merge(files::routes(blobs))
        .merge(clock::routes(time.clone()));
    let server = tokio::spawn(async move {
        // The peer address is what per-client limits count by (API Gateway's sourceIp in AWS).
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    let relay = tokio::spawn(relay::run(table.clone(), mailer, Arc::new(config)));
    let sweeper = tokio::spawn(clock::run(time));
    Ok(Running {
        addr,
        base_url,
        auth,
        server,
        relay,
        sweeper,
        table,
    })
}
