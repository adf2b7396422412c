//! Connector backfills as jobs: `POST /api/v1/market/fetches` finds or creates the shared
//! dataset of a symbol and timeframe, remembers its sources (in failover order) and queues a
//! `market_fetch` job that a worker runs (a backfill from `from`, or an incremental update
//! from the last stored candle). `GET /api/v1/market/fetches/{id}` says how it went.
//!
//! Fetching spends the operator's vendor quotas and fills shared datasets, so it is for
//! admins.

use super::access::{Viewer, field_error};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_domain::Timeframe;
use bb_jobs::FetchRequest;
use bb_store::{Job, NewJob, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What to fetch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFetchRequest {
    /// e.g. `BTC-USD`.
    pub symbol: String,
    /// e.g. `1m`, `1h`, `1d`.
    pub timeframe: String,
    /// Providers in failover order (`binance`, `coindesk`, `coinmetrics`). Default: the
    /// dataset's remembered list, else `binance`.
    pub sources: Option<Vec<String>>,
    /// Start (ISO-8601 or Unix ms). Default: after the last stored candle; needed for an
    /// empty dataset.
    pub from: Option<String>,
    /// End (exclusive). Default: the candle now forming.
    pub to: Option<String>,
}

/// A fetch job.
#[derive(Debug, Serialize, ToSchema)]
pub struct FetchView {
    /// The job id.
    pub id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub dataset_id: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub attempts: i64,
    /// The last failure, in words.
    pub error: Option<String>,
    /// While it runs: how far it has come.
    pub progress: Option<bb_jobs::FetchProgress>,
    /// Once succeeded: candles received per source, new ones, and the quality summary.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl FetchView {
    pub(super) fn from_job(job: Job) -> Result<FetchView, ApiError> {
        let request: FetchRequest =
            serde_json::from_value(job.payload.clone()).map_err(ApiError::internal)?;
        Ok(FetchView {
            id: job.id,
            status: job.status.as_str().to_owned(),
            dataset_id: request.dataset_id,
            // The whole span when the fetch covers several missing ranges.
            from_ms: request
                .from_ms
                .or_else(|| request.ranges.iter().map(|r| r[0]).min()),
            to_ms: request
                .to_ms
                .or_else(|| request.ranges.iter().map(|r| r[1]).max()),
            attempts: job.attempts,
            progress: job.progress.and_then(|p| serde_json::from_value(p).ok()),
            error: job.last_error,
            result: job.result,
            created_at: job.created_at,
            finished_at: job.finished_at,
        })
    }
}

fn admins_only(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Fetching from data providers is for admins; import a file instead \
             (POST /api/v1/market/imports)."
                .into(),
        ))
    }
}

/// Queue a backfill or an incremental update of a dataset from its providers (admins).
#[utoipa::path(
    post,
    path = "/api/v1/market/fetches",
    tag = "market",
    request_body = CreateFetchRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; a worker fetches it", body = FetchView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "An unknown source or timeframe, a bad date, or no start for an empty dataset (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn create_fetch(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(req): Json<CreateFetchRequest>,
) -> Result<(StatusCode, Json<FetchView>), ApiError> {
    admins_only(&viewer)?;
    let timeframe: Timeframe = req
        .timeframe
        .parse()
        .map_err(|e: bb_domain::TimeframeError| field_error("timeframe", e.to_string()))?;
    let symbol = req.symbol.trim().to_owned();
    if symbol.is_empty() {
        return Err(field_error(
            "symbol",
            "Say which symbol to fetch, e.g. BTC-USD.",
        ));
    }
    let time = |field: &str, t: &Option<String>| {
        t.as_deref()
            .map(|t| crate::extract::parse_time_field(field, t, None))
            .transpose()
    };
    let (from_ms, to_ms) = (time("from", &req.from)?, time("to", &req.to)?);
    let given: Option<Vec<String>> = req.sources.map(|list| {
        list.iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    });
    if given.as_ref().is_some_and(Vec::is_empty) {
        return Err(field_error(
            "sources",
            "Give at least one of binance, coindesk, coinmetrics.",
        ));
    }
    let market = state.market_config();
    for (i, name) in given.iter().flatten().enumerate() {
        market
            .source_on_system_clock(name)
            .map_err(|e| field_error(&format!("sources[{i}]"), e.to_string()))?;
    }
    let (dataset, _) =
        bb_market::datasets::dataset_for_fetch(state.db(), &symbol, timeframe, given)
            .await
            .map_err(|e| match e {
                bb_market::MarketError::Store(s) => ApiError::from(s),
                other => ApiError::Internal(other.to_string()),
            })?;
    if dataset.row_count == 0 && from_ms.is_none() {
        return Err(field_error(
            "from",
            format!(
                "{} has no candles yet: give a start date for the first fetch.",
                dataset.spec()
            ),
        ));
    }
    let payload = serde_json::to_value(FetchRequest {
        dataset_id: dataset.id.clone(),
        from_ms,
        to_ms,
        ranges: Vec::new(),
    })
    .map_err(ApiError::internal)?;
    let job = state
        .db()
        .jobs()
        .enqueue(NewJob {
            user_id: Some(viewer.id.clone()),
            ..NewJob::new(bb_jobs::MARKET_FETCH, payload)
        })
        .await?;
    tracing::info!(job = %job.id, dataset = %dataset.spec(), "fetch queued");
    Ok((StatusCode::ACCEPTED, Json(FetchView::from_job(job)?)))
}

/// How a fetch went: any signed-in user may follow a fetch into a shared dataset (see
/// `POST /api/v1/market/requests`); other fetches are for admins.
#[utoipa::path(
    get,
    path = "/api/v1/market/fetches/{id}",
    tag = "market",
    params(("id" = String, Path, description = "The fetch's job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = FetchView),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn get_fetch(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Json<FetchView>, ApiError> {
    let not_found = || ApiError::NotFound("There is no such fetch.".into());
    let job = match state.db().jobs().get(&id).await {
        Ok(job) if job.kind == bb_jobs::MARKET_FETCH => job,
        Ok(_) | Err(StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let view = FetchView::from_job(job)?;
    if !viewer.admin {
        let shared = match state.db().candles().get_dataset(&view.dataset_id).await {
            Ok(dataset) => dataset.owner_id.is_none(),
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !shared {
            return Err(not_found());
        }
    }
    Ok(Json(view))
}
