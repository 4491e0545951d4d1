//! The application layer above the domain and the table port: the one key builder, the
//! repositories (aggregates <-> items, one load / change / save), the templates (emails and
//! pages, embedded at build time), the notifier that turns events into emails and the
//! triggers that act on them.

pub mod automation;
pub mod clock;
pub mod config;
pub mod email;
pub mod error;
pub mod keys;
pub mod repo;
pub mod sweeper;
pub mod templates;
pub mod webhooks;
