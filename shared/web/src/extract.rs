//! Extractors that turn bad input into problem+json instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Largest accepted request body.
pub const MAX_BODY: usize = 256 * 1024;

/// A JSON body: malformed JSON is a 400, a value that doesn't fit is a 422 naming the field,
/// a body over [`MAX_BODY`] a 413.
pub struct ApiJson<T>(pub T);

fn data_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = inner.to_string();
    let message = message.split(" at line ").next().unwrap_or_default().to_string();
    // Missing and unknown fields are reported by serde on the parent object.
    let named = |marker: &str| {
        message
            .strip_prefix(marker)
            .and_then(|r| r.split('`').next())
            .map(str::to_string)
    };
    let field = match named("missing field `").or_else(|| named("unknown field `")) {
        Some(name) if path == "." => name,
        Some(name) => format!("{path}.{name}"),
        None => path,
    };
    let code = if message.starts_with("missing field") {
        "required"
    } else if message.starts_with("unknown field") {
        "unknown_field"
    } else {
        "invalid"
    };
    ApiError::Validation(vec![FieldError::new(field, code, message)])
}

/// Parses JSON bytes into `T` with the error mapping of [`ApiJson`]. Every body is an object:
/// an array or a scalar is a 422 (serde would read a struct from an array).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if is_blank(bytes) {
        return Err(ApiError::BadRequest("a JSON body is required".into()));
    }
    // Syntax first, so that malformed JSON is always a 400.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "not_an_object", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(data_error)
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// The one body reader: at most [`MAX_BODY`] bytes (413 problem+json beyond), and only the
/// content types `accepts` allows when one is sent (415 otherwise).
async fn read_body(req: Request, accepts: fn(&str) -> bool) -> Result<axum::body::Bytes, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !accepts(&ct) {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY))
}

fn json_type(ct: &str) -> bool {
    ct.starts_with("application/json") || ct.contains("+json")
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        parse_json(&read_body(req, json_type).await?).map(ApiJson)
    }
}

/// A JSON body as its bytes (what a signature covers), read within the limits of every body.
pub struct JsonBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_body(req, json_type).await.map(JsonBytes)
    }
}

/// A JSON body that may be left out (an empty body is `T::default()`).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, json_type).await?;
        if is_blank(&bytes) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// A form body (`application/x-www-form-urlencoded`) of the HTML pages, as raw bytes.
pub struct FormBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        read_body(req, |ct| ct.starts_with("application/x-www-form-urlencoded"))
            .await
            .map(FormBody)
    }
}

/// Path parameters; one that does not decode (invalid UTF-8, say) names no resource: a 404.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|_| ApiError::NotFound("resource"))
    }
}

/// Query parameters; a value that doesn't fit is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| ApiError::invalid(e.path().to_string(), "invalid", e.into_inner().to_string()))
    }
}

/// The `Idempotency-Key` header, if sent (1-200 visible characters).
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(s) if !s.is_empty() && s.len() <= 200 && !s.contains('#') => Ok(Some(s.to_string())),
        _ => Err(ApiError::invalid(
            "Idempotency-Key",
            "invalid",
            "must be 1-200 visible characters without #",
        )),
    }
}

/// The version in an `If-Match` header (`3`, `"3"` or `W/"3"`).
pub fn if_match_version(headers: &axum::http::HeaderMap) -> Result<u64, ApiError> {
    let raw = headers.get("if-match").ok_or_else(|| {
        ApiError::invalid(
            "If-Match",
            "required",
            "the header is required: send the version you edited",
        )
    })?;
    raw.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::invalid("If-Match", "invalid", "must be the version number you edited"))
}

/// The `If-Match` version when the header is sent (optional on offers and order steps).
pub fn optional_if_match(headers: &axum::http::HeaderMap) -> Result<Option<u64>, ApiError> {
    if headers.contains_key(axum::http::header::IF_MATCH) {
        if_match_version(headers).map(Some)
    } else {
        Ok(None)
    }
}
