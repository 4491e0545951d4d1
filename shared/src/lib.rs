//! The process-portal library: domain, storage port and adapters, events, email, auth and
//! the HTTP routers of every API area. Function binaries only wire these together.

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod email;
pub mod error;
pub mod events;
pub mod i18n;
pub mod ids;
pub mod keys;
pub mod repo;
pub mod runtime;
pub mod store;
