//! The layers every request passes through.
//!
//! [`request_context`] (outermost): gives the request an id (a sane incoming `x-request-id`
//! or a new UUID) and a tracing span carrying it, applies the request timeout, turns every
//! error response into the JSON envelope with that id, sets the id and the security headers
//! on the response, records metrics by matched route and logs one line per request.
//! [`cors`] builds the configured CORS layer; [`record_route`] is a route layer that tells
//! the outer middleware which route matched; [`limit_body`] gives each request its route's
//! body limit.

use crate::config::Config;
use crate::error::{ApiError, ErrorPayload};
use crate::state::AppState;
use crate::telemetry;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest request body accepted, except by the routes in [`LARGE_BODY_ROUTES`].
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Routes that take files, with the largest body each accepts.
pub const LARGE_BODY_ROUTES: &[(&str, usize)] = &[
    (
        crate::routes::market::IMPORTS_PATH,
        crate::routes::market::IMPORT_BODY_LIMIT,
    ),
    (
        crate::routes::strategies::exports::IMPORT_PATH,
        crate::routes::strategies::exports::IMPORT_BODY_LIMIT,
    ),
    (
        crate::routes::screener::REPLAYS_PATH,
        crate::routes::screener::REPLAY_BODY_LIMIT,
    ),
];

/// The largest body a request to `path` may send.
pub fn body_limit(path: &str) -> usize {
    LARGE_BODY_ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(BODY_LIMIT, |&(_, limit)| limit)
}

/// Gives each request its route's body limit ([`body_limit`]): a declared `Content-Length`
/// over it is refused at once (413, before the body is read), and the body extractors
/// (every handler reads its body through one) stop reading at it.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let limit = body_limit(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::PayloadTooLarge(format!(
            "The request body is larger than the server accepts ({} MiB).",
            limit >> 20
        ))
        .into_response();
    }
    match DefaultBodyLimit::max(limit).layer(next).oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Self-only; images may be data URIs and styles inline (the API docs page uses both).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The id of the current request, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route that matched, in the response's extensions.
#[derive(Debug, Clone)]
struct MatchedRoute(String);

/// Route layer: copies the matched route template into the response.
pub async fn record_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(MatchedRoute(route));
    }
    response
}

pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let started = Instant::now();

    let timeout = state.config().request_timeout;
    let response = match tokio::time::timeout(timeout, next.run(req).instrument(span.clone())).await
    {
        Ok(response) => response,
        Err(_) => {
            span.in_scope(|| {
                tracing::warn!(timeout_ms = timeout.as_millis() as u64, "request timed out")
            });
            ApiError::Timeout.into_response()
        }
    };
    let mut response = with_error_envelope(response, &id);
    set_headers(&mut response, &id, &path);

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = response
        .extensions()
        .get::<MatchedRoute>()
        .map_or("unmatched", |r| r.0.as_str());
    telemetry::record_request(route, method.as_str(), status, elapsed);
    log_finished(&span, route, status, elapsed);
    response
}

fn log_finished(span: &tracing::Span, route: &str, status: u16, elapsed: Duration) {
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if matches!(route, "/health" | "/ready" | "/metrics") {
            tracing::debug!(status, latency_ms, "request finished");
        } else if status >= 500 {
            tracing::error!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
}

/// An incoming id is kept when it is short and plain (so it cannot forge log lines).
fn incoming_id(req: &Request) -> Option<String> {
    let value = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then(|| value.to_string())
}

/// Renders [`ApiError`]s with the request id, and replaces any other error response (a
/// framework default, a layer's rejection) with the envelope chosen by its status.
fn with_error_envelope(response: Response, id: &str) -> Response {
    let status = response.status();
    let payload = match response.extensions().get::<ErrorPayload>() {
        Some(payload) => payload.clone(),
        // A JSON error body is already an answer (e.g. `/ready`'s 503); keep it.
        None if (status.is_client_error() || status.is_server_error()) && !is_json(&response) => {
            ErrorPayload::from_status(status)
        }
        None => return response,
    };
    let (mut parts, _) = response.into_parts();
    let (fresh, body) = payload.render(status, Some(id)).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(content_type) = fresh.headers.get(header::CONTENT_TYPE) {
        parts
            .headers
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    parts.extensions.insert(payload);
    Response::from_parts(parts, body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn set_headers(response: &mut Response, id: &str, path: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if path.starts_with("/api/v1") && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// CORS for the configured origins; `None` (same origin only) when none are configured.
/// `*` allows any origin, without credentials.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            X_REQUEST_ID.clone(),
        ])
        .expose_headers([X_REQUEST_ID.clone(), header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600));
    if config.cors_origins.iter().any(|o| o.trim() == "*") {
        return Some(layer.allow_origin(AllowOrigin::any()));
    }
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| match HeaderValue::from_str(o.trim()) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(origin = %o, "ignoring an invalid CORS origin");
                None
            }
        })
        .collect();
    Some(layer.allow_origin(origins).allow_credentials(true))
}
