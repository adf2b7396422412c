//! Two to five backtests side by side: a metrics table and the equity curves on one time axis.

use super::read::{backtest_report, load_own};
use super::types::{CompareRequest, CompareRow, CompareView, RunView};
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use bb_store::{RunKind, RunStatus};
use serde_json::json;

/// The metrics shown, in order.
const METRICS: &[&str] = &[
    "total_return_pct",
    "cagr_pct",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "calmar",
    "volatility_pct",
    "win_rate_pct",
    "profit_factor",
    "trades",
    "exposure_pct",
    "expectancy",
    "best_trade_pct",
    "worst_trade_pct",
];

/// Compare backtests.
#[utoipa::path(
    post,
    path = "/api/v1/backtests/compare",
    tag = "backtests",
    request_body = CompareRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CompareView),
        (status = 404, description = "A run that is not the caller's", body = ErrorEnvelope),
        (status = 422, description = "Fewer than two or more than five runs, a repeated run, or one that has not succeeded", body = ErrorEnvelope),
    )
)]
pub async fn compare(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CompareRequest>,
) -> Result<Json<CompareView>, ApiError> {
    let field = |m: &str| ApiError::validation(m, Some(json!({ "field": "ids" })));
    if !(2..=5).contains(&req.ids.len()) {
        return Err(field("Compare two to five backtests."));
    }
    // Unknown runs answer 404 before a repeated one is pointed out.
    for id in &req.ids {
        load_own(&state, id, &caller, RunKind::Backtest).await?;
    }
    let mut seen = std::collections::HashSet::new();
    if !req.ids.iter().all(|id| seen.insert(id)) {
        return Err(field("Each backtest can appear once."));
    }
    let mut runs = Vec::new();
    let mut curves: Vec<Vec<(i64, f64)>> = Vec::new();
    let mut metrics = Vec::new();
    for id in &req.ids {
        let run = load_own(&state, id, &caller, RunKind::Backtest).await?;
        if run.status != RunStatus::Succeeded {
            return Err(field(&format!(
                "Backtest {id} is {}; only succeeded backtests can be compared.",
                run.status
            )));
        }
        let report = backtest_report(&state, &run).await?;
        let capital = Some(report.assumptions.initial_capital)
            .filter(|c| *c > 0.0)
            .unwrap_or(1.0);
        curves.push(
            report
                .equity
                .iter()
                .map(|p| (p.ts, p.equity / capital * 100.0))
                .collect(),
        );
        metrics.push(report.metrics);
        runs.push(RunView::try_from(run)?);
    }
    let table = METRICS
        .iter()
        .map(|name| CompareRow {
            metric: (*name).to_owned(),
            values: metrics
                .iter()
                .map(|m| bb_backtest::sweep::metric_value(m, name))
                .collect(),
        })
        .collect();
    let (ts, equity_pct) = align(&curves);
    Ok(Json(CompareView {
        runs,
        metrics: table,
        ts,
        equity_pct,
    }))
}

/// Puts curves on the union of their times; each holds its last value between its own
/// points and is `None` outside its own span.
pub fn align(curves: &[Vec<(i64, f64)>]) -> (Vec<i64>, Vec<Vec<Option<f64>>>) {
    let mut ts: Vec<i64> = curves.iter().flatten().map(|(t, _)| *t).collect();
    ts.sort_unstable();
    ts.dedup();
    let series = curves
        .iter()
        .map(|curve| {
            let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
                return vec![None; ts.len()];
            };
            let mut k = 0;
            ts.iter()
                .map(|&t| {
                    if t < first.0 || t > last.0 {
                        return None;
                    }
                    while k + 1 < curve.len() && curve[k + 1].0 <= t {
                        k += 1;
                    }
                    Some(curve[k].1)
                })
                .collect()
        })
        .collect();
    (ts, series)
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn curves_share_one_time_axis() {
        let a = vec![(1, 100.0), (3, 110.0), (5, 120.0)];
        let b = vec![(2, 100.0), (3, 90.0)];
        let (ts, s) = align(&[a, b]);
        assert_eq!(ts, vec![1, 2, 3, 5]);
        assert_eq!(
            s[0],
            vec![Some(100.0), Some(100.0), Some(110.0), Some(120.0)]
        );
        assert_eq!(s[1], vec![None, Some(100.0), Some(90.0), None]);
        let (ts, s) = align(&[vec![], vec![(7, 1.0)]]);
        assert_eq!(ts, vec![7]);
        assert_eq!(s[0], vec![None]);
    }
}
