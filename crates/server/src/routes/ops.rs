//! Operations endpoints, outside `/api`: liveness, readiness and Prometheus metrics.

use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use crate::telemetry;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// `ok`, or what is wrong with the database.
    pub database: String,
    /// Migrations of this build not yet applied (`null` when the database is unreachable).
    pub pending_migrations: Option<usize>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_string(),
    })
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "ops",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "Not ready", body = Readiness),
    )
)]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let db = state.db();
    let (database, pending) = match db.ping().await {
        Ok(()) => match db.pending_migrations().await {
            Ok(n) => ("ok".to_string(), Some(n)),
            Err(e) => (e.to_string(), None),
        },
        Err(e) => (e.to_string(), None),
    };
    let ready = database == "ok" && pending == Some(0);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "unavailable" }.to_string(),
            database,
            pending_migrations: pending,
        }),
    )
}

/// Prometheus metrics: requests and latency by route, method and status; database pool.
///
/// With `BB_METRICS_TOKEN` set, send `Authorization: Bearer <that token>`. Without a token
/// configured, `/metrics` does not exist (404) unless the server runs with
/// `--metrics-public`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "A metrics token is configured and was not sent, or is wrong", body = ErrorEnvelope),
        (status = 404, description = "No metrics token is configured and metrics are not public", body = ErrorEnvelope),
    )
)]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = metrics_allowed(&state, &headers) {
        return e.into_response();
    }
    telemetry::record_pool(state.db().pool_size(), state.db().pool_idle());
    let handle = state.metrics();
    handle.run_upkeep();
    let mut text = handle.render();
    match crate::operations::backup_metrics(state.db()).await {
        Ok(backups) => text.push_str(&backups),
        Err(e) => tracing::warn!(error = %e, "could not read the backup runs for /metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response()
}

/// Whether this request may read the metrics (see [`metrics`]).
fn metrics_allowed(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let config = state.config();
    let Some(expected) = &config.metrics_token else {
        return if config.metrics_public {
            Ok(())
        } else {
            Err(ApiError::NotFound(
                "There is nothing at this address.".to_string(),
            ))
        };
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    // Compare digests, so the time taken does not depend on where the strings differ.
    let same = Sha256::digest(presented.as_bytes()) == Sha256::digest(expected.expose().as_bytes());
    if same && !presented.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "Metrics need `Authorization: Bearer <the BB_METRICS_TOKEN value>`.".to_string(),
        ))
    }
}
