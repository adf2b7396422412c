//! Candles of a dataset for charts: a time range, aggregated to a timeframe, merged down to
//! a number of points.

use super::MAX_CANDLES;
use super::access::{Viewer, field_error, load_visible};
use super::downsample::downsample;
use super::types::{CandleColumns, CandlesQuery};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use bb_data::TimestampUnit;
use bb_domain::Timeframe;
use bb_store::StoreError;
use serde_json::json;

/// Candles of a dataset as columns, for a chart.
#[utoipa::path(
    get,
    path = "/api/v1/market/datasets/{id}/candles",
    tag = "market",
    params(("id" = String, Path, description = "Dataset id"), CandlesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CandleColumns),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such dataset, or not visible to the caller", body = ErrorEnvelope),
        (status = 422, description = "A bad `from`, `to` (or one outside 1970 to 2200), `timeframe` (not a multiple of the stored one) or `max_points`, or more than 50,000 candles without `max_points` (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn get_candles(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<CandlesQuery>,
) -> Result<Json<CandleColumns>, ApiError> {
    let from = query
        .from
        .as_deref()
        .map(|t| timestamp("from", t))
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|t| timestamp("to", t))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(field_error("to", "`to` must be later than `from`."));
    }
    let timeframe = query
        .timeframe
        .as_deref()
        .map(|t| {
            t.parse::<Timeframe>()
                .map_err(|e| field_error("timeframe", e.to_string()))
        })
        .transpose()?;
    let max_points = query
        .max_points
        .as_deref()
        .map(|m| match m.trim().parse::<usize>() {
            Ok(n @ 1..=MAX_CANDLES) => Ok(n),
            _ => Err(field_error(
                "max_points",
                format!("`max_points` must be a whole number from 1 to {MAX_CANDLES}."),
            )),
        })
        .transpose()?;

    let dataset = load_visible(&state, &id, &viewer).await?;
    let timeframe = timeframe.unwrap_or(dataset.timeframe);
    let candles = state
        .db()
        .candles()
        .load_at(&dataset, timeframe, from, to)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(message) => field_error("timeframe", message),
            other => other.into(),
        })?;
    let count = candles.len();
    let (candles, per_point) = match max_points {
        Some(max) => downsample(candles, max),
        None if count > MAX_CANDLES => {
            return Err(ApiError::validation(
                format!(
                    "The range holds {count} candles, more than the {MAX_CANDLES} answered at \
                     once; narrow it with `from` and `to`, choose a coarser `timeframe`, or set \
                     `max_points` to merge candles."
                ),
                Some(json!({ "field": "max_points", "candles": count, "limit": MAX_CANDLES })),
            ));
        }
        None => (candles, 1),
    };
    Ok(Json(CandleColumns {
        dataset_id: dataset.id,
        symbol: dataset.symbol,
        timeframe: timeframe.to_string(),
        resampled_from: (timeframe != dataset.timeframe).then(|| dataset.timeframe.to_string()),
        candles: count,
        candles_per_point: per_point,
        t: candles.ts,
        o: candles.open,
        h: candles.high,
        l: candles.low,
        c: candles.close,
        v: candles.volume,
    }))
}

/// An ISO-8601 date or date-time (UTC), or Unix milliseconds.
fn timestamp(field: &str, text: &str) -> Result<i64, ApiError> {
    crate::extract::parse_time_field(field, text, Some(TimestampUnit::Milliseconds))
}
