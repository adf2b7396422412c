//! One backtest: evaluate the plan, simulate, measure, explain.

use bb_domain::{Candles, Timeframe, Trade};
use bb_metrics::{BarStream, MetricsInput, ReturnSums};
use bb_simulator::{EquitySink, SimConfig, SimInput, SimResult, simulate, simulate_with_sink};
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
    let sim = simulate(&sim_input(candles, plan, evaluation), &config.sim);
    let metrics = bb_metrics::compute(&metrics_input(
        candles,
        timeframe,
        config,
        &sim,
        &sim.equity,
    ));
    (sim, metrics)
}

/// What the simulator reads of an evaluated plan.
fn sim_input<'a>(candles: &'a Candles, plan: &'a Plan, evaluation: &'a Evaluation) -> SimInput<'a> {
    SimInput {
        candles,
        signals: &evaluation.signals,
        risk: &plan.risk,
        atr: &evaluation.atr,
    }
}

/// What the metrics read of a run, its equity curve `equity` (empty when streamed).
fn metrics_input<'a>(
    candles: &'a Candles,
    timeframe: Timeframe,
    config: &BacktestConfig,
    sim: &'a SimResult,
    equity: &'a [f64],
) -> MetricsInput<'a> {
    MetricsInput {
        ts: &candles.ts,
        equity,
        close: &candles.close,
        trades: &sim.trades,
        initial_capital: config.sim.initial_capital,
        timeframe,
        bars_in_market: sim.bars_in_market,
        risk_free_rate: config.risk_free_rate,
    }
}

/// The metrics of an evaluated plan, the same as [`simulate_and_measure`]'s, without
/// storing its equity curve: the bar metrics are taken as the simulation goes (see
/// [`BarStream`]), with the sums of the returns in `return_blocks` blocks
/// ([`ReturnSums::of_equity`] of the curve). `trades` is a buffer to reuse (a sweep worker
/// keeps one).
pub(crate) fn measure_streamed(
    candles: &Candles,
    timeframe: Timeframe,
    plan: &Plan,
    evaluation: &Evaluation,
    config: &BacktestConfig,
    return_blocks: usize,
    trades: &mut Vec<Trade>,
) -> (bb_metrics::Metrics, Vec<ReturnSums>) {
    let input = sim_input(candles, plan, evaluation);
    measure_input_streamed(&input, timeframe, config, return_blocks, trades)
}

/// [`measure_streamed`] of a simulation's input.
fn measure_input_streamed(
    input: &SimInput,
    timeframe: Timeframe,
    config: &BacktestConfig,
    return_blocks: usize,
    trades: &mut Vec<Trade>,
) -> (bb_metrics::Metrics, Vec<ReturnSums>) {
    let candles = input.candles;
    let rf_bar =
        bb_metrics::returns::per_bar_rate(config.risk_free_rate, timeframe.bars_per_year());
    let stream = BarStream::with_return_blocks(&candles.ts, rf_bar, return_blocks);
    let (sim, Streamed(stream)) =
        simulate_with_sink(input, &config.sim, std::mem::take(trades), Streamed(stream));
    let summary = stream.finish();
    let metrics = bb_metrics::compute_streamed(
        &metrics_input(candles, timeframe, config, &sim, &[]),
        &summary,
    );
    *trades = sim.trades;
    (metrics, summary.returns)
}

/// A simulation's equity fed straight to the bar metrics.
struct Streamed<'a>(BarStream<'a>);

impl EquitySink for Streamed<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    #[inline]
    fn push_flat(&mut self, count: usize, value: f64) {
        self.0.push_flat(count, value);
    }

    #[inline]
    fn push_mapped(&mut self, prices: &[f64], value: impl Fn(f64) -> f64) {
        self.0.push_mapped(prices, value);
    }

    fn set_last(&mut self, value: f64) {
        self.0.set_last(value);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bb_domain::{RiskRules, Signals, Sizing, StopRule, TargetRule, TrailingRule};
    use bb_simulator::{FillRule, simulate};
    use proptest::prelude::*;

    /// The metrics of the stored curve, as a single backtest computes them.
    fn stored(
        input: &SimInput,
        timeframe: Timeframe,
        config: &BacktestConfig,
    ) -> bb_metrics::Metrics {
        let sim = simulate(input, &config.sim);
        bb_metrics::compute(&metrics_input(
            input.candles,
            timeframe,
            config,
            &sim,
            &sim.equity,
        ))
    }

    fn column(n: usize, every: usize, offset: usize) -> Vec<bool> {
        (0..n)
            .map(|i| (i * 7 + offset).is_multiple_of(every))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn streamed_metrics_equal_the_stored_curves(
            seed in 0u64..1000,
            n in 0usize..600,
            entry_every in 2usize..40,
            exit_every in 2usize..40,
            short in any::<bool>(),
            same_close in any::<bool>(),
            rf in prop::sample::select(vec![0.0, 0.03]),
            stops in 0usize..4,
            time_stop in prop::option::of(1u32..30),
            fee in prop::sample::select(vec![0.0, 0.1]),
            blocks in prop::sample::select(vec![0usize, 1, 10]),
        ) {
            let candles = bb_domain::synthetic::random_walk(n, seed);
            let signals = Signals {
                enter_long: column(n, entry_every, 0),
                exit_long: column(n, exit_every, 3),
                enter_short: column(n, entry_every + 1, 5),
                exit_short: column(n, exit_every + 2, 1),
            };
            let risk = RiskRules {
                sizing: if stops == 3 {
                    Sizing::FixedQuote { amount: 500.0 }
                } else {
                    Sizing::PercentOfEquity { percent: 100.0 }
                },
                stop_loss: (stops >= 1).then_some(StopRule::Percent { percent: 1.0 }),
                take_profit: (stops >= 2).then_some(TargetRule::Percent { percent: 2.0 }),
                trailing_stop: (stops == 3).then_some(TrailingRule::Percent { percent: 1.5 }),
                time_stop_bars: time_stop,
                break_even_after_pct: None,
            };
            let config = BacktestConfig {
                sim: SimConfig {
                    fill: if same_close { FillRule::SameClose } else { FillRule::NextOpen },
                    allow_short: short,
                    fee_pct: fee,
                    ..SimConfig::default()
                },
                risk_free_rate: rf,
                ..BacktestConfig::default()
            };
            let input = SimInput { candles: &candles, signals: &signals, risk: &risk, atr: &[] };
            let timeframe = Timeframe::MINUTE;
            let want = stored(&input, timeframe, &config);
            let mut trades = vec![];
            let (got, returns) = measure_input_streamed(&input, timeframe, &config, blocks, &mut trades);
            prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
            let sim = simulate(&input, &config.sim);
            prop_assert_eq!(trades, sim.trades);
            let want_returns = ReturnSums::of_equity(&sim.equity, blocks);
            prop_assert_eq!(format!("{returns:?}"), format!("{want_returns:?}"));
        }
    }
}
