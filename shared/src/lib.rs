//! The process-portal library: domain, storage port and adapters, events, email, auth and
//! the HTTP routers of every API area. Function binaries only wire these together.

pub mod auth;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod keys;
pub mod store;
pub mod repo;
pub mod api;
pub mod config;
pub mod email;
pub mod events;
pub mod runtime;
