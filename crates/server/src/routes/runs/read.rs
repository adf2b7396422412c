//! Reading runs: the history, one run with its report, the equity curve, the trades (paged,
//! sorted, or as CSV), and cancelling.

use super::types::*;
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::routes::plan_usage::caller_plan;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bb_backtest::{BacktestReport, SweepReport};
use bb_domain::Trade;
use bb_jobs::RunReport;
use bb_store::{Run, RunFilter, RunKind, RunStatus, StoreError};

/// A run of the caller's of this kind; anyone else's is "not found".
pub async fn load_own(
    state: &AppState,
    id: &str,
    caller: &AuthUser,
    kind: RunKind,
) -> Result<Run, ApiError> {
    match state.db().runs().get(id).await {
        Ok(run) if run.user_id == caller.id && run.kind == kind => Ok(run),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::NotFound(format!(
            "There is no such {}.",
            match kind {
                RunKind::Backtest => "backtest",
                RunKind::Sweep => "sweep",
                RunKind::Robustness => "robustness check",
            }
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The stored report of a succeeded run, read into its type; 409 while it is not.
pub(crate) async fn report(state: &AppState, run: &Run) -> Result<RunReport, ApiError> {
    if run.status != RunStatus::Succeeded {
        return Err(ApiError::Conflict(format!(
            "This run is {}; its results exist once it has succeeded.",
            run.status
        )));
    }
    let value =
        state.db().runs().report(&run.id).await?.ok_or_else(|| {
            ApiError::Internal(format!("run {} succeeded without a report", run.id))
        })?;
    RunReport::read(run.kind, value).map_err(|e| ApiError::Internal(format!("run {}: {e}", run.id)))
}

/// The report of a succeeded backtest.
pub(crate) async fn backtest_report(
    state: &AppState,
    run: &Run,
) -> Result<BacktestReport, ApiError> {
    match report(state, run).await? {
        RunReport::Backtest(r) => Ok(*r),
        _ => Err(ApiError::Internal(format!(
            "run {} is not a backtest",
            run.id
        ))),
    }
}

pub(crate) async fn list(
    state: &AppState,
    caller: &AuthUser,
    kind: RunKind,
    query: ListRunsQuery,
) -> Result<RunPage, ApiError> {
    let (_, limits) = caller_plan(state, caller).await?;
    let status = match query.status.as_deref() {
        Some(s) => Some(s.parse::<RunStatus>().map_err(|e| {
            ApiError::validation(
                e.to_string(),
                Some(serde_json::json!({ "field": "status" })),
            )
        })?),
        None => None,
    };
    let filter = RunFilter {
        user_id: caller.id.clone(),
        kind: Some(kind),
        strategy_id: query.strategy_id,
        version: query.version,
        status,
        limit: query.limit.unwrap_or(20).clamp(1, 100),
        offset: query.offset.unwrap_or(0),
        keep: Some(limits.max_history_runs),
    };
    state.db().runs().list(&filter).await?.try_into()
}

/// The caller's backtests, newest first (as deep as the plan's history keeps).
#[utoipa::path(
    get,
    path = "/api/v1/backtests",
    tag = "backtests",
    params(ListRunsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = RunPage), (status = 401, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope))
)]
pub async fn list_backtests(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListRunsQuery>,
) -> Result<Json<RunPage>, ApiError> {
    Ok(Json(list(&state, &caller, RunKind::Backtest, query).await?))
}

pub(crate) async fn detail(state: &AppState, run: Run) -> Result<RunDetail, ApiError> {
    let report = if run.status == RunStatus::Succeeded {
        Some(report(state, &run).await?)
    } else {
        None
    };
    let (backtest, sweep): (Option<BacktestReport>, Option<SweepReport>) = match report {
        Some(RunReport::Backtest(r)) => (Some(*r), None),
        Some(RunReport::Sweep(r)) => (None, Some(*r)),
        Some(RunReport::Robustness(_)) | None => (None, None),
    };
    let run = RunView::try_from(run)?;
    Ok(match backtest {
        Some(r) => RunDetail {
            metrics: Some(r.metrics),
            assumptions: Some(r.assumptions),
            warnings: Some(r.warnings),
            monthly_returns: Some(r.monthly_returns),
            sweep,
            run,
        },
        None => RunDetail {
            metrics: None,
            assumptions: None,
            warnings: None,
            monthly_returns: None,
            sweep,
            run,
        },
    })
}

/// One backtest: status, parameters, and once succeeded its metrics, assumptions card,
/// warnings and monthly returns.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RunDetail), (status = 404, body = ErrorEnvelope))
)]
pub async fn get_backtest(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    Ok(Json(detail(&state, run).await?))
}

/// The equity curve and drawdown of a succeeded backtest.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}/equity",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = EquityView), (status = 404, body = ErrorEnvelope), (status = 409, description = "Not succeeded (yet)", body = ErrorEnvelope))
)]
pub async fn get_equity(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<EquityView>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    let report = backtest_report(&state, &run).await?;
    Ok(Json(EquityView {
        run_id: run.id,
        initial_capital: report.assumptions.initial_capital,
        points: report.equity,
    }))
}

/// Sorts trades by one of their fields (`-field` for descending).
fn sort_trades(trades: &mut [Trade], sort: Option<&str>) -> Result<(), ApiError> {
    let sort = sort.unwrap_or("entry_time");
    let (descending, name) = match sort.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sort),
    };
    let key: fn(&Trade) -> f64 = match name {
        "entry_time" => |t| t.entry_ts as f64,
        "exit_time" => |t| t.exit_ts as f64,
        "pnl" => |t| t.pnl,
        "pnl_pct" => |t| t.pnl_pct,
        "bars_held" => |t| t.bars_held() as f64,
        other => {
            return Err(ApiError::validation(
                format!(
                    "Trades cannot be sorted by \"{other}\"; use entry_time, exit_time, pnl, \
                     pnl_pct or bars_held."
                ),
                Some(serde_json::json!({ "field": "sort" })),
            ));
        }
    };
    // stable: equal keys keep their order
    trades.sort_by(|a, b| {
        let order = key(a).total_cmp(&key(b));
        if descending { order.reverse() } else { order }
    });
    Ok(())
}

/// The trades of a succeeded backtest, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}/trades",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id"), PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = TradePage), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope))
)]
pub async fn get_trades(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<TradePage>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    let mut trades = backtest_report(&state, &run).await?.trades;
    sort_trades(&mut trades, query.sort.as_deref())?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let offset = query.offset.unwrap_or(0);
    let total = trades.len() as u64;
    let items = trades
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(Json(TradePage {
        run_id: run.id,
        items,
        total,
        limit,
        offset,
    }))
}

/// Every trade of a succeeded backtest as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}/trades.csv",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, pnl_pct, fees, slippage, bars_held, exit_reason", content_type = "text/csv", body = String),
        (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope),
    )
)]
pub async fn get_trades_csv(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    let trades = backtest_report(&state, &run).await?.trades;
    let rows: Vec<(&str, &Trade)> = trades.iter().map(|t| ("", t)).collect();
    let mut body = Vec::new();
    bb_data::write_trades_csv(&mut body, &rows).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"backtest-{}-trades.csv\"", run.id),
            ),
        ],
        body,
    )
        .into_response())
}

pub(crate) async fn cancel(
    state: &AppState,
    caller: &AuthUser,
    id: &str,
    kind: RunKind,
) -> Result<RunView, ApiError> {
    let run = load_own(state, id, caller, kind).await?;
    if run.status.is_final() {
        return Err(ApiError::Conflict(format!(
            "This run is already {}; only queued or running runs can be cancelled.",
            run.status
        )));
    }
    state.db().runs().cancel_with_job(&run.id).await?;
    state.db().runs().get(&run.id).await?.try_into()
}

/// Cancel a queued or running backtest.
#[utoipa::path(
    post,
    path = "/api/v1/backtests/{id}/cancel",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RunView), (status = 404, body = ErrorEnvelope), (status = 409, description = "Already finished", body = ErrorEnvelope))
)]
pub async fn cancel_backtest(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(cancel(&state, &caller, &id, RunKind::Backtest).await?))
}

/// The caller's sweeps, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/sweeps",
    tag = "sweeps",
    params(ListRunsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = RunPage), (status = 401, body = ErrorEnvelope))
)]
pub async fn list_sweeps(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListRunsQuery>,
) -> Result<Json<RunPage>, ApiError> {
    Ok(Json(list(&state, &caller, RunKind::Sweep, query).await?))
}

/// One sweep; once succeeded, every combination's metrics (sorted best first) in `sweep`.
#[utoipa::path(
    get,
    path = "/api/v1/sweeps/{id}",
    tag = "sweeps",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RunDetail), (status = 404, body = ErrorEnvelope))
)]
pub async fn get_sweep(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Sweep).await?;
    Ok(Json(detail(&state, run).await?))
}

/// Cancel a queued or running sweep.
#[utoipa::path(
    post,
    path = "/api/v1/sweeps/{id}/cancel",
    tag = "sweeps",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RunView), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope))
)]
pub async fn cancel_sweep(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(cancel(&state, &caller, &id, RunKind::Sweep).await?))
}
