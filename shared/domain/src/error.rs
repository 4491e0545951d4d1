//! The domain's errors: what a command refuses and why, without HTTP. The HTTP layer maps
//! them to problem+json in one place (`web::error`).

use serde::Serialize;

/// One field that failed validation: where, a machine `code` that pages and clients can say
/// in the user's language (`required`, `invalid_email`, `too_long`, `not_an_option`, …), and
/// an English message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        FieldError::new(field, "required", "is required")
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        FieldError::new(field, "too_long", format!("must be at most {max} characters"))
    }

    pub fn invalid_email(field: impl Into<String>) -> Self {
        FieldError::new(field, "invalid_email", "must be a valid email address")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The aggregate's state does not allow the command (a step not active, a closed offer…).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Once valid, not any more (a used or revoked invitation).
    #[error("gone: {0}")]
    Gone(&'static str),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// `Ok` when no field failed.
pub fn into_result(errors: Vec<FieldError>) -> DomainResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}
