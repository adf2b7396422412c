//! The API's one error type and its mapping to HTTP, in exactly one place.
//!
//! Every failure a client can see is an [`ApiError`] with a stable machine code (the UI
//! switches on codes, never on messages). The JSON envelope is
//! `{"error": {"code", "message", "details", "timestamp", "requestId"}}`; the request id is
//! filled in by the request middleware, which also turns foreign error responses (a panic, an
//! unknown method, a body-limit rejection from a layer) into the same envelope.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bb_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use utoipa::ToSchema;

/// A failure answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is well formed but its content is wrong (a field out of range, an
    /// invalid strategy graph, an unknown field).
    #[error("{message}")]
    Validation {
        message: String,
        details: Option<Value>,
    },
    /// The request cannot be read (malformed JSON, a bad path or query parameter).
    #[error("{message}")]
    BadRequest {
        message: String,
        details: Option<Value>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthorized(String),
    /// The action needs two-factor sign-in turned on (admins).
    #[error("{0}")]
    TwoFactorRequired(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// A plan limit refuses the request; `details` says which (metric, limit, used,
    /// resets_at, upgrade).
    #[error("{message}")]
    QuotaExceeded {
        message: String,
        details: Option<Value>,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("the request took too long")]
    Timeout,
    /// An outside service (an exchange, a data vendor) cannot be reached.
    #[error("{0}")]
    UpstreamUnavailable(String),
    /// A bug or an outage. The message is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// The stable machine codes of every error, each with its HTTP status. The UI and the tests
/// switch on these, never on messages; the spec lists them (`ErrorBody.code`) and so does the
/// README's error table (a test keeps it true).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: the request is well formed but its content is wrong (`details.field` or
    /// `details.diagnostics` say where).
    ValidationFailed,
    /// 400: the request cannot be read (malformed JSON, a bad path or query parameter).
    BadRequest,
    /// 404: nothing there, or nothing the caller may see.
    NotFound,
    /// 403: signed in, but not allowed.
    Forbidden,
    /// 401: not signed in, or the session ended.
    Unauthorized,
    /// 403: the action needs two-factor sign-in turned on.
    TwoFactorRequired,
    /// 409: the state does not allow it (a duplicate, a run not finished yet).
    Conflict,
    /// 429: too many requests; `Retry-After` says when to try again.
    RateLimited,
    /// 403: a plan limit (`details`: metric, limit, used, resets_at, upgrade).
    QuotaExceeded,
    /// 413: the body or an upload's expanded size is over its limit.
    PayloadTooLarge,
    /// 405: the address does not take that method; `Allow` lists those it does.
    MethodNotAllowed,
    /// 503: the request took too long.
    Timeout,
    /// 502: an outside service (an exchange, a data vendor) cannot be reached; stored data
    /// still works.
    UpstreamUnavailable,
    /// 500: a bug or an outage, logged with the request id.
    Internal,
}

impl ErrorCode {
    /// Every code, in the README's order.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::ValidationFailed,
        ErrorCode::BadRequest,
        ErrorCode::NotFound,
        ErrorCode::Forbidden,
        ErrorCode::Unauthorized,
        ErrorCode::TwoFactorRequired,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::PayloadTooLarge,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Timeout,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::Internal,
    ];

    /// The wire name, e.g. `not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TwoFactorRequired => "two_factor_required",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Timeout => "timeout",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status it answers with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Forbidden | ErrorCode::TwoFactorRequired | ErrorCode::QuotaExceeded => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiError {
    pub fn validation(message: impl Into<String>, details: Option<Value>) -> ApiError {
        ApiError::Validation {
            message: message.into(),
            details,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            details: None,
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    /// The stable machine code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation { .. } => ErrorCode::ValidationFailed,
            ApiError::BadRequest { .. } => ErrorCode::BadRequest,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::TwoFactorRequired(_) => ErrorCode::TwoFactorRequired,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::Timeout => ErrorCode::Timeout,
            ApiError::UpstreamUnavailable(_) => ErrorCode::UpstreamUnavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    fn into_payload(self) -> ErrorPayload {
        let code = self.code();
        let (message, details) = match self {
            ApiError::Validation { message, details }
            | ApiError::BadRequest { message, details }
            | ApiError::QuotaExceeded { message, details } => (message, details),
            ApiError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                (
                    "Something went wrong on our side; the error has been logged.".to_string(),
                    None,
                )
            }
            other => (other.to_string(), None),
        };
        ErrorPayload {
            code,
            message,
            details,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::NotFound("not found".to_string()),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Invalid(message) => ApiError::validation(message, None),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::Internal(format!("a background task failed: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::RateLimited { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        let payload = self.into_payload();
        let mut response = payload.render(status, None);
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(payload);
        response
    }
}

/// An error as the middleware sees it in a response's extensions, before the request id is
/// added to the body.
#[derive(Clone, Debug)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
}

impl ErrorPayload {
    /// The envelope for an error response that did not come from an [`ApiError`] (a layer's
    /// rejection or a framework default), judged by its status.
    pub fn from_status(status: StatusCode) -> ErrorPayload {
        let (code, message) = match status.as_u16() {
            404 => (ErrorCode::NotFound, "There is nothing at this address."),
            405 => (
                ErrorCode::MethodNotAllowed,
                "This address does not accept that method; the `Allow` header lists those it does.",
            ),
            408 | 503 | 504 => (ErrorCode::Timeout, "The request took too long."),
            413 => (
                ErrorCode::PayloadTooLarge,
                "The request body is larger than the server accepts (1 MiB).",
            ),
            415 => (ErrorCode::BadRequest, "The request body must be JSON."),
            429 => (ErrorCode::RateLimited, "Too many requests."),
            401 => (ErrorCode::Unauthorized, "Sign in first."),
            403 => (ErrorCode::Forbidden, "You are not allowed to do this."),
            400..=499 => (
                ErrorCode::BadRequest,
                "The request could not be understood.",
            ),
            _ => (
                ErrorCode::Internal,
                "Something went wrong on our side; the error has been logged.",
            ),
        };
        ErrorPayload {
            code,
            message: message.to_string(),
            details: None,
        }
    }

    /// The JSON response, with the request id when known.
    pub fn render(&self, status: StatusCode, request_id: Option<&str>) -> Response {
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
                timestamp: rfc3339(SystemTime::now()),
                request_id: request_id.map(str::to_string),
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

/// The error envelope every failed request answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable machine code; see `ErrorCode` for each one's status and meaning.
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// Structured detail, e.g. `{"field": "title"}` or `{"diagnostics": [...]}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
    /// When the error happened (RFC 3339, UTC).
    pub timestamp: String,
    /// The request's id, also in the `x-request-id` response header and every log line.
    pub request_id: Option<String>,
}

/// `2026-11-22T03:04:05.678Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    bb_domain::calendar::format_rfc3339_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400, "2000-02-29T00:00:00.000Z"),
            (1_795_143_845, "2026-11-20T03:04:05.000Z"),
        ] {
            assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(secs)), text);
        }
    }

    #[test]
    fn every_error_has_a_listed_code() {
        let errors = [
            ApiError::validation("x", None),
            ApiError::bad_request("x"),
            ApiError::NotFound("x".into()),
            ApiError::Forbidden("x".into()),
            ApiError::Unauthorized("x".into()),
            ApiError::TwoFactorRequired("x".into()),
            ApiError::Conflict("x".into()),
            ApiError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            ApiError::QuotaExceeded {
                message: "x".into(),
                details: None,
            },
            ApiError::PayloadTooLarge("x".into()),
            ApiError::Timeout,
            ApiError::Internal("x".into()),
        ];
        for e in errors {
            assert!(ErrorCode::ALL.contains(&e.code()), "{}", e.code());
            assert_eq!(e.status(), e.code().status());
        }
    }

    #[test]
    fn codes_are_their_wire_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
    }
}
