//! Listing datasets and reading one.

use super::access::{Viewer, field_error, load_visible};
use super::types::{DatasetDetail, DatasetList, DatasetView, ListQuery, SourceRun};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use bb_domain::Timeframe;

/// Every dataset the caller may see (shared ones, their own; all for an admin), with its
/// coverage and a quality summary, by symbol, timeframe and source.
#[utoipa::path(
    get,
    path = "/api/v1/market/datasets",
    tag = "market",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DatasetList),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "A bad `timeframe` (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn list_datasets(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Json<DatasetList>, ApiError> {
    let timeframe = query
        .timeframe
        .as_deref()
        .map(|t| {
            t.parse::<Timeframe>()
                .map_err(|e| field_error("timeframe", e.to_string()))
        })
        .transpose()?;
    let symbol = query.symbol.as_deref().map(str::trim);
    let items = state
        .db()
        .candles()
        .list_datasets()
        .await?
        .iter()
        .filter(|d| viewer.can_see(d))
        .filter(|d| symbol.is_none_or(|s| d.symbol.eq_ignore_ascii_case(s)))
        .filter(|d| timeframe.is_none_or(|t| d.timeframe == t))
        .map(DatasetView::from)
        .collect();
    Ok(Json(DatasetList { items }))
}

/// One dataset: coverage, the full stored quality report, and which source supplied which
/// candles.
#[utoipa::path(
    get,
    path = "/api/v1/market/datasets/{id}",
    tag = "market",
    params(("id" = String, Path, description = "Dataset id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DatasetDetail),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such dataset, or not visible to the caller", body = ErrorEnvelope),
    )
)]
pub async fn get_dataset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Json<DatasetDetail>, ApiError> {
    let dataset = load_visible(&state, &id, &viewer).await?;
    let sources = state
        .db()
        .candles()
        .sources(&dataset.id, None, None)
        .await?;
    Ok(Json(DatasetDetail {
        dataset: DatasetView::from(&dataset),
        quality_report: bb_market::datasets::stored_quality(&dataset),
        sources: sources.into_iter().map(SourceRun::from).collect(),
    }))
}
