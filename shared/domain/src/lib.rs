//! The process portal's pure domain: journeys (forms), process definitions, runs, partners,
//! offers and orders with their state machines, their typed events and the domain's errors.
//! No HTTP, no AWS SDK, no SQLite: everything here is unit-tested where it lives.

pub mod calendar;
pub mod collaboration;
pub mod comment;
pub mod dates;
pub mod document;
pub mod due;
pub mod error;
pub mod events;
pub mod i18n;
pub mod ids;
pub mod journey;
pub mod offer;
pub mod order;
pub mod partner;
pub mod process;
pub mod reminders;
pub mod run;
pub mod signature;
pub mod team;
pub mod trigger;
pub mod validate;
pub mod values;
pub mod webhook;

pub use error::{into_result, DomainError, DomainResult, FieldError};
pub use validate::{require_email, require_key, require_text, valid_email};
