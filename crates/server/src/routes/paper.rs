//! Paper trading: a strategy version run forward with the backtest's own engine.
//!
//! - **Live** runs trade a shared Binance dataset's candles as they close: the run's schedule
//!   ticks once per candle, a grace period after it closes, and the tick brings the dataset
//!   up to date first.
//! - **Replay** runs (`replay_from`) trade a dataset's stored candles from a past date, one
//!   candle a second: paper trading seen working on the demo data, without a network.
//!
//! Every candle, fill and closed trade goes into the run's append-only ledger; pause keeps
//! the position, stop closes it at the last price and says so. Runs are their owner's alone
//! (anyone else gets 404), and a plan bounds how many are not stopped (`paper_runs`).

use crate::auth::extractor::{AuthUser, StreamUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::routes::market::access::field_error;
use crate::routes::plan_usage::{caller_plan, quota_error};
use crate::routes::runs::submit::{parse_time, prepare};
use crate::routes::runs::types::CreateBacktestRequest;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use bb_backtest::Settings;
use bb_backtest::alerts::AlertConfig;
use bb_jobs::paper_types::{PaperPosition, PaperSnapshot};
use bb_simulator::FillRule;
use bb_store::{NewPaperRun, PaperEvent, PaperRun, StoreError, paper_topic};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A live run's tick comes this long after its candle closes (the exchange's lateness).
const GRACE_MS: i64 = 15_000;
/// A replay processes one stored candle this often.
const REPLAY_TICK_MS: i64 = 1_000;
/// Runs listed at most.
const MAX_LISTED: u32 = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_paper_run, list_paper_runs))
        .routes(routes!(get_paper_run, update_paper_run))
        .routes(routes!(paper_ledger))
        .routes(routes!(paper_equity))
        .routes(routes!(paper_drift))
        .routes(routes!(paper_metrics))
        .routes(routes!(pause_paper_run))
        .routes(routes!(resume_paper_run))
        .routes(routes!(stop_paper_run))
        .routes(routes!(paper_events))
}

/// What to paper trade, on which candles, with which costs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaperRunRequest {
    pub strategy_id: String,
    /// Default: the newest version.
    pub version: Option<i64>,
    /// A stored dataset (see `GET /api/v1/market/datasets`); or give `symbol`.
    pub dataset_id: Option<String>,
    /// e.g. `ETH-USDT`; the dataset of this symbol at `timeframe`.
    pub symbol: Option<String>,
    /// Default: the dataset's own.
    pub timeframe: Option<String>,
    /// Starting capital, quote currency, from 1 to one trillion (default 10,000).
    #[schema(minimum = 1.0, maximum = 1_000_000_000_000.0, default = 10_000.0)]
    pub initial_capital: Option<f64>,
    /// Fee per fill, % of notional, from 0 to under 100 (default 0.1).
    #[schema(minimum = 0.0, exclusive_maximum = 100.0, default = 0.1)]
    pub fee_pct: Option<f64>,
    /// Slippage per fill, basis points against the trader, from 0 to under 10,000 (default 5).
    #[schema(minimum = 0.0, exclusive_maximum = 10_000.0, default = 5.0)]
    pub slippage_bps: Option<f64>,
    /// `next_open` (default) or `same_close`.
    pub fill: Option<String>,
    /// Whether enter-short signals open shorts (default true).
    pub allow_short: Option<bool>,
    /// Replay the dataset's stored candles from this date (ISO-8601 or Unix ms), one a
    /// second, instead of trading new candles as they close.
    pub replay_from: Option<String>,
    /// Alert thresholds (default: drawdown 20%, daily loss 10%, 5 losses in a row, data 3
    /// candles late). Each alert is a `paper_trade_alert` notification, once per episode.
    pub alert_config: Option<AlertConfig>,
    /// Trade a basket: the datasets of more markets, traded with the first (`dataset_id` or
    /// `symbol`) from one cash balance, as a basket backtest does (2 to 10 markets in all).
    #[schema(max_items = 9)]
    pub basket: Option<Vec<String>>,
    /// A basket's most one position may cost, % of the basket's equity (above 0, at most
    /// 100; default 100 divided by the number of markets).
    #[schema(exclusive_minimum = 0.0, maximum = 100.0)]
    pub max_allocation_pct: Option<f64>,
}

/// What to change on a paper run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePaperRunRequest {
    /// New alert thresholds (a missing one is not checked).
    pub alert_config: AlertConfig,
}

/// A paper run.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperRunView {
    pub id: String,
    pub strategy_id: String,
    pub strategy_title: String,
    pub version: i64,
    pub dataset_id: String,
    pub symbol: String,
    pub timeframe: String,
    /// `scheduled` (waiting for its first candle), `active`, `paused` or `stopped`.
    pub status: String,
    /// `live` (candles as they close) or `replay` (stored candles, one a second).
    pub mode: String,
    pub initial_capital: f64,
    pub fee_pct: f64,
    pub slippage_bps: f64,
    pub fill: FillRule,
    pub allow_short: bool,
    /// Open time of the first candle it trades.
    pub start_ts: i64,
    /// Open time of the last candle processed.
    pub last_candle_ts: Option<i64>,
    /// When it last processed a candle (Unix ms).
    pub last_execution_at: Option<i64>,
    /// Candles processed.
    pub candles: i64,
    /// Equity after the last candle (the capital before the first).
    pub equity: f64,
    pub total_return_pct: f64,
    /// Zero or negative.
    pub max_drawdown_pct: f64,
    /// Trades closed.
    pub trades: u64,
    pub position: Option<PaperPosition>,
    /// A basket's markets and its allocation cap (absent for one market).
    pub basket: Option<BasketView>,
    /// A basket's open positions, each with its `symbol`.
    pub positions: Vec<PaperPosition>,
    /// A basket's free cash.
    pub cash: Option<f64>,
    /// Why and how it stopped (the position closed at the last price, or none open).
    pub stop_note: Option<String>,
    pub alert_config: AlertConfig,
    /// Alerts whose episode is under way (`drawdown`, `daily_loss`, `weekly_loss`,
    /// `consecutive_losses`, `no_trade`, `stale_data`).
    pub alerts_active: Vec<String>,
    pub created_at: i64,
    pub stopped_at: Option<i64>,
}

/// A basket's markets.
#[derive(Debug, Serialize, ToSchema)]
pub struct BasketView {
    /// The most one position may cost, % of the basket's equity.
    pub max_allocation_pct: f64,
    pub members: Vec<BasketMemberView>,
}

/// One market of a basket.
#[derive(Debug, Serialize, ToSchema)]
pub struct BasketMemberView {
    pub symbol: String,
    pub dataset_id: String,
}

/// The caller's paper runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperRunList {
    pub items: Vec<PaperRunView>,
}

/// An entry of a run's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperLedgerEntry {
    /// Numbered from 1 per run.
    pub seq: i64,
    /// `tick` (a candle processed), `fill` (a position opened), `trade` (one closed),
    /// `status` or `note`.
    pub kind: String,
    /// The candle it belongs to.
    pub candle_ts: Option<i64>,
    /// In words.
    pub message: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: i64,
}

/// A page of the ledger, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperLedger {
    pub items: Vec<PaperLedgerEntry>,
    /// Give this as `after` for the next page (the last `seq`, or `after` when empty).
    pub next_after: i64,
}

/// Equity at each processed candle's close.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperEquity {
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only entries after this `seq` (what the page already holds); `Last-Event-ID` does the
    /// same on a reconnect.
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Entries after this `seq` (default 0: from the start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 500>")]
    pub limit: Option<u32>,
}

fn check_alerts(config: &AlertConfig) -> Result<(), ApiError> {
    config
        .check()
        .map_err(|(field, message)| field_error(&format!("alert_config.{field}"), message))
}

/// Change a paper run's alert thresholds.
#[utoipa::path(
    patch,
    path = "/api/v1/paper-trades/{id}",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    request_body = UpdatePaperRunRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "A threshold out of range (`details.field`, e.g. `alert_config.max_drawdown_pct`)", body = ErrorEnvelope),
    )
)]
pub async fn update_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<UpdatePaperRunRequest>,
) -> Result<Json<PaperRunView>, ApiError> {
    check_alerts(&req.alert_config)?;
    let run = load_own(&state, &id, &caller).await?;
    let value = serde_json::to_value(&req.alert_config).map_err(ApiError::internal)?;
    let run = state
        .db()
        .paper_runs()
        .set_alert_config(&run.id, &value)
        .await?;
    Ok(Json(with_title(&state, run).await))
}

fn view(run: PaperRun, title: String) -> PaperRunView {
    let settings: Settings =
        serde_json::from_value(run.settings.clone()).unwrap_or(Settings::DEFAULT);
    let snap = PaperSnapshot::read(run.snapshot.as_ref(), settings.initial_capital);
    PaperRunView {
        strategy_title: title,
        initial_capital: settings.initial_capital,
        fee_pct: settings.fee_pct,
        slippage_bps: settings.slippage_bps,
        fill: settings.fill,
        allow_short: settings.allow_short,
        equity: snap.equity,
        total_return_pct: snap.total_return_pct,
        max_drawdown_pct: snap.max_drawdown_pct,
        trades: snap.trades,
        position: snap.position,
        positions: snap.positions,
        cash: snap.cash,
        basket: run.basket.map(|b| BasketView {
            max_allocation_pct: b.max_allocation_pct,
            members: b
                .members
                .into_iter()
                .map(|m| BasketMemberView {
                    symbol: m.symbol,
                    dataset_id: m.dataset_id,
                })
                .collect(),
        }),
        id: run.id,
        strategy_id: run.strategy_id,
        version: run.version,
        dataset_id: run.dataset_id,
        symbol: run.symbol,
        timeframe: run.timeframe,
        status: run.status,
        mode: run.mode,
        start_ts: run.start_ts,
        last_candle_ts: run.last_candle_ts,
        last_execution_at: run.last_execution_at,
        candles: run.candles,
        stop_note: run.stop_note,
        alert_config: serde_json::from_value(run.alert_config).unwrap_or_default(),
        alerts_active: run.alerts_active,
        created_at: run.created_at,
        stopped_at: run.stopped_at,
    }
}

async fn title(state: &AppState, strategy_id: &str) -> String {
    state
        .db()
        .strategies()
        .get(strategy_id)
        .await
        .map(|s| s.title)
        .unwrap_or_default()
}

async fn with_title(state: &AppState, run: PaperRun) -> PaperRunView {
    let t = title(state, &run.strategy_id).await;
    view(run, t)
}

/// The caller's run `id`; 404 for anyone else's.
async fn load_own(state: &AppState, id: &str, caller: &AuthUser) -> Result<PaperRun, ApiError> {
    match state.db().paper_runs().get(id).await {
        Ok(run) if run.user_id == caller.id => Ok(run),
        Ok(_) | Err(StoreError::NotFound) => {
            Err(ApiError::NotFound("There is no such paper run.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Start paper trading a strategy version.
#[utoipa::path(
    post,
    path = "/api/v1/paper-trades",
    tag = "paper-trades",
    request_body = CreatePaperRunRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Started: scheduled for its first candle", body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan's paper runs are all in use (`quota_exceeded`, `details.metric` = `paper_runs`)", body = ErrorEnvelope),
        (status = 404, description = "No such strategy or dataset visible to the caller", body = ErrorEnvelope),
        (status = 422, description = "A setting out of range, an invalid version, a dataset not updated live without `replay_from`, or a `replay_from` outside the stored candles (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn create_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreatePaperRunRequest>,
) -> Result<(StatusCode, Json<PaperRunView>), ApiError> {
    let (user, limits) = caller_plan(&state, &caller).await?;
    let replay_from = parse_time("replay_from", req.replay_from.as_deref())?;
    let alert_config = req
        .alert_config
        .clone()
        .unwrap_or_else(AlertConfig::defaults);
    check_alerts(&alert_config)?;
    let target = CreateBacktestRequest {
        strategy_id: req.strategy_id.clone(),
        version: req.version,
        dataset_id: req.dataset_id.clone(),
        symbol: req.symbol.clone(),
        timeframe: req.timeframe.clone(),
        from: None,
        to: None,
        initial_capital: req.initial_capital,
        fee_pct: req.fee_pct,
        slippage_bps: req.slippage_bps,
        fill: req.fill.clone(),
        allow_short: req.allow_short,
        fill_gaps: None,
    };
    let prepared = prepare(&state, &caller, &user, &target).await?;
    let dataset = state
        .db()
        .candles()
        .get_dataset(&prepared.request.dataset_id)
        .await?;
    let tf = prepared.request.timeframe;
    let now = bb_store::now_ms();
    let (mode, start_ts, every, first_tick_at) = match replay_from {
        Some(from) => {
            let start = tf.bucket_start(from);
            let (first, last) = (
                dataset.first_ts.unwrap_or(i64::MAX),
                dataset.last_ts.unwrap_or(i64::MIN),
            );
            if start < first || start > last {
                return Err(field_error(
                    "replay_from",
                    format!(
                        "The replay must start within the stored candles: {} to {}.",
                        bb_data::format_utc(first.max(0)),
                        bb_data::format_utc(last.max(0))
                    ),
                ));
            }
            ("replay", start, REPLAY_TICK_MS, now)
        }
        None => {
            if !bb_market::is_fetched(&dataset) || dataset.owner_id.is_some() {
                return Err(field_error(
                    "dataset_id",
                    format!(
                        "{} is not updated with new candles (it comes from {}), so it cannot be \
                         traded live: replay its stored candles instead (replay_from), or get \
                         a market from Binance on the Data page.",
                        dataset.spec(),
                        dataset.source
                    ),
                ));
            }
            let forming = tf.bucket_start(now);
            (
                "live",
                forming,
                tf.millis(),
                forming + tf.millis() + GRACE_MS,
            )
        }
    };
    let basket = crate::routes::paper_basket::members(
        &state,
        &user,
        &dataset,
        req.basket.as_deref().unwrap_or_default(),
        req.max_allocation_pct,
        tf,
        (mode == "replay").then_some(start_ts),
    )
    .await?;
    let symbol = match &basket {
        Some(b) => b
            .members
            .iter()
            .map(|m| m.symbol.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        None => dataset.symbol.clone(),
    };
    let settings = serde_json::to_value(prepared.request.settings).map_err(ApiError::internal)?;
    let created = state
        .db()
        .paper_runs()
        .create(
            NewPaperRun {
                user_id: user.id.clone(),
                strategy_id: prepared.strategy_id,
                version: prepared.version,
                dataset_id: dataset.id.clone(),
                symbol,
                timeframe: tf.to_string(),
                settings,
                mode: mode.into(),
                start_ts,
                alert_config: serde_json::to_value(&alert_config).map_err(ApiError::internal)?,
                tick_every_ms: every,
                first_tick_at,
                basket,
            },
            limits.max_paper_runs,
        )
        .await?;
    let run = created.map_err(|exceeded| quota_error(&exceeded, &limits, now))?;
    tracing::info!(paper_run = %run.id, mode, "paper run started");
    Ok((StatusCode::CREATED, Json(with_title(&state, run).await)))
}

/// The caller's paper runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades",
    tag = "paper-trades",
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunList),
        (status = 401, body = ErrorEnvelope),
    )
)]
pub async fn list_paper_runs(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<PaperRunList>, ApiError> {
    let runs = state.db().paper_runs().list(&caller.id, MAX_LISTED).await?;
    let mut items = Vec::with_capacity(runs.len());
    for run in runs {
        items.push(with_title(&state, run).await);
    }
    Ok(Json(PaperRunList { items }))
}

/// One paper run: status, performance, the open position.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn get_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PaperRunView>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    Ok(Json(with_title(&state, run).await))
}

fn entry(e: PaperEvent) -> PaperLedgerEntry {
    PaperLedgerEntry {
        seq: e.seq,
        kind: e.kind,
        candle_ts: e.candle_ts,
        message: e.message,
        payload: e.payload,
        created_at: e.created_at,
    }
}

/// The run's ledger: candles processed, fills, closed trades, status changes and notes.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}/ledger",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id"), LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperLedger),
        (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn paper_ledger(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<PaperLedger>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    let after = q.after.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let events = state
        .db()
        .paper_runs()
        .events(&run.id, after, limit)
        .await?;
    let next_after = events.last().map_or(after, |e| e.seq);
    Ok(Json(PaperLedger {
        items: events.into_iter().map(entry).collect(),
        next_after,
    }))
}

/// Equity at each processed candle's close (the last 20,000).
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}/equity",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperEquity),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn paper_equity(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PaperEquity>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    let points = state.db().paper_runs().equity(&run.id, 20_000).await?;
    Ok(Json(PaperEquity {
        ts: points.iter().map(|p| p.0).collect(),
        equity: points.iter().map(|p| p.1).collect(),
    }))
}

/// The run's performance with the backtest's own metrics (Sharpe, win rate, profit factor,
/// exposure, …) over the candles it processed and the trades it closed.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}/metrics",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = bb_jobs::paper_metrics::PaperMetrics),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn paper_metrics(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<bb_jobs::paper_metrics::PaperMetrics>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    // At most four at once per process: each reads the run's ledger.
    static FEW: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
    let _permit = FEW
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the metrics semaphore is closed".into()))?;
    let metrics = bb_jobs::paper_metrics::metrics(state.db(), &run)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(metrics))
}

/// The drift report: the backtest re-run over the run's window on the candles as stored now,
/// compared trade by trade with what the run did, each difference named with its cause (a
/// candle revised after it was processed, a candle stored after the run passed it, a late
/// candle, a pause, a newer version), and the numbers side by side.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}/drift",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = bb_jobs::drift::DriftReport),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn paper_drift(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<bb_jobs::drift::DriftReport>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    // At most two at once per process: each replays the run's window.
    static ONE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _permit = ONE
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the drift semaphore is closed".into()))?;
    let report = bb_jobs::drift::drift(state.db(), &run)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(report))
}

async fn transition(
    state: &AppState,
    caller: &AuthUser,
    id: &str,
    from: &[&str],
    to: &str,
    message: &str,
) -> Result<Json<PaperRunView>, ApiError> {
    let run = load_own(state, id, caller).await?;
    match state
        .db()
        .paper_runs()
        .set_status(&run.id, from, to, message, None)
        .await?
    {
        Some(run) => Ok(Json(with_title(state, run).await)),
        None => Err(ApiError::Conflict(format!(
            "This paper run is {}; it cannot be {}.",
            state.db().paper_runs().get(&run.id).await?.status,
            match to {
                "paused" => "paused",
                _ => "resumed",
            }
        ))),
    }
}

/// Pause: no candles are processed; the open position is kept.
#[utoipa::path(
    post,
    path = "/api/v1/paper-trades/{id}/pause",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Not running (paused or stopped already)", body = ErrorEnvelope),
    )
)]
pub async fn pause_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PaperRunView>, ApiError> {
    transition(
        &state,
        &caller,
        &id,
        &["scheduled", "active"],
        "paused",
        "Paused by you; the open position is kept.",
    )
    .await
}

/// Resume a paused run: candles that closed meanwhile are processed in order.
#[utoipa::path(
    post,
    path = "/api/v1/paper-trades/{id}/resume",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Not paused", body = ErrorEnvelope),
    )
)]
pub async fn resume_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PaperRunView>, ApiError> {
    transition(
        &state,
        &caller,
        &id,
        &["paused"],
        "active",
        "Resumed by you; candles that closed meanwhile are processed in order.",
    )
    .await
}

/// Stop for good: the open position is closed at the last processed candle's close (with
/// fees and slippage), and the ledger and `stop_note` say so.
#[utoipa::path(
    post,
    path = "/api/v1/paper-trades/{id}/stop",
    tag = "paper-trades",
    params(("id" = String, Path, description = "Paper run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaperRunView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Stopped already", body = ErrorEnvelope),
    )
)]
pub async fn stop_paper_run(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PaperRunView>, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    if run.status == "stopped" {
        return Err(ApiError::Conflict(
            "This paper run is stopped already.".into(),
        ));
    }
    let stopped = bb_jobs::paper::stop(state.db(), &run, "Stopped by you.")
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match stopped {
        Some(run) => Ok(Json(with_title(&state, run).await)),
        None => Err(ApiError::Conflict(
            "This paper run is stopped already.".into(),
        )),
    }
}

type EventStream =
    Sse<axum::response::sse::KeepAliveStream<ReceiverStream<Result<Event, Infallible>>>>;

/// Live ledger entries as server-sent events: those after `Last-Event-ID`, then each as it
/// is stored (`event` = its kind, `id` = its `seq`, `data` = the entry). Ends once the run
/// is stopped and its last entry sent.
#[utoipa::path(
    get,
    path = "/api/v1/paper-trades/{id}/events",
    tag = "paper-trades",
    params(
        ("id" = String, Path, description = "Paper run id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this entry"),
        EventsQuery,
    ),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream of ledger entries", content_type = "text/event-stream", body = PaperLedgerEntry),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn paper_events(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<EventStream, ApiError> {
    let run = load_own(&state, &id, &caller).await?;
    let after = crate::routes::runs::events::last_event_id(&headers)?.max(q.after.unwrap_or(0));
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut bus = state.db().subscribe();
        let topic = paper_topic(&run.id);
        let mut seq = after;
        let mut stopped_seen = false;
        loop {
            let events = match state.db().paper_runs().events(&run.id, seq, 200).await {
                Ok(e) => e,
                Err(_) => return,
            };
            let had = !events.is_empty();
            for e in events {
                seq = e.seq;
                let kind = e.kind.clone();
                let data = serde_json::to_string(&entry(e)).unwrap_or_default();
                let event = Event::default().id(seq.to_string()).event(kind).data(data);
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            if !had {
                if stopped_seen {
                    return;
                }
                match state.db().paper_runs().get(&run.id).await {
                    // Stopped: read once more so the last entries go out, then end.
                    Ok(r) if r.status == "stopped" => {
                        stopped_seen = true;
                        continue;
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            tokio::select! {
                () = tx.closed() => return,
                () = crate::routes::runs::next_on(&mut bus, &topic) => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default()))
}
