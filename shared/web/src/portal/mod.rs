//! portal-api: the participants' side. [`participant`] holds the session extractor and the
//! commands (each one read, the access check inside the change), [`views`] the typed views
//! that the JSON routes ([`json`]) and the HTML pages ([`html`]) both show.

pub mod comments;
pub mod documents;
pub mod html;
pub mod json;
pub mod new_link;
pub mod participant;
pub mod upload_pages;
pub mod views;

use axum::Router;

pub use participant::{session_token, Participant, SESSION_COOKIE};

use crate::{finish, AppState, Routes};

/// The area's route table, for hosts that merge areas (local-server).
pub fn table() -> Routes {
    json::routes()
        .merge(html::routes())
        .merge(new_link::routes())
        .merge(documents::routes())
        .merge(upload_pages::routes())
        .merge(comments::routes())
}

/// The area as one Lambda function serves it.
pub fn router(state: AppState) -> Router {
    finish(table().with_state(state))
}
