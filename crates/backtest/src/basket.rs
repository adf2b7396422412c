//! Basket backtests: one strategy over several symbols sharing one cash balance, each
//! position capped at a share of equity.

use bb_domain::{Candles, Trade};
use bb_metrics::{Metrics, MetricsInput, MonthlyReturn};
use bb_simulator::{BasketMember, SimInput, simulate_basket};
use bb_strategy::Plan;
use serde::{Deserialize, Serialize};

use crate::assumptions::{self, Assumptions, DataSummary};
use crate::equity::{self, EquityPoint};
use crate::run::{BacktestConfig, BacktestError};
use crate::warnings::{self, Warning};

/// One symbol of a basket: its name, its compiled plan and its candles.
#[derive(Debug, Clone, Copy)]
pub struct BasketInput<'a> {
    pub symbol: &'a str,
    pub plan: &'a Plan,
    pub candles: &'a Candles,
}

/// What one symbol contributed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberReport {
    pub symbol: String,
    pub trades: Vec<Trade>,
    /// Net profit of this symbol's trades.
    pub pnl: f64,
    pub exposure_pct: f64,
    pub buy_and_hold_return_pct: f64,
    pub data: DataSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BasketReport {
    pub strategy: String,
    /// Metrics of the combined account. `buy_and_hold_return_pct` is the equal-weight
    /// average of the symbols' buy-and-hold returns; `exposure_pct` the average exposure of
    /// the symbols.
    pub metrics: Metrics,
    /// Fill, cost and sizing rules (the data part describes the first symbol; every symbol's
    /// data is in `members`).
    pub assumptions: Assumptions,
    pub max_allocation_pct: f64,
    /// How the symbols share cash and time.
    pub basket_rule: String,
    pub warnings: Vec<Warning>,
    pub equity: Vec<EquityPoint>,
    pub monthly_returns: Vec<MonthlyReturn>,
    pub members: Vec<MemberReport>,
}

/// Runs one basket backtest.
pub fn backtest_basket(
    name: &str,
    inputs: &[BasketInput],
    config: &BacktestConfig,
    max_allocation_pct: f64,
) -> Result<BasketReport, BacktestError> {
    let first = inputs.first().ok_or(BacktestError::EmptyBasket)?;
    let mut evaluations = Vec::with_capacity(inputs.len());
    let mut timeframes = Vec::with_capacity(inputs.len());
    for m in inputs {
        let tf = m
            .plan
            .base_timeframe
            .or_else(|| m.candles.timeframe())
            .ok_or(BacktestError::UnknownTimeframe)?;
        timeframes.push(tf);
        evaluations.push(m.plan.evaluate(m.candles)?);
    }
    let members: Vec<BasketMember> = inputs
        .iter()
        .zip(&evaluations)
        .map(|(m, e)| BasketMember {
            symbol: m.symbol.to_string(),
            input: SimInput {
                candles: m.candles,
                signals: &e.signals,
                risk: &m.plan.risk,
                atr: &e.atr,
            },
        })
        .collect();
    let result = simulate_basket(&members, &config.sim, max_allocation_pct);
    let trades: Vec<Trade> = result
        .members
        .iter()
        .flat_map(|m| m.trades.iter().cloned())
        .collect();
    // The merged timeline's step is the finest member timeframe.
    let timeframe = timeframes.iter().copied().min().unwrap_or(timeframes[0]);
    let mut metrics = bb_metrics::compute(&MetricsInput {
        ts: &result.ts,
        equity: &result.equity,
        close: &[],
        trades: &trades,
        initial_capital: config.sim.initial_capital,
        timeframe,
        bars_in_market: 0,
        risk_free_rate: config.risk_free_rate,
    });
    let member_reports: Vec<MemberReport> = result
        .members
        .iter()
        .zip(inputs)
        .zip(&timeframes)
        .map(|((r, m), &tf)| {
            let c = m.candles;
            let hold = match (c.close.first(), c.close.last()) {
                (Some(&a), Some(&b)) if a > 0.0 => (b / a - 1.0) * 100.0,
                _ => 0.0,
            };
            MemberReport {
                symbol: r.symbol.clone(),
                trades: r.trades.clone(),
                pnl: r.trades.iter().map(|t| t.pnl).sum(),
                exposure_pct: if c.is_empty() {
                    0.0
                } else {
                    r.bars_in_market as f64 / c.len() as f64 * 100.0
                },
                buy_and_hold_return_pct: hold,
                data: assumptions::assumptions(
                    &config.sim,
                    &m.plan.risk,
                    c,
                    tf,
                    m.plan.warmup_bars,
                )
                .data,
            }
        })
        .collect();
    let n = member_reports.len() as f64;
    metrics.buy_and_hold_return_pct = member_reports
        .iter()
        .map(|m| m.buy_and_hold_return_pct)
        .sum::<f64>()
        / n;
    metrics.exposure_pct = member_reports.iter().map(|m| m.exposure_pct).sum::<f64>() / n;
    let assumptions = assumptions::assumptions(
        &config.sim,
        &first.plan.risk,
        first.candles,
        timeframes[0],
        first.plan.warmup_bars,
    );
    let mut warnings = warnings::warnings(
        &metrics,
        &trades,
        &assumptions.data,
        result.stop_and_target_same_bar,
    );
    for m in member_reports.iter().skip(1) {
        if m.data.gap_count > 0 {
            warnings.push(Warning {
                code: warnings::WarningCode::DataGaps,
                message: format!(
                    "{} has {} gap(s) with {} missing bar(s).",
                    m.symbol, m.data.gap_count, m.data.missing_bars
                ),
            });
        }
    }
    let drawdown = bb_metrics::drawdown_series(&result.equity);
    Ok(BasketReport {
        strategy: name.to_string(),
        equity: equity::equity_points(&result.ts, &result.equity, &drawdown, config.equity_points),
        monthly_returns: bb_metrics::monthly_returns(
            &result.ts,
            &result.equity,
            config.sim.initial_capital,
        ),
        basket_rule: format!(
            "All symbols share one cash balance; a new position may use at most {max_allocation_pct:.1}% of the account's equity (and never more than the free cash). Bars are merged by time; at equal times symbols act in the order given ({}), exits before entries.",
            inputs
                .iter()
                .map(|m| m.symbol)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        max_allocation_pct,
        members: member_reports,
        metrics,
        assumptions,
        warnings,
    })
}
