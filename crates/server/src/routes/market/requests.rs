//! Market data on demand, for every signed-in user: `POST /api/v1/market/requests` asks for a
//! symbol Binance lists, at one of its timeframes, over a period. What is stored already is
//! answered at once (`ready`); what is missing (the period's head before the first stored
//! candle, its tail after the last: a stale dataset is refreshed this way) is fetched into the
//! **shared** dataset of that symbol and timeframe by one `market_fetch` job, which every
//! request for that dataset shares until it ends. Starting a fetch takes one unit of the
//! plan's daily `data_fetches`; joining one, and refreshing a dataset's last page, are free.

use super::access::{Viewer, field_error};
use super::fetches::FetchView;
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, clip};
use crate::routes::plan_usage::{caller_plan, day_period, quota_error};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_domain::Timeframe;
use bb_jobs::FetchRequest;
use bb_market::{binance_interval, binance_symbol, datasets, missing_ranges};
use bb_store::{NewJob, QuotaCharge, Shared};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The daily counter of fetches started.
pub const DATA_FETCHES_METRIC: &str = "data_fetches";

/// The most candles one request may cover (two years of one-minute candles).
pub const MAX_REQUEST_CANDLES: i64 = 1_100_000;

/// Refreshing at most this many candles at a dataset's end (one klines page) is free.
const FREE_REFRESH_CANDLES: i64 = 1_000;

/// The source on-demand data comes from.
const SOURCE: &str = "binance";

/// Candles wanted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketRequest {
    /// A market Binance lists, e.g. `ETH-USDT` (see `GET /api/v1/market/symbols`).
    pub symbol: String,
    /// One of Binance's timeframes: `1m`, `3m`, `5m`, `15m`, `30m`, `1h`, `2h`, `4h`, `6h`,
    /// `8h`, `12h`, `1d`, `3d`, `1w`.
    pub timeframe: String,
    /// Start (ISO-8601 date or time, or Unix ms).
    pub from: String,
    /// End (exclusive). Default: now (complete candles only).
    pub to: Option<String>,
}

/// A missing stretch, `[from_ms, to_ms)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Whether the candles are there, and the fetch that brings them when not.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketRequestView {
    /// Every candle of the period is stored: backtest it (`dataset_id`).
    pub ready: bool,
    /// The shared dataset of this symbol and timeframe.
    pub dataset_id: String,
    /// e.g. `ETH-USDT`.
    pub symbol: String,
    pub timeframe: String,
    /// The period asked for, on the timeframe's grid.
    pub from_ms: i64,
    pub to_ms: i64,
    /// What is being fetched.
    pub missing: Vec<MissingRange>,
    /// The fetch under way (follow it with `GET /api/v1/market/fetches/{id}`); when it ends,
    /// ask again: a fetch started by someone else may have covered another period.
    pub fetch: Option<FetchView>,
    /// The fetch was already under way for another request.
    pub joined: bool,
}

/// Ask for the candles of a symbol, timeframe and period; what is missing is fetched.
#[utoipa::path(
    post,
    path = "/api/v1/market/requests",
    tag = "market",
    request_body = MarketRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every candle is stored", body = MarketRequestView),
        (status = 202, description = "A fetch brings what is missing (queued now, or already under way)", body = MarketRequestView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan's daily fetches are used up (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 422, description = "A symbol Binance does not list, a timeframe it does not offer, a bad or too long period (`details.field`)", body = ErrorEnvelope),
        (status = 502, description = "Binance cannot be reached to check the symbol (`upstream_unavailable`); stored data still works", body = ErrorEnvelope),
    )
)]
pub async fn request_market_data(
    State(state): State<AppState>,
    caller: AuthUser,
    viewer: Viewer,
    Json(req): Json<MarketRequest>,
) -> Result<(StatusCode, Json<MarketRequestView>), ApiError> {
    // Cheap checks first: the timeframe, the period, the symbol's spelling.
    let timeframe: Timeframe = req
        .timeframe
        .trim()
        .parse()
        .ok()
        .filter(|tf| binance_interval(*tf).is_some())
        .ok_or_else(|| {
            field_error(
                "timeframe",
                format!(
                    "Binance has no {:?} candles; pick one of {}.",
                    clip(&req.timeframe, 20),
                    bb_market::BINANCE_INTERVALS.join(", ")
                ),
            )
        })?;
    let time = |field: &str, t: &str| {
        bb_data::parse_timestamp(t, None)
            .map_err(|_| {
                field_error(
                    field,
                    format!(
                        "`{field}` is not a date or time: give e.g. 2024-01-01 or \
                         2024-01-01T12:00:00Z."
                    ),
                )
            })
            .and_then(|ms| crate::extract::check_time(field, ms))
    };
    let now = bb_store::now_ms();
    let latest = timeframe.bucket_start(now);
    let from_ms = time("from", &req.from)?;
    let to_ms = match req.to.as_deref() {
        Some(t) => time("to", t)?.min(latest),
        None => latest,
    };
    if from_ms >= to_ms {
        return Err(field_error(
            "from",
            format!(
                "The period is empty: `from` must be before `to` and before the candle now \
                 forming ({}).",
                bb_data::format_utc(latest)
            ),
        ));
    }
    let candles = (to_ms - from_ms) / timeframe.millis();
    if candles > MAX_REQUEST_CANDLES {
        return Err(field_error(
            "from",
            format!(
                "That is {} {timeframe} candles; one request takes at most {}. Shorten the \
                 period or pick a longer timeframe.",
                bb_metrics::display::grouped(candles as f64, 0),
                bb_metrics::display::grouped(MAX_REQUEST_CANDLES as f64, 0),
            ),
        ));
    }
    let wanted = binance_symbol(&req.symbol);
    if wanted.is_empty() || wanted.len() > 40 {
        return Err(field_error(
            "symbol",
            "Give a market Binance lists, e.g. ETH-USDT.",
        ));
    }
    // Then the market list (cached; one fetch an hour).
    let (_, listed, _) = super::symbols::listed_markets(&state).await?;
    let Some(market) = listed
        .iter()
        .find(|m| format!("{}{}", m.base, m.quote) == wanted)
    else {
        return Err(field_error(
            "symbol",
            format!(
                "Binance does not list {:?} as a market it trades now: pick one from its list \
                 (GET /api/v1/market/symbols?q=…), such as ETH-USDT.",
                clip(&req.symbol, 40)
            ),
        ));
    };
    let symbol = market.symbol.clone();
    let db = state.db();
    let (dataset, _) = datasets::find_or_create(
        db,
        &symbol,
        timeframe,
        SOURCE,
        "fetched from Binance (monthly and daily dump files, checked against their checksums; \
         the latest candles from the klines API)",
    )
    .await
    .map_err(|e| match e {
        bb_market::MarketError::Store(s) => ApiError::from(s),
        other => ApiError::Internal(other.to_string()),
    })?;
    let stored = dataset.first_ts.zip(dataset.last_ts);
    let missing = missing_ranges(timeframe, stored, from_ms, to_ms);
    let view = |fetch: Option<FetchView>, joined: bool| MarketRequestView {
        ready: fetch.is_none(),
        dataset_id: dataset.id.clone(),
        symbol: symbol.clone(),
        timeframe: timeframe.to_string(),
        from_ms,
        to_ms,
        missing: missing
            .iter()
            .map(|[from_ms, to_ms]| MissingRange {
                from_ms: *from_ms,
                to_ms: *to_ms,
            })
            .collect(),
        fetch,
        joined,
    };
    if missing.is_empty() {
        return Ok((StatusCode::OK, Json(view(None, false))));
    }
    let missing_candles: i64 = missing
        .iter()
        .map(|[f, t]| (t - f) / timeframe.millis())
        .sum();
    let refresh_only = stored.is_some()
        && missing_candles <= FREE_REFRESH_CANDLES
        && missing.iter().all(|[f, _]| Some(*f) > dataset.last_ts);
    let (_, limits) = caller_plan(&state, &caller).await?;
    let charge = (!refresh_only && !viewer.admin).then(|| QuotaCharge {
        period: day_period(now),
        metric: DATA_FETCHES_METRIC.to_owned(),
        by: 1,
        limit: limits.max_data_fetches_per_day,
    });
    let payload = serde_json::to_value(FetchRequest {
        dataset_id: dataset.id.clone(),
        from_ms: None,
        to_ms: None,
        ranges: missing.clone(),
    })
    .map_err(ApiError::internal)?;
    let new = NewJob {
        user_id: Some(caller.id.clone()),
        ..NewJob::new(bb_jobs::MARKET_FETCH, payload)
    };
    let key = format!("{}:{}", bb_jobs::MARKET_FETCH, dataset.id);
    let (job, joined) = match db.jobs().enqueue_shared(new, &key, charge.as_ref()).await? {
        Shared::Queued(job) => (job, false),
        Shared::Joined(job) => (job, true),
        Shared::OverQuota(exceeded) => return Err(quota_error(&exceeded, &limits, now)),
    };
    tracing::info!(job = %job.id, dataset = %dataset.spec(), joined, "market data requested");
    Ok((
        StatusCode::ACCEPTED,
        Json(view(Some(FetchView::from_job(job)?), joined)),
    ))
}
