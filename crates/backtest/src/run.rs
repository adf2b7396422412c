//! One backtest: evaluate the plan, simulate, measure, explain.

use bb_domain::{Candles, Timeframe};
use bb_metrics::MetricsInput;
use bb_simulator::{SimConfig, SimInput, SimResult, simulate_into};
use bb_strategy::{Evaluation, NoCache, Plan, StepCache};
use serde::{Deserialize, Serialize};

use crate::report::{BacktestReport, Counters};
use crate::{assumptions, equity, warnings};

/// Settings of a backtest beyond the strategy itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BacktestConfig {
    pub sim: SimConfig,
    /// Points in the report's equity series; 0 keeps every bar.
    pub equity_points: usize,
    /// Annual risk-free rate for Sharpe and Sortino, as a fraction.
    pub risk_free_rate: f64,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            sim: SimConfig::default(),
            equity_points: 1000,
            risk_free_rate: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacktestError {
    #[error("the data has fewer than two candles, so its timeframe is unknown")]
    UnknownTimeframe,
    #[error("{0}")]
    Evaluate(#[from] bb_strategy::EvaluateError),
    #[error("a basket needs at least one symbol")]
    EmptyBasket,
}

/// Runs `plan` over `candles` and reports.
pub fn backtest(
    name: &str,
    plan: &Plan,
    candles: &Candles,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    backtest_with(name, plan, candles, config, &NoCache)
}

/// [`backtest`] sharing step outputs through `cache` (see [`bb_strategy::StepCache`]).
pub fn backtest_with(
    name: &str,
    plan: &Plan,
    candles: &Candles,
    config: &BacktestConfig,
    cache: &dyn StepCache,
) -> Result<BacktestReport, BacktestError> {
    let timeframe = plan
        .base_timeframe
        .or_else(|| candles.timeframe())
        .ok_or(BacktestError::UnknownTimeframe)?;
    let evaluation = plan.evaluate_with(candles, cache)?;
    Ok(report(name, plan, candles, timeframe, &evaluation, config))
}

/// The simulation and metrics of an evaluated plan.
pub(crate) fn simulate_and_measure(
    candles: &Candles,
    timeframe: Timeframe,
    plan: &Plan,
    evaluation: &Evaluation,
    config: &BacktestConfig,
) -> (SimResult, bb_metrics::Metrics) {
    let mut sim = SimResult::default();
    let metrics = simulate_and_measure_into(candles, timeframe, plan, evaluation, config, &mut sim);
    (sim, metrics)
}

/// [`simulate_and_measure`] reusing `sim`'s buffers (a sweep worker keeps one).
pub(crate) fn simulate_and_measure_into(
    candles: &Candles,
    timeframe: Timeframe,
    plan: &Plan,
    evaluation: &Evaluation,
    config: &BacktestConfig,
    sim: &mut SimResult,
) -> bb_metrics::Metrics {
    let input = SimInput {
        candles,
        signals: &evaluation.signals,
        risk: &plan.risk,
        atr: &evaluation.atr,
    };
    simulate_into(&input, &config.sim, sim);
    bb_metrics::compute(&MetricsInput {
        ts: &candles.ts,
        equity: &sim.equity,
        close: &candles.close,
        trades: &sim.trades,
        initial_capital: config.sim.initial_capital,
        timeframe,
        bars_in_market: sim.bars_in_market,
        risk_free_rate: config.risk_free_rate,
    })
}

fn report(
    name: &str,
    plan: &Plan,
    candles: &Candles,
    timeframe: Timeframe,
    evaluation: &Evaluation,
    config: &BacktestConfig,
) -> BacktestReport {
    let (sim, metrics) = simulate_and_measure(candles, timeframe, plan, evaluation, config);
    let assumptions = assumptions::assumptions(
        &config.sim,
        &plan.risk,
        candles,
        timeframe,
        plan.warmup_bars,
    );
    let warnings = warnings::warnings(
        &metrics,
        &sim.trades,
        &assumptions.data,
        sim.stop_and_target_same_bar,
    );
    let drawdown = bb_metrics::drawdown_series(&sim.equity);
    let count = |v: &[bool]| v.iter().filter(|&&b| b).count();
    let s = &evaluation.signals;
    BacktestReport {
        strategy: name.to_string(),
        equity: equity::equity_points(&candles.ts, &sim.equity, &drawdown, config.equity_points),
        monthly_returns: bb_metrics::monthly_returns(
            &candles.ts,
            &sim.equity,
            config.sim.initial_capital,
        ),
        counters: Counters {
            entry_signals: count(&s.enter_long) + count(&s.enter_short),
            exit_signals: count(&s.exit_long) + count(&s.exit_short),
            ignored_signals: sim.ignored_signals,
            skipped_entries: sim.skipped_entries,
            stop_and_target_same_bar: sim.stop_and_target_same_bar,
        },
        trades: sim.trades,
        metrics,
        assumptions,
        warnings,
    }
}
