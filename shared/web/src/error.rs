//! The one error type of the HTTP API and its one mapping to `application/problem+json`
//! (RFC 9457): domain refusals, application errors and HTTP-only failures all end here.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use app::error::AppError;
use domain::DomainError;
pub use domain::FieldError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("gone: {0}")]
    Gone(&'static str),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many requests of a kind: retry after this many seconds (`Retry-After`).
    #[error("too many requests: retry in {0} seconds")]
    TooManyRequests(u64),
    #[error("this method is not allowed on this route")]
    MethodNotAllowed,
    /// The table or another service did not answer: the client may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "malformed-request",
            ApiError::Validation(_) => "validation-failed",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::TooManyRequests(_) => "too-many-requests",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The headers an answer with this error carries, as JSON or as a page (`Retry-After`).
    pub fn add_headers(&self, response: &mut Response) {
        match self {
            ApiError::TooManyRequests(seconds) => {
                response.headers_mut().insert(header::RETRY_AFTER, (*seconds).into());
            }
            // The table (or another service) did not answer: worth a retry in a few seconds.
            ApiError::Unavailable(_) => {
                response.headers_mut().insert(header::RETRY_AFTER, 5u64.into());
            }
            _ => {}
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            // Internal details go to the log, never to the client.
            ApiError::Internal(_) => "An unexpected error occurred; it has been logged.".into(),
            ApiError::Unavailable(_) => "A service is unavailable for a moment; retry the request.".into(),
            other => other.to_string(),
        };
        Problem {
            kind: format!("https://errors.process-portal.dev/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// An error as RFC 9457 problem details, sent as `application/problem+json`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of error (`https://errors.process-portal.dev/{slug}`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// With 422: every field that failed, with a stable code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(msg) | ApiError::Unavailable(msg) = &self {
            tracing::error!(error = %msg, "request failed");
        }
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        self.add_headers(&mut response);
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(what) => ApiError::NotFound(what),
            DomainError::Conflict(m) => ApiError::Conflict(m),
            DomainError::Forbidden(m) => ApiError::Forbidden(m),
            DomainError::Invalid(errors) => ApiError::Validation(errors),
            DomainError::Gone(m) => ApiError::Gone(m),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(d) => d.into(),
            AppError::Unauthorized(m) => ApiError::Unauthorized(m),
            AppError::RateLimited(s) => ApiError::TooManyRequests(s),
            AppError::Unavailable(m) => ApiError::Unavailable(m),
            AppError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_store_is_a_503_with_retry_after() {
        let r = ApiError::from(AppError::Unavailable("table".into())).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
}
