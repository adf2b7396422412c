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
use serde::Serialize;
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
    /// A bug or an outage. The message is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// The stable codes, with their HTTP status. The UI switches on these.
pub const CODES: &[(&str, u16)] = &[
    ("validation_failed", 422),
    ("bad_request", 400),
    ("not_found", 404),
    ("forbidden", 403),
    ("unauthorized", 401),
    ("two_factor_required", 403),
    ("conflict", 409),
    ("rate_limited", 429),
    ("quota_exceeded", 403),
    ("payload_too_large", 413),
    ("method_not_allowed", 405),
    ("timeout", 503),
    ("internal", 500),
];

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
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_failed",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::NotFound(_) => "not_found",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::TwoFactorRequired(_) => "two_factor_required",
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::QuotaExceeded { .. } => "quota_exceeded",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Timeout => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = self.code();
        let status = CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(500, |(_, status)| *status);
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ErrorPayload {
    /// The envelope for an error response that did not come from an [`ApiError`] (a layer's
    /// rejection or a framework default), judged by its status.
    pub fn from_status(status: StatusCode) -> ErrorPayload {
        let (code, message) = match status.as_u16() {
            404 => ("not_found", "There is nothing at this address."),
            405 => (
                "method_not_allowed",
                "This address does not accept that method; the `Allow` header lists those it does.",
            ),
            408 | 503 | 504 => ("timeout", "The request took too long."),
            413 => (
                "payload_too_large",
                "The request body is larger than the server accepts (1 MiB).",
            ),
            415 => ("bad_request", "The request body must be JSON."),
            429 => ("rate_limited", "Too many requests."),
            401 => ("unauthorized", "Sign in first."),
            403 => ("forbidden", "You are not allowed to do this."),
            400..=499 => ("bad_request", "The request could not be understood."),
            _ => (
                "internal",
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
                code: self.code.to_string(),
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
    /// Stable machine code: validation_failed, bad_request, not_found, forbidden,
    /// unauthorized, conflict, rate_limited, quota_exceeded, payload_too_large,
    /// method_not_allowed, timeout, internal.
    #[schema(example = "not_found")]
    pub code: String,
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
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
            assert!(CODES.iter().any(|(c, _)| *c == e.code()), "{}", e.code());
        }
    }
}
