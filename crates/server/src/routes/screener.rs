//! The real-time screener: its alerts (filtered, cursor-paged, today's, counted), a live
//! stream of new ones as server-sent events and over a WebSocket, symbol search, the feeds'
//! health, replays of recorded Databento files (admins), and users' screens (a symbol list,
//! the built-in alerts to hear of, optionally a strategy version as a block screen).
//!
//! Built-in screens' alerts are market data: every signed-in user reads them. A block
//! screen's alerts are its owner's alone.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use axum::response::{IntoResponse, Response};
use bb_screener::{AlertType, Conditions, QuoteMeta, ScreenerConfig, Signal};
use bb_store::{
    ALERT_TOPIC, AlertFilter, BusEvent, MAX_SCREENS_PER_USER, MAX_SYMBOLS_PER_SCREEN, Screen,
    ScreenSpec, ScreenerAlert, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::extractor::{AdminUser, AuthUser, StreamUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::screener::{FeedHealth, ReplayError};
use crate::state::AppState;

pub const REPLAYS_PATH: &str = "/api/v1/screener/replays";
/// The largest replay upload.
pub const REPLAY_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(today_alerts))
        .routes(routes!(alert_stats))
        .routes(routes!(alert_stream))
        .routes(routes!(alert_socket))
        .routes(routes!(search_symbols))
        .routes(routes!(health))
        .routes(routes!(start_replay))
        .routes(routes!(list_screens, create_screen))
        .routes(routes!(get_screen, update_screen, delete_screen))
        .routes(routes!(list_trades, watch_trade))
        .routes(routes!(cancel_trade))
}

/// An alert.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    pub symbol: String,
    pub alert_type: AlertType,
    pub trigger_price: f64,
    /// The triggering event (Unix ms).
    pub trigger_time: i64,
    /// The same in nanoseconds, as the feed stamped it.
    pub trigger_time_ns: i64,
    pub conditions: Conditions,
    pub metadata: QuoteMeta,
    /// A built-in's name (`gap_up`, …) or the id of the block screen.
    pub screen: String,
    /// The built-in settings' fingerprint, or the block screen's strategy version.
    pub screen_version: i64,
    /// `live` feed name (`binance`, `replay`) it came from.
    pub feed: String,
    /// From one of the caller's block screens.
    pub mine: bool,
    /// When it was stored (Unix ms).
    pub created_at: i64,
}

impl AlertView {
    fn new(stored: ScreenerAlert, viewer: &str) -> AlertView {
        let a = stored.alert;
        AlertView {
            id: stored.id,
            symbol: a.symbol,
            alert_type: a.alert_type,
            trigger_price: a.trigger_price,
            trigger_time: a.trigger_time.div_euclid(1_000_000),
            trigger_time_ns: a.trigger_time,
            conditions: a.conditions,
            metadata: a.metadata,
            screen: a.screen,
            screen_version: a.screen_version,
            feed: stored.feed,
            mine: stored.user_id.as_deref() == Some(viewer),
            created_at: stored.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPageView {
    /// Newest first.
    pub items: Vec<AlertView>,
    /// Give it as `cursor` for the next, older page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// One symbol (case-insensitive), e.g. `AAPL` or `BTCUSDT`.
    #[param(max_length = 32)]
    pub symbol: Option<String>,
    /// One alert type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub alert_type: Option<AlertType>,
    /// A built-in's name or a block screen's id.
    #[param(max_length = 64)]
    pub screen: Option<String>,
    /// From this trigger time (Unix ms, inclusive).
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// Up to this trigger time (Unix ms, exclusive).
    #[param(minimum = 0)]
    pub until: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(max_length = 100)]
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 500>")]
    pub limit: Option<u32>,
}

fn check_symbol(symbol: &str, field: &str) -> Result<String, ApiError> {
    let upper = symbol.trim().to_ascii_uppercase();
    let ok = !upper.is_empty()
        && upper.len() <= 32
        && upper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'));
    if ok {
        Ok(upper)
    } else {
        Err(ApiError::validation(
            format!("{field}: {symbol:?} is not a symbol (1 to 32 letters, digits and . - _ / #)"),
            Some(json!({ "field": field })),
        ))
    }
}

impl AlertsQuery {
    fn filter(&self) -> Result<AlertFilter, ApiError> {
        let symbol = self
            .symbol
            .as_deref()
            .map(|s| check_symbol(s, "symbol"))
            .transpose()?;
        for (name, value) in [("since", self.since), ("until", self.until)] {
            if value.is_some_and(|v| v < 0) {
                return Err(ApiError::validation(
                    format!("{name} must be a Unix time in ms, not negative"),
                    Some(json!({ "field": name })),
                ));
            }
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(ApiError::validation(
                "since must be before until",
                Some(json!({ "field": "since" })),
            ));
        }
        if let Some(screen) = &self.screen
            && (screen.is_empty() || screen.len() > 64)
        {
            return Err(ApiError::validation(
                "screen: 1 to 64 characters",
                Some(json!({ "field": "screen" })),
            ));
        }
        Ok(AlertFilter {
            symbol,
            alert_type: self.alert_type,
            screen: self.screen.clone(),
            since: self.since,
            until: self.until,
        })
    }
}

async fn page(
    state: &AppState,
    caller: &AuthUser,
    filter: &AlertFilter,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<Json<AlertPageView>, ApiError> {
    if cursor.is_some_and(|c| c.len() > 100) {
        return Err(ApiError::validation(
            "cursor: not a cursor this API gave",
            Some(json!({ "field": "cursor" })),
        ));
    }
    let page = state
        .db()
        .screener()
        .list(&caller.id, filter, cursor, limit.unwrap_or(50))
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => ApiError::validation(m, Some(json!({ "field": "cursor" }))),
            other => other.into(),
        })?;
    Ok(Json(AlertPageView {
        items: page
            .items
            .into_iter()
            .map(|a| AlertView::new(a, &caller.id))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Alerts, newest first, filtered by symbol, type, screen and trigger time, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/screener/alerts",
    tag = "screener",
    params(AlertsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertPageView),
        (status = 400, description = "An unknown query parameter", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad filter or cursor (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<AlertsQuery>,
) -> Result<Json<AlertPageView>, ApiError> {
    let filter = query.filter()?;
    page(
        &state,
        &caller,
        &filter,
        query.cursor.as_deref(),
        query.limit,
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TodayQuery {
    #[param(max_length = 32)]
    pub symbol: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub alert_type: Option<AlertType>,
    #[param(max_length = 100)]
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 500>")]
    pub limit: Option<u32>,
}

/// Today's alerts (since 00:00 UTC), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/screener/alerts/today",
    tag = "screener",
    params(TodayQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertPageView),
        (status = 400, description = "An unknown query parameter", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad filter or cursor (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn today_alerts(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<TodayQuery>,
) -> Result<Json<AlertPageView>, ApiError> {
    let now = bb_store::now_ms();
    let filter = AlertsQuery {
        symbol: query.symbol,
        alert_type: query.alert_type,
        screen: None,
        since: Some(now - now.rem_euclid(86_400_000)),
        until: None,
        cursor: None,
        limit: None,
    }
    .filter()?;
    page(
        &state,
        &caller,
        &filter,
        query.cursor.as_deref(),
        query.limit,
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// From (Unix ms; default: 24 hours ago).
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// Until (Unix ms, exclusive; default: none).
    #[param(minimum = 0)]
    pub until: Option<i64>,
    #[param(max_length = 32)]
    pub symbol: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountBy {
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HourCount {
    /// The hour's start (Unix ms).
    pub hour: i64,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertStatsView {
    pub since: i64,
    pub until: Option<i64>,
    pub total: i64,
    /// Most first.
    pub by_type: Vec<CountBy>,
    /// Oldest first; hours without alerts are absent.
    pub by_hour: Vec<HourCount>,
    /// The ten most alerted symbols.
    pub top_symbols: Vec<CountBy>,
}

/// Counts of alerts by type, by hour and by symbol over a window.
#[utoipa::path(
    get,
    path = "/api/v1/screener/alerts/stats",
    tag = "screener",
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertStatsView),
        (status = 400, description = "An unknown query parameter", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad window (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn alert_stats(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<StatsQuery>,
) -> Result<Json<AlertStatsView>, ApiError> {
    let since = query
        .since
        .unwrap_or_else(|| bb_store::now_ms() - 86_400_000);
    let filter = AlertsQuery {
        symbol: query.symbol,
        alert_type: None,
        screen: None,
        since: Some(since),
        until: query.until,
        cursor: None,
        limit: None,
    }
    .filter()?;
    let stats = state.db().screener().stats(&caller.id, &filter).await?;
    let count = |v: Vec<(String, i64)>| {
        v.into_iter()
            .map(|(key, count)| CountBy { key, count })
            .collect()
    };
    Ok(Json(AlertStatsView {
        since,
        until: query.until,
        total: stats.total,
        by_type: count(stats.by_type),
        by_hour: stats
            .by_hour
            .into_iter()
            .map(|(hour, count)| HourCount { hour, count })
            .collect(),
        top_symbols: count(stats.top_symbols),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this symbol.
    #[param(max_length = 32)]
    pub symbol: Option<String>,
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub alert_type: Option<AlertType>,
    /// The access token (EventSource and WebSocket clients cannot send headers).
    pub access_token: Option<String>,
}

/// What a live stream passes on.
struct StreamFilter {
    viewer: String,
    symbol: Option<String>,
    alert_type: Option<AlertType>,
}

impl StreamFilter {
    fn new(viewer: String, query: &StreamQuery) -> Result<StreamFilter, ApiError> {
        Ok(StreamFilter {
            viewer,
            symbol: query
                .symbol
                .as_deref()
                .map(|s| check_symbol(s, "symbol"))
                .transpose()?,
            alert_type: query.alert_type,
        })
    }

    /// The alert of a bus event, when it is one this stream passes on.
    fn pass(&self, event: &BusEvent) -> Option<AlertView> {
        if event.topic != ALERT_TOPIC {
            return None;
        }
        let stored: ScreenerAlert = serde_json::from_str(&event.payload).ok()?;
        if stored
            .user_id
            .as_ref()
            .is_some_and(|owner| owner != &self.viewer)
        {
            return None;
        }
        if self
            .symbol
            .as_ref()
            .is_some_and(|s| s != &stored.alert.symbol)
            || self
                .alert_type
                .is_some_and(|t| t != stored.alert.alert_type)
        {
            return None;
        }
        Some(AlertView::new(stored, &self.viewer))
    }
}

/// One event of the alert stream as sent (documentation only): `event: alert` with an
/// [`AlertView`] as JSON; `event: lagged` when the server dropped some for a slow reader.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct AlertStreamEvent {
    #[schema(pattern = "^(alert|lagged)$")]
    pub event: String,
    /// JSON: an `AlertView`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

/// New alerts as they are stored (server-sent events), optionally for one symbol or type.
#[utoipa::path(
    get,
    path = "/api/v1/screener/alerts/stream",
    tag = "screener",
    params(StreamQuery),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream of `alert` events", content_type = "text/event-stream", body = AlertStreamEvent),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad filter (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn alert_stream(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Query(query): Query<StreamQuery>,
) -> Result<Sse<KeepAliveStream<ReceiverStream<Result<Event, Infallible>>>>, ApiError> {
    let filter = StreamFilter::new(caller.id.clone(), &query)?;
    let (tx, rx) = mpsc::channel(256);
    let mut bus = state.db().subscribe();
    tokio::spawn(async move {
        loop {
            let event = match bus.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let lagged = Event::default()
                        .event("lagged")
                        .data(json!({ "dropped": n }).to_string());
                    if tx.send(Ok(lagged)).await.is_err() {
                        return;
                    }
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if let Some(view) = filter.pass(&event) {
                let data = serde_json::to_string(&view).unwrap_or_default();
                let sse = Event::default().event("alert").id(view.id).data(data);
                if tx.send(Ok(sse)).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// New alerts over a WebSocket: each a text message holding an [`AlertView`] as JSON.
/// Authenticate with `Authorization: Bearer …` or `?access_token=…`.
#[utoipa::path(
    get,
    path = "/api/v1/screener/alerts/ws",
    tag = "screener",
    params(StreamQuery),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "An unreadable query", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad filter (`details.field`), or not a WebSocket upgrade request (`details.field` is `Upgrade`)", body = ErrorEnvelope),
    )
)]
pub async fn alert_socket(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Query(query): Query<StreamQuery>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let filter = StreamFilter::new(caller.id.clone(), &query)?;
    // a request without the upgrade headers is well formed but not one this route takes
    let upgrade = upgrade.map_err(|e| {
        ApiError::validation(
            format!(
                "This is a WebSocket endpoint: connect with a WebSocket client ({})",
                e.body_text()
            ),
            Some(json!({ "field": "Upgrade" })),
        )
    })?;
    let bus = state.db().subscribe();
    Ok(upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| socket_loop(socket, bus, filter))
        .into_response())
}

async fn socket_loop(
    mut socket: WebSocket,
    mut bus: broadcast::Receiver<BusEvent>,
    filter: StreamFilter,
) {
    loop {
        tokio::select! {
            event = bus.recv() => match event {
                Ok(event) => {
                    if let Some(view) = filter.pass(&event) {
                        let text = serde_json::to_string(&view).unwrap_or_default();
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let text = json!({ "lagged": n }).to_string();
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                // pings are answered by the library; anything else from the client is ignored
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SymbolQuery {
    /// The start of a symbol (case-insensitive).
    #[param(min_length = 1, max_length = 32)]
    pub q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolMatch {
    pub symbol: String,
    /// Its alerts stored.
    pub alerts: i64,
    /// Its newest alert's trigger time (Unix ms).
    pub last_alert_at: i64,
}

/// Symbols with alerts whose name starts with `q`, most alerted first (at most 20).
#[utoipa::path(
    get,
    path = "/api/v1/screener/symbols",
    tag = "screener",
    params(SymbolQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<SymbolMatch>),
        (status = 400, description = "A missing or unknown query parameter", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "Not the start of a symbol", body = ErrorEnvelope),
    )
)]
pub async fn search_symbols(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<SymbolQuery>,
) -> Result<Json<Vec<SymbolMatch>>, ApiError> {
    let prefix = check_symbol(&query.q, "q")?;
    let found = state
        .db()
        .screener()
        .symbols(&caller.id, &prefix, 20)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(symbol, alerts, last)| SymbolMatch {
                symbol,
                alerts,
                last_alert_at: last,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenerHealth {
    /// The built-in screens' settings in force.
    pub settings: ScreenerConfig,
    /// How long alerts are kept (days).
    pub retention_days: f64,
    /// The feeds of this process, newest first.
    pub feeds: Vec<FeedHealth>,
}

/// The screener's feeds (events, alerts, gaps, errors), its settings and alert retention.
#[utoipa::path(
    get,
    path = "/api/v1/screener/health",
    tag = "screener",
    security(("bearer" = [])),
    responses((status = 200, body = ScreenerHealth), (status = 401, body = ErrorEnvelope))
)]
pub async fn health(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> Result<Json<ScreenerHealth>, ApiError> {
    let runtime = runtime(&state)?;
    Ok(Json(ScreenerHealth {
        settings: runtime.settings().clone(),
        retention_days: state.config().screener_retention.as_secs_f64() / 86_400.0,
        feeds: runtime.health(),
    }))
}

fn runtime(state: &AppState) -> Result<&crate::screener::ScreenerRuntime, ApiError> {
    state
        .screener()
        .ok_or_else(|| ApiError::Internal("the screener is not running in this process".into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// Times real time (e.g. 60: a minute a second); absent: as fast as it goes.
    #[param(exclusive_minimum = 0, maximum = 1_000_000)]
    pub speed: Option<f64>,
    /// A name for the file in errors and the health report.
    #[param(max_length = 100)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayStarted {
    /// The feed's id in `/api/v1/screener/health`.
    pub feed_id: String,
}

/// Replays a recorded Databento DBN file (MBP-1, trades, OHLCV, definitions; zstd or not)
/// through the screener: its alerts are stored and streamed like a live feed's. Admins with
/// two-factor sign-in only; one replay at a time.
#[utoipa::path(
    post,
    path = "/api/v1/screener/replays",
    tag = "screener",
    params(ReplayQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The DBN file, at most 16 MiB and 250,000 records"),
    security(("bearer" = [])),
    responses(
        (status = 202, body = ReplayStarted),
        (status = 400, description = "An unknown query parameter or an unreadable body", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or an admin without two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
        (status = 409, description = "A replay is already running", body = ErrorEnvelope),
        (status = 413, body = ErrorEnvelope),
        (status = 422, description = "Not a DBN file, or a bad speed (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn start_replay(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<ReplayQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ReplayStarted>), ApiError> {
    let pace = match query.speed {
        None => bb_feeds::Pace::Full,
        Some(speed) if speed.is_finite() && speed > 0.0 && speed <= 1e6 => {
            bb_feeds::Pace::Recorded { speed }
        }
        Some(_) => {
            return Err(ApiError::validation(
                "speed must be a number above 0, at most 1000000",
                Some(json!({ "field": "speed" })),
            ));
        }
    };
    let name = query.name.unwrap_or_else(|| "upload.dbn".into());
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::validation(
            "name: 1 to 100 characters",
            Some(json!({ "field": "name" })),
        ));
    }
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!(
                "A replay file is at most {} MiB.",
                REPLAY_BODY_LIMIT >> 20
            ))
        } else {
            ApiError::bad_request(format!(
                "The upload could not be read: {}",
                rejection.body_text()
            ))
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::validation(
            "The request body is empty: send the DBN file as the body.",
            Some(json!({ "field": "body" })),
        ));
    }
    let runtime = runtime(&state)?.clone();
    let started =
        tokio::task::spawn_blocking(move || runtime.replay(name, bytes.to_vec(), pace)).await?;
    match started {
        Ok(feed_id) => Ok((StatusCode::ACCEPTED, Json(ReplayStarted { feed_id }))),
        Err(ReplayError::Busy) => Err(ApiError::Conflict(
            "A replay is already running; wait for it to finish (see /api/v1/screener/health)."
                .into(),
        )),
        Err(ReplayError::Invalid(reason)) => Err(ApiError::validation(
            reason,
            Some(json!({ "field": "body" })),
        )),
    }
}

/// A user's screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenView {
    pub id: String,
    pub name: String,
    pub symbols: Vec<String>,
    pub alert_types: Vec<AlertType>,
    pub strategy_id: Option<String>,
    pub version: Option<i64>,
    pub signal: Option<Signal>,
    pub notify: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Screen> for ScreenView {
    fn from(s: Screen) -> ScreenView {
        ScreenView {
            id: s.id,
            name: s.name,
            symbols: s.symbols,
            alert_types: s.alert_types,
            strategy_id: s.strategy_id,
            version: s.version,
            signal: s.signal,
            notify: s.notify,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A screen to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The symbols it watches, 1 to 50.
    #[schema(min_items = 1, max_items = 50)]
    pub symbols: Vec<String>,
    /// Built-in alerts on those symbols to be told of (may be empty for a block screen).
    #[serde(default)]
    #[schema(max_items = 7)]
    pub alert_types: Vec<AlertType>,
    /// A block screen: a strategy the caller can read, and its version.
    pub strategy_id: Option<String>,
    pub version: Option<i64>,
    /// Which entry signal fires the block screen (default `enter_long`).
    pub signal: Option<Signal>,
    /// Send its alerts as notifications (default true).
    pub notify: Option<bool>,
}

async fn check_screen(
    state: &AppState,
    caller: &AuthUser,
    req: ScreenRequest,
) -> Result<ScreenSpec, ApiError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation(
            "name: 1 to 100 characters",
            Some(json!({ "field": "name" })),
        ));
    }
    if req.symbols.is_empty() || req.symbols.len() > MAX_SYMBOLS_PER_SCREEN {
        return Err(ApiError::validation(
            format!("symbols: 1 to {MAX_SYMBOLS_PER_SCREEN} symbols"),
            Some(json!({ "field": "symbols" })),
        ));
    }
    let mut symbols = Vec::with_capacity(req.symbols.len());
    for (i, s) in req.symbols.iter().enumerate() {
        let symbol = check_symbol(s, &format!("symbols[{i}]"))?;
        if !symbols.contains(&symbol) {
            symbols.push(symbol);
        }
    }
    let mut alert_types: Vec<AlertType> = Vec::new();
    for t in req.alert_types {
        if t == AlertType::BlockScreen {
            return Err(ApiError::validation(
                "alert_types: block_screen is not a built-in; give strategy_id and version instead",
                Some(json!({ "field": "alert_types" })),
            ));
        }
        if !alert_types.contains(&t) {
            alert_types.push(t);
        }
    }
    let block = match (req.strategy_id, req.version) {
        (None, None) => None,
        (Some(strategy), Some(version)) => {
            let found =
                crate::routes::strategies::access::load_visible(state, &strategy, Some(caller))
                    .await
                    .map_err(|_| {
                        ApiError::validation(
                            "strategy_id: there is no such strategy",
                            Some(json!({ "field": "strategy_id" })),
                        )
                    })?;
            crate::screener::compile_version(state.db(), &caller.id, &found.id, version)
                .await
                .map_err(|e| {
                    ApiError::validation(
                        format!("version: {e}"),
                        Some(json!({ "field": "version" })),
                    )
                })?;
            Some((found.id, version, req.signal.unwrap_or(Signal::EnterLong)))
        }
        _ => {
            return Err(ApiError::validation(
                "a block screen needs both strategy_id and version",
                Some(json!({ "field": "version" })),
            ));
        }
    };
    if block.is_none() && alert_types.is_empty() {
        return Err(ApiError::validation(
            "alert_types: name at least one alert type, or a strategy version as a block screen",
            Some(json!({ "field": "alert_types" })),
        ));
    }
    Ok(ScreenSpec {
        name,
        symbols,
        alert_types,
        block,
        notify: req.notify.unwrap_or(true),
    })
}

/// The caller's screens.
#[utoipa::path(
    get,
    path = "/api/v1/screener/screens",
    tag = "screener",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ScreenView>), (status = 401, body = ErrorEnvelope))
)]
pub async fn list_screens(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<Vec<ScreenView>>, ApiError> {
    let screens = state.db().screener().screens(&caller.id).await?;
    Ok(Json(screens.into_iter().map(ScreenView::from).collect()))
}

/// Creates a screen (at most 10 per account).
#[utoipa::path(
    post,
    path = "/api/v1/screener/screens",
    tag = "screener",
    request_body = ScreenRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ScreenView),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "The account keeps the most screens it may", body = ErrorEnvelope),
        (status = 422, description = "A bad field (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn create_screen(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<ScreenRequest>,
) -> Result<(StatusCode, Json<ScreenView>), ApiError> {
    let spec = check_screen(&state, &caller, req).await?;
    let screen = state
        .db()
        .screener()
        .create_screen(&caller.id, spec)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict(format!(
                "An account keeps at most {MAX_SCREENS_PER_USER} screens: delete one first."
            )),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(screen.into())))
}

fn no_screen(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::NotFound("There is no such screen.".into()),
        other => other.into(),
    }
}

/// One of the caller's screens.
#[utoipa::path(
    get,
    path = "/api/v1/screener/screens/{id}",
    tag = "screener",
    params(("id" = String, Path, description = "Screen id")),
    security(("bearer" = [])),
    responses((status = 200, body = ScreenView), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope))
)]
pub async fn get_screen(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ScreenView>, ApiError> {
    let screen = state
        .db()
        .screener()
        .screen(&caller.id, &id)
        .await
        .map_err(no_screen)?;
    Ok(Json(screen.into()))
}

/// Replaces one of the caller's screens.
#[utoipa::path(
    put,
    path = "/api/v1/screener/screens/{id}",
    tag = "screener",
    params(("id" = String, Path, description = "Screen id")),
    request_body = ScreenRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScreenView),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "A bad field (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn update_screen(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<ScreenRequest>,
) -> Result<Json<ScreenView>, ApiError> {
    // another user's screen is missing before its body is judged
    state
        .db()
        .screener()
        .screen(&caller.id, &id)
        .await
        .map_err(no_screen)?;
    let spec = check_screen(&state, &caller, req).await?;
    let screen = state
        .db()
        .screener()
        .update_screen(&caller.id, &id, spec)
        .await
        .map_err(no_screen)?;
    Ok(Json(screen.into()))
}

/// Deletes one of the caller's screens (its alerts stay until retention takes them).
#[utoipa::path(
    delete,
    path = "/api/v1/screener/screens/{id}",
    tag = "screener",
    params(("id" = String, Path, description = "Screen id")),
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope))
)]
pub async fn delete_screen(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .db()
        .screener()
        .delete_screen(&caller.id, &id)
        .await
        .map_err(no_screen)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A trade watched from an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeView {
    pub id: String,
    pub alert_id: Option<String>,
    pub symbol: String,
    /// `long` or `short`.
    pub side: String,
    pub entry: f64,
    pub stop_loss: f64,
    pub take_profit: f64,
    /// `open`, `stopped` (the stop loss was hit), `target` (the take profit) or `cancelled`.
    pub status: String,
    /// The price of the trade that closed it, and its time (Unix ms).
    pub exit_price: Option<f64>,
    pub exit_time: Option<i64>,
    /// Percent gained (negative: lost) from the entry to the exit, for its side.
    pub return_pct: Option<f64>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl From<bb_store::WatchedTrade> for TradeView {
    fn from(t: bb_store::WatchedTrade) -> TradeView {
        let long = t.side == bb_store::TradeSide::Long;
        let return_pct = t
            .outcome
            .map(|o| if long { 1.0 } else { -1.0 } * (o.price / t.levels.entry - 1.0) * 100.0);
        TradeView {
            id: t.id,
            alert_id: t.alert_id,
            symbol: t.symbol,
            side: t.side.as_str().into(),
            entry: t.levels.entry,
            stop_loss: t.levels.stop_loss,
            take_profit: t.levels.take_profit,
            status: t.status,
            exit_price: t.outcome.map(|o| o.price),
            exit_time: t.outcome.map(|o| o.time_ns.div_euclid(1_000_000)),
            return_pct,
            created_at: t.created_at,
            closed_at: t.closed_at,
        }
    }
}

/// A trade to watch: from an alert (its symbol, and its price as the entry unless given) or
/// a symbol and an entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeRequest {
    pub alert_id: Option<String>,
    #[schema(max_length = 32)]
    pub symbol: Option<String>,
    /// `long` (default) or `short`.
    #[schema(pattern = "^(long|short)$")]
    pub side: Option<String>,
    pub entry: Option<f64>,
    pub stop_loss: f64,
    pub take_profit: f64,
}

/// The caller's watched trades, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/screener/trades",
    tag = "screener",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<TradeView>), (status = 401, body = ErrorEnvelope))
)]
pub async fn list_trades(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<Vec<TradeView>>, ApiError> {
    let trades = state.db().screener_trades().list(&caller.id).await?;
    Ok(Json(trades.into_iter().map(TradeView::from).collect()))
}

/// Watches a trade on the live feed: entered at `entry`, closed (with a notification) by the
/// first trade at or beyond the stop loss or the take profit. At most 20 open per account.
#[utoipa::path(
    post,
    path = "/api/v1/screener/trades",
    tag = "screener",
    request_body = TradeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TradeView),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "The account watches the most open trades it may", body = ErrorEnvelope),
        (status = 422, description = "A bad field, or levels on the wrong side of the entry (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn watch_trade(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<TradeRequest>,
) -> Result<(StatusCode, Json<TradeView>), ApiError> {
    let field =
        |name: &str, message: String| ApiError::validation(message, Some(json!({ "field": name })));
    let side = match req.side.as_deref().map(bb_store::TradeSide::parse) {
        None => bb_store::TradeSide::Long,
        Some(Some(side)) => side,
        Some(None) => {
            let other = req.side.as_deref().unwrap_or_default();
            return Err(field(
                "side",
                format!("side: {other:?} is neither long nor short"),
            ));
        }
    };
    let (alert_id, symbol, alert_price) = match &req.alert_id {
        Some(id) => {
            if id.len() > 64 {
                return Err(field("alert_id", "alert_id: there is no such alert".into()));
            }
            let alert = state
                .db()
                .screener()
                .alert(&caller.id, id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        field("alert_id", "alert_id: there is no such alert".into())
                    }
                    other => other.into(),
                })?;
            (
                Some(alert.id),
                alert.alert.symbol,
                Some(alert.alert.trigger_price),
            )
        }
        None => match &req.symbol {
            Some(symbol) => (None, check_symbol(symbol, "symbol")?, None),
            None => return Err(field("symbol", "give alert_id, or symbol and entry".into())),
        },
    };
    let entry = match req.entry.or(alert_price) {
        Some(e) => e,
        None => {
            return Err(field(
                "entry",
                "entry: the price the trade was entered at".into(),
            ));
        }
    };
    for (name, value) in [
        ("entry", entry),
        ("stop_loss", req.stop_loss),
        ("take_profit", req.take_profit),
    ] {
        if !(value.is_finite() && value > 0.0 && value < 1e12) {
            return Err(field(name, format!("{name} must be a positive price")));
        }
    }
    let long = side == bb_store::TradeSide::Long;
    if (long && req.stop_loss >= entry) || (!long && req.stop_loss <= entry) {
        return Err(field(
            "stop_loss",
            format!(
                "stop_loss must be {} the entry ({entry}) for a {} trade",
                if long { "below" } else { "above" },
                if long { "long" } else { "short" }
            ),
        ));
    }
    if (long && req.take_profit <= entry) || (!long && req.take_profit >= entry) {
        return Err(field(
            "take_profit",
            format!(
                "take_profit must be {} the entry ({entry}) for a {} trade",
                if long { "above" } else { "below" },
                if long { "long" } else { "short" }
            ),
        ));
    }
    let levels = bb_store::TradeLevels {
        entry,
        stop_loss: req.stop_loss,
        take_profit: req.take_profit,
    };
    let trade = state
        .db()
        .screener_trades()
        .open(&caller.id, alert_id.as_deref(), &symbol, side, levels)
        .await?;
    Ok((StatusCode::CREATED, Json(trade.into())))
}

/// Stops watching an open trade.
#[utoipa::path(
    post,
    path = "/api/v1/screener/trades/{id}/cancel",
    tag = "screener",
    params(("id" = String, Path, description = "Watched trade id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TradeView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "It is closed already", body = ErrorEnvelope),
    )
)]
pub async fn cancel_trade(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TradeView>, ApiError> {
    let trade = state
        .db()
        .screener_trades()
        .cancel(&caller.id, &id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound("There is no such watched trade.".into()),
            other => other.into(),
        })?;
    Ok(Json(trade.into()))
}
