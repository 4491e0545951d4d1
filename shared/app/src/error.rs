//! The application layer's error: a domain refusal, a portal credential that does not hold,
//! or a failure of the infrastructure (retryable) or of the code (internal). The HTTP layer
//! maps it in one place (`web::error`); the notifier tells retryable from permanent.

use domain::{DomainError, FieldError};
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A portal session or link that does not (or no longer) grant access.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Too many requests of a kind from one caller: retry after this many seconds.
    #[error("rate limited: retry after {0} s")]
    RateLimited(u64),
    /// The table (or another service) did not answer: worth retrying.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt data: retrying does not help.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(what: &'static str) -> Self {
        AppError::Domain(DomainError::NotFound(what))
    }

    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Domain(DomainError::invalid(field, code, message))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Domain(DomainError::Conflict(message.into()))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, AppError::Domain(DomainError::NotFound(_)))
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, AppError::Domain(DomainError::Conflict(_)))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TooLarge(_) => AppError::Domain(DomainError::Invalid(vec![FieldError::new(
                "body",
                "too_large",
                "this would make the stored record too large; shorten texts or split it up",
            )])),
            StoreError::ConditionFailed(_) | StoreError::Conflict => {
                AppError::conflict("the resource was changed concurrently; reload and retry")
            }
            StoreError::Backend(m) => AppError::Unavailable(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Maps a failed optimistic-locking write: another request changed `what` since it was read.
pub fn stale(what: &str) -> impl Fn(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::ConditionFailed(_) | StoreError::Conflict => AppError::conflict(format!(
            "{what} was changed meanwhile by another request; reload and retry"
        )),
        other => other.into(),
    }
}
