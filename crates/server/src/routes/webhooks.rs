//! Webhooks: a user registers endpoints (per notification kind, or all), and every
//! notification of theirs is also POSTed there, signed per Standard Webhooks
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 under the endpoint's
//! `whsec_` secret). Each endpoint keeps a delivery log (status, attempts, the response's
//! status, time and first bytes) with a replay button, a test send and secret rotation
//! (the old secret signs beside the new one for a day). URLs to loopback, private,
//! link-local or metadata addresses are refused unless the server allows them
//! (`--webhook-allow-private`). Another user's endpoints and deliveries do not exist (404).

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, Query, check_text};
use crate::routes::market::access::field_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_store::{Delivery, DeliveryAttempt, Endpoint, EndpointPatch, NewEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(rotate_secret))
        .routes(routes!(send_test))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(replay_delivery))
}

/// The notification kinds an endpoint can subscribe to, with what each means.
pub const KINDS: &[(&str, &str)] = bb_store::NOTIFICATION_KINDS;

/// A notification kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindView {
    pub kind: String,
    pub description: String,
}

/// An endpoint, as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    /// The kinds sent here; empty = every kind.
    pub kinds: Vec<String>,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
    /// During a rotation, the previous secret also signs until this time (Unix ms).
    pub previous_secret_until: Option<i64>,
    pub enabled: bool,
    /// Why it is disabled (by you, after a day of failed deliveries, or a 410 answer).
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn endpoint_view(e: Endpoint) -> EndpointView {
    let now = bb_store::now_ms();
    EndpointView {
        previous_secret_until: e.previous_secret_until.filter(|t| *t > now),
        id: e.id,
        url: e.url,
        description: e.description,
        kinds: e.kinds,
        secret: e.secret,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The caller's endpoints and the kinds they can subscribe to.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
    pub kinds: Vec<KindView>,
    /// How many endpoints a user may have.
    pub max_endpoints: i64,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointRequest {
    /// `https://…` (or `http://`); at most 2,048 characters, no user name or password.
    pub url: String,
    /// At most 200 characters.
    pub description: Option<String>,
    /// Kinds to send (see `GET /api/v1/webhooks`); empty or absent = every kind.
    pub kinds: Option<Vec<String>>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointRequest {
    pub url: Option<String>,
    pub description: Option<String>,
    pub kinds: Option<Vec<String>>,
    /// Enabling clears the reason it was disabled.
    pub enabled: Option<bool>,
}

/// One delivery of a message to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also the `webhook-id` header (the same on every attempt and on a replay).
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending only; Unix ms).
    pub next_attempt_at: Option<i64>,
    /// The last response's HTTP status.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    /// From the message's creation to its first successful delivery.
    pub latency_ms: Option<i64>,
    /// The JSON body sent.
    pub payload: serde_json::Value,
}

fn delivery_view(d: Delivery) -> DeliveryView {
    DeliveryView {
        latency_ms: d.delivered_at.map(|t| t - d.created_at),
        status: d.status.as_str().into(),
        next_attempt_at: d
            .next_attempt_at
            .filter(|_| d.status == bb_store::DeliveryStatus::Pending),
        id: d.id,
        endpoint_id: d.endpoint_id,
        event_type: d.event_type,
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
        payload: d.payload,
    }
}

/// One attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    pub started_at: i64,
    /// The response's HTTP status (none when no response came).
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The first kilobyte of the response body.
    pub response_excerpt: String,
}

impl From<DeliveryAttempt> for AttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        AttemptView {
            attempt: a.attempt,
            started_at: a.started_at,
            status: a.status,
            duration_ms: a.duration_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        }
    }
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    pub delivery: DeliveryView,
    pub attempts: Vec<AttemptView>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

fn check_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    check_text("url", url, Lines::One)?;
    bb_webhooks::check_url(url, state.config().webhook_allow_private)
        .map(|u| u.to_string())
        .map_err(|e| field_error("url", e.to_string()))
}

fn check_description(d: &str) -> Result<(), ApiError> {
    check_text("description", d, Lines::One)?;
    if d.chars().count() > 200 {
        return Err(field_error(
            "description",
            "description has at most 200 characters",
        ));
    }
    Ok(())
}

fn check_kinds(kinds: &[String]) -> Result<(), ApiError> {
    if let Some(bad) = kinds.iter().find(|k| !KINDS.iter().any(|(n, _)| n == k)) {
        let known: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
        return Err(field_error(
            "kinds",
            format!(
                "`{}` is not a notification kind; the kinds are {}",
                bad.chars().take(64).collect::<String>(),
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

fn dedup(mut kinds: Vec<String>) -> Vec<String> {
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Register a webhook endpoint.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    request_body = CreateEndpointRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = EndpointView),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "The most endpoints a user may have", body = ErrorEnvelope),
        (status = 422, description = "A bad or refused URL, description or kind (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn create_endpoint(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateEndpointRequest>,
) -> Result<(StatusCode, Json<EndpointView>), ApiError> {
    let url = check_url(&state, &req.url)?;
    let description = req.description.unwrap_or_default();
    check_description(&description)?;
    let kinds = dedup(req.kinds.unwrap_or_default());
    check_kinds(&kinds)?;
    let e = state
        .db()
        .webhooks()
        .create(
            &caller.id,
            NewEndpoint {
                url,
                description: description.trim().to_owned(),
                kinds,
                secret: bb_webhooks::new_secret(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(endpoint_view(e))))
}

/// The caller's endpoints, and the notification kinds there are.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, body = EndpointList), (status = 401, body = ErrorEnvelope))
)]
async fn list_endpoints(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<EndpointList>, ApiError> {
    let items = state.db().webhooks().list(&caller.id).await?;
    Ok(Json(EndpointList {
        items: items.into_iter().map(endpoint_view).collect(),
        kinds: KINDS
            .iter()
            .map(|(k, d)| KindView {
                kind: (*k).into(),
                description: (*d).into(),
            })
            .collect(),
        max_endpoints: bb_store::MAX_ENDPOINTS_PER_USER,
    }))
}

fn no_endpoint(e: bb_store::StoreError) -> ApiError {
    match e {
        bb_store::StoreError::NotFound => {
            ApiError::NotFound("There is no such webhook endpoint.".into())
        }
        other => other.into(),
    }
}

/// One endpoint.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EndpointView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
async fn get_endpoint(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<EndpointView>, ApiError> {
    let e = state
        .db()
        .webhooks()
        .get(&caller.id, &id)
        .await
        .map_err(no_endpoint)?;
    Ok(Json(endpoint_view(e)))
}

/// Change an endpoint: its URL, description, kinds, or enable/disable it.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    request_body = UpdateEndpointRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = EndpointView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope),
    )
)]
async fn update_endpoint(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<UpdateEndpointRequest>,
) -> Result<Json<EndpointView>, ApiError> {
    let url = req
        .url
        .as_deref()
        .map(|u| check_url(&state, u))
        .transpose()?;
    if let Some(d) = &req.description {
        check_description(d)?;
    }
    let kinds = req.kinds.map(dedup);
    if let Some(k) = &kinds {
        check_kinds(k)?;
    }
    let e = state
        .db()
        .webhooks()
        .update(
            &caller.id,
            &id,
            EndpointPatch {
                url,
                description: req.description.map(|d| d.trim().to_owned()),
                kinds,
                enabled: req.enabled,
            },
        )
        .await
        .map_err(no_endpoint)?;
    Ok(Json(endpoint_view(e)))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
async fn delete_endpoint(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .db()
        .webhooks()
        .delete(&caller.id, &id)
        .await
        .map_err(no_endpoint)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret. The previous one keeps signing beside it for 24 hours
/// (two `v1,` signatures), so a receiver can switch without missing a message.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EndpointView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
async fn rotate_secret(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<EndpointView>, ApiError> {
    let e = state
        .db()
        .webhooks()
        .rotate_secret(&caller.id, &id, &bb_webhooks::new_secret())
        .await
        .map_err(no_endpoint)?;
    Ok(Json(endpoint_view(e)))
}

/// Send a test message (`webhook.test`) now; it appears in the delivery log.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 202, body = DeliveryView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "The endpoint is disabled, or a test is still on its way", body = ErrorEnvelope),
    )
)]
async fn send_test(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let d = state
        .db()
        .webhooks()
        .send_test(&caller.id, &id)
        .await
        .map_err(no_endpoint)?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(d))))
}

/// An endpoint's delivery log, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id"), DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeliveryPage),
        (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let offset = q.offset.unwrap_or(0);
    let page = state
        .db()
        .webhooks()
        .deliveries(&caller.id, &id, limit, offset)
        .await
        .map_err(no_endpoint)?;
    Ok(Json(DeliveryPage {
        items: page.items.into_iter().map(delivery_view).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

fn no_delivery(e: bb_store::StoreError) -> ApiError {
    match e {
        bb_store::StoreError::NotFound => ApiError::NotFound("There is no such delivery.".into()),
        other => other.into(),
    }
}

/// One delivery with every attempt (status, time, the response's first kilobyte).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id (the webhook-id)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeliveryDetail),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
async fn get_delivery(
    State(state): State<AppState>,
    caller: AuthUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    let (d, attempts) = state
        .db()
        .webhooks()
        .delivery(&caller.id, &delivery_id)
        .await
        .map_err(no_delivery)?;
    if d.endpoint_id != id {
        return Err(no_delivery(bb_store::StoreError::NotFound));
    }
    Ok(Json(DeliveryDetail {
        delivery: delivery_view(d),
        attempts: attempts.into_iter().map(AttemptView::from).collect(),
    }))
}

/// Send a delivered or failed message again, now (same `webhook-id`).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id (the webhook-id)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, body = DeliveryView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "It is still pending, or the endpoint is disabled", body = ErrorEnvelope),
    )
)]
async fn replay_delivery(
    State(state): State<AppState>,
    caller: AuthUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let repo = state.db().webhooks();
    let endpoint = repo.get(&caller.id, &id).await.map_err(no_endpoint)?;
    let (d, _) = repo
        .delivery(&caller.id, &delivery_id)
        .await
        .map_err(no_delivery)?;
    if d.endpoint_id != endpoint.id {
        return Err(no_delivery(bb_store::StoreError::NotFound));
    }
    if !endpoint.enabled {
        return Err(ApiError::Conflict(
            "This endpoint is disabled; enable it before replaying.".into(),
        ));
    }
    let d = repo
        .replay(&caller.id, &delivery_id)
        .await
        .map_err(no_delivery)?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(d))))
}
