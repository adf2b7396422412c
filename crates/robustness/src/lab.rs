//! The robustness lab: every check of one strategy version on one market, in one report
//! with plain verdicts.
//!
//! # Method
//!
//! 1. **Holdout.** The last `holdout_pct` of the candles is set aside. Everything below runs
//!    on the rest (the *development* data); the holdout is evaluated once, with the
//!    combination chosen on the development data, and shown only when asked for (the
//!    server records each look).
//! 2. **Sweep.** Every combination of the swept parameters runs on the development data;
//!    each keeps its per-bar returns' sums over `pbo_blocks` equal blocks of bars. The
//!    *chosen* combination has the highest objective among those with at least
//!    `min_trades` trades (ties: first in grid order).
//! 3. **Overfitting statistics** of that sweep: the deflated Sharpe ratio of the chosen
//!    combination with every combination counted as a trial, the probability of backtest
//!    overfitting by CSCV over the blocks, and the stability of the chosen combination's
//!    neighbourhood on the grid.
//! 4. **Walk-forward** over the development data (see `bb_backtest::walk_forward`).
//! 5. **Monte Carlo** on the chosen combination's development backtest: its trades
//!    reshuffled and bootstrapped, its bar returns block-bootstrapped, and random entries with
//!    the same holding times. Seeded: the same seed gives the same numbers.

use bb_backtest::BacktestConfig;
use bb_backtest::sweep::{SweepOptions, SweepRow, SweepSpec, sweep_with, with_values};
use bb_backtest::walk_forward::{
    Objective, WalkForwardReport, WalkForwardSpec, best_row, efficiency, growth_rate, run_window,
    walk_forward,
};
use bb_domain::Candles;
use bb_metrics::Metrics;
use bb_strategy::StrategyDocument;
use serde::{Deserialize, Serialize};

use crate::montecarlo::random_entry::{HeldTrade, RandomBaseline, random_entry_baseline};
use crate::montecarlo::{MonteCarlo, block_bootstrap_bars, bootstrap_trades, reshuffle_trades};
use crate::pbo::{Pbo, pbo};
use crate::sharpe::{DeflatedSharpe, Moments, deflated_sharpe, sharpe_of_blocks};
use crate::stability::{Stability, stability};
use crate::verdict::{Level, Verdict};

mod verdicts;
use verdicts::{headline, verdicts};

/// The fewest Monte Carlo runs.
pub const MIN_RUNS: usize = 100;
/// The most Monte Carlo runs.
pub const MAX_RUNS: usize = 10_000;
/// The largest holdout, percent of the candles.
pub const MAX_HOLDOUT_PCT: f64 = 50.0;

/// What the lab runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabSpec {
    pub walk_forward: WalkForwardSpec,
    /// The last part of the candles set aside, percent (0: no holdout; at most 50).
    pub holdout_pct: f64,
    /// Simulations of each Monte Carlo check, 100 to 10,000.
    pub monte_carlo_runs: usize,
    /// The seed of every random draw; the same seed gives the same numbers.
    pub seed: u64,
    /// Blocks of bars for the probability of backtest overfitting: even, 4 to 16.
    pub pbo_blocks: usize,
}

impl Default for LabSpec {
    fn default() -> Self {
        LabSpec {
            walk_forward: WalkForwardSpec::default(),
            holdout_pct: 20.0,
            monte_carlo_runs: 1000,
            seed: 42,
            pbo_blocks: 10,
        }
    }
}

/// How deep a plan's checks may go: deeper checks are for paid plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabLimits {
    pub max_windows: usize,
    pub max_monte_carlo_runs: usize,
    pub max_pbo_blocks: usize,
}

impl LabLimits {
    pub const FREE: LabLimits = LabLimits {
        max_windows: 5,
        max_monte_carlo_runs: 1000,
        max_pbo_blocks: 10,
    };
    pub const PAID: LabLimits = LabLimits {
        max_windows: bb_backtest::walk_forward::MAX_WINDOWS,
        max_monte_carlo_runs: MAX_RUNS,
        max_pbo_blocks: 16,
    };

    /// The limits of a plan by its code (`free`, `premium`, `educator`).
    pub fn for_plan(plan: &str) -> LabLimits {
        match plan {
            "premium" | "educator" => LabLimits::PAID,
            _ => LabLimits::FREE,
        }
    }

    /// The first setting of `spec` deeper than these limits: `(field, limit, asked)`.
    pub fn exceeded(&self, spec: &LabSpec) -> Option<(&'static str, usize, usize)> {
        [
            ("windows", self.max_windows, spec.walk_forward.windows),
            (
                "monte_carlo_runs",
                self.max_monte_carlo_runs,
                spec.monte_carlo_runs,
            ),
            ("pbo_blocks", self.max_pbo_blocks, spec.pbo_blocks),
        ]
        .into_iter()
        .find(|(_, limit, asked)| asked > limit)
    }
}

/// A setting out of range, with the field it concerns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct LabError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> LabError {
    LabError {
        field,
        message: message.into(),
    }
}

impl LabSpec {
    /// Every setting in range, each refusal naming its field.
    pub fn check(&self) -> Result<(), LabError> {
        let wf = &self.walk_forward;
        if wf.windows == 0 || wf.windows > bb_backtest::walk_forward::MAX_WINDOWS {
            return Err(bad(
                "windows",
                format!(
                    "a walk-forward takes 1 to {} windows",
                    bb_backtest::walk_forward::MAX_WINDOWS
                ),
            ));
        }
        if !(50.0..=95.0).contains(&wf.in_sample_pct) {
            return Err(bad(
                "in_sample_pct",
                "the in-sample share is 50% to 95% of a window",
            ));
        }
        if wf.min_trades > 100_000 {
            return Err(bad("min_trades", "at most 100,000"));
        }
        if !(0.0..=MAX_HOLDOUT_PCT).contains(&self.holdout_pct) {
            return Err(bad(
                "holdout_pct",
                format!("the holdout is 0% to {MAX_HOLDOUT_PCT}% of the candles"),
            ));
        }
        if !(MIN_RUNS..=MAX_RUNS).contains(&self.monte_carlo_runs) {
            return Err(bad(
                "monte_carlo_runs",
                format!("Monte Carlo takes {MIN_RUNS} to {MAX_RUNS} runs"),
            ));
        }
        if !self.pbo_blocks.is_multiple_of(2) || !(4..=16).contains(&self.pbo_blocks) {
            return Err(bad("pbo_blocks", "an even number from 4 to 16"));
        }
        Ok(())
    }
}

/// A stretch of the candles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    /// Open time of the first candle, Unix ms.
    pub from_ts: i64,
    /// Open time of the last candle, Unix ms.
    pub to_ts: i64,
    pub bars: usize,
}

/// The combination chosen on the development data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chosen {
    /// One value per swept parameter.
    pub values: Vec<f64>,
    /// Its backtest on the development data.
    pub metrics: Metrics,
}

/// The holdout's outcome: the chosen combination traded on the candles set aside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldoutResult {
    pub metrics: Metrics,
    /// Holdout growth rate ÷ development growth rate (log returns per unit of time);
    /// `null` when the development rate is not positive.
    pub efficiency: Option<f64>,
    pub verdict: Verdict,
}

/// The candles set aside, and (computed with the run, shown only when asked for) how the
/// chosen combination did on them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holdout {
    pub span: Span,
    pub result: Option<HoldoutResult>,
    /// Why there is no result, when there is none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// Everything the lab found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabReport {
    pub spec: LabSpec,
    /// `node.param` of each swept parameter.
    pub axes: Vec<String>,
    /// Combinations run on the development data (every one is a trial for the deflated
    /// Sharpe ratio).
    pub combinations: usize,
    pub development: Span,
    pub holdout: Option<Holdout>,
    /// `null` when no combination made the minimum of trades.
    pub chosen: Option<Chosen>,
    pub walk_forward: Option<WalkForwardReport>,
    /// The chosen combination's trades in random orders.
    pub trade_shuffle: Option<MonteCarlo>,
    /// Its trades drawn with replacement.
    pub trade_bootstrap: Option<MonteCarlo>,
    /// Its bar returns, stationary block bootstrap.
    pub bar_bootstrap: Option<MonteCarlo>,
    /// Random entries with its holding times.
    pub random_entry: Option<RandomBaseline>,
    pub deflated_sharpe: Option<DeflatedSharpe>,
    pub pbo: Option<Pbo>,
    pub stability: Option<Stability>,
    /// One verdict per check (the holdout's is in `holdout.result`), worst first.
    pub verdicts: Vec<Verdict>,
    /// The worst verdict's level.
    pub overall: Level,
    /// The overall verdict in a sentence.
    pub headline: String,
    /// Checks that could not run, and why.
    pub notes: Vec<String>,
}

/// Why the lab cannot run at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Spec(#[from] LabError),
    #[error("{0}")]
    Sweep(#[from] bb_backtest::sweep::SweepError),
    #[error("{0}")]
    WalkForward(#[from] bb_backtest::walk_forward::WalkForwardError),
    #[error("{0} candles is too few: the lab needs at least 100 outside the holdout")]
    TooShort(usize),
}

/// The most combination-candles one lab may backtest: combinations × candles × sweeps (one
/// per window and one of the development data; an upper bound, since in-sample parts are
/// shorter than the data). About a minute on two cores.
pub const MAX_WORK: u128 = 20_000_000_000;

/// Refuses a lab whose sweeps would backtest more than [`MAX_WORK`] combination-candles,
/// saying how to make it smaller.
pub fn check_work(combinations: usize, bars: usize, windows: usize) -> Result<(), LabError> {
    let sweeps = windows as u128 + 1;
    let work = (combinations as u128)
        .saturating_mul(bars as u128)
        .saturating_mul(sweeps);
    if work <= MAX_WORK {
        return Ok(());
    }
    Err(bad(
        "params",
        format!(
            "this check would backtest about {} billion combination-candles ({combinations} \
             combinations × {bars} candles × {sweeps} sweeps); one check runs at most {} \
             billion: use fewer combinations, fewer windows or fewer candles (a shorter period \
             or a longer timeframe)",
            work / 1_000_000_000,
            MAX_WORK / 1_000_000_000
        ),
    ))
}

/// A neighbour on the grid is good when its objective reaches this share of the chosen
/// combination's.
pub const GOOD_NEIGHBOUR: f64 = 0.5;

/// Progress weights: the development sweep, the walk-forward, the rest.
const SWEEP_SHARE: usize = 40;
const WALK_SHARE: usize = 50;

/// Runs the lab. `progress(percent, stage)` reports as it goes.
pub fn run_lab(
    doc: &StrategyDocument,
    candles: &Candles,
    spec: &SweepSpec,
    lab: &LabSpec,
    config: &BacktestConfig,
    threads: usize,
    progress: &(dyn Fn(usize, &str) + Sync),
) -> Result<LabReport, RunError> {
    lab.check()?;
    let n = candles.len();
    let held = ((n as f64) * lab.holdout_pct / 100.0).floor() as usize;
    let dev_end = n - held;
    if dev_end < 100 {
        return Err(RunError::TooShort(dev_end));
    }
    let dev = candles.prefix(dev_end);
    let span = |from: usize, to: usize| Span {
        from_ts: candles.ts[from],
        to_ts: candles.ts[to - 1],
        bars: to - from,
    };
    let mut notes = Vec::new();
    let objective = lab.walk_forward.objective;

    // 2. the sweep on the development data
    let total = spec.combination_count().max(1);
    check_work(total, dev_end, lab.walk_forward.windows)?;
    let result = sweep_with(
        doc,
        &dev,
        spec,
        config,
        threads,
        &SweepOptions {
            return_blocks: lab.pbo_blocks,
        },
        &|done, _| progress(done * SWEEP_SHARE / total, "Sweeping the development data"),
    )?;
    let chosen = best_row(&result.rows, objective, lab.walk_forward.min_trades);
    if chosen.is_none() {
        notes.push(format!(
            "No combination made at least {} trades on the development data, so nothing was \
             chosen: the Monte Carlo checks, the deflated Sharpe ratio, the stability map and \
             the holdout need a chosen combination.",
            lab.walk_forward.min_trades
        ));
    }

    // 3. overfitting statistics
    let columns: Vec<_> = result
        .rows
        .iter()
        .filter(|r| r.metrics.is_some())
        .map(|r| r.returns.clone())
        .collect();
    let pbo = match pbo(&columns) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("Probability of backtest overfitting: {e}."));
            None
        }
    };
    let stability = chosen.and_then(|row| {
        let cells = cell_values(spec, &result.rows, objective);
        let lengths: Vec<usize> = spec.axes.iter().map(|a| a.values.len()).collect();
        match stability(
            &lengths,
            &cells,
            cell_index(spec, &row.values),
            GOOD_NEIGHBOUR,
        ) {
            Ok(s) => Some(s),
            Err(e) => {
                notes.push(format!("Parameter stability: {e}."));
                None
            }
        }
    });

    // 4. walk-forward
    let walk = match walk_forward(
        doc,
        &dev,
        spec,
        &lab.walk_forward,
        config,
        threads,
        &|done, total| {
            progress(
                SWEEP_SHARE + done * WALK_SHARE / total.max(1),
                "Walking forward",
            )
        },
    ) {
        Ok(w) => Some(w),
        Err(bb_backtest::walk_forward::WalkForwardError::TooShort { .. }) => {
            notes.push(format!(
                "Walk-forward: {} candles are too few for {} windows.",
                dev_end, lab.walk_forward.windows
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    progress(SWEEP_SHARE + WALK_SHARE, "Monte Carlo");

    // 5. Monte Carlo on the chosen combination's development backtest
    let mut report = LabReport {
        spec: lab.clone(),
        axes: result.axes.clone(),
        combinations: result.rows.len(),
        development: span(0, dev_end),
        holdout: None,
        chosen: None,
        walk_forward: walk,
        trade_shuffle: None,
        trade_bootstrap: None,
        bar_bootstrap: None,
        random_entry: None,
        deflated_sharpe: None,
        pbo,
        stability,
        verdicts: Vec::new(),
        overall: Level::Unknown,
        headline: String::new(),
        notes,
    };
    if let Some(row) = chosen {
        let chosen_doc = with_values(doc, &spec.axes, &row.values);
        match run_window(&chosen_doc, &dev, 0, dev_end, config) {
            Ok(run) => {
                let capital = config.sim.initial_capital;
                let trade_returns: Vec<f64> = run
                    .trades
                    .iter()
                    .map(|t| t.pnl / run.equity[t.entry_index.saturating_sub(1)])
                    .collect();
                let bar_returns: Vec<f64> =
                    run.equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
                let (runs, seed) = (lab.monte_carlo_runs, lab.seed);
                let mut note = |what: &str, e: &dyn std::fmt::Display| {
                    report.notes.push(format!("{what}: {e}."));
                };
                match reshuffle_trades(&trade_returns, capital, runs, seed) {
                    Ok(m) => report.trade_shuffle = Some(m),
                    Err(e) => note("Trade reshuffle", &e),
                }
                match bootstrap_trades(&trade_returns, capital, runs, seed) {
                    Ok(m) => report.trade_bootstrap = Some(m),
                    Err(e) => note("Trade bootstrap", &e),
                }
                match block_bootstrap_bars(&bar_returns, capital, None, runs, seed) {
                    Ok(m) => report.bar_bootstrap = Some(m),
                    Err(e) => note("Bar bootstrap", &e),
                }
                let held_trades: Vec<HeldTrade> = run
                    .trades
                    .iter()
                    .map(|t| HeldTrade {
                        entry_bar: t.entry_index,
                        exit_bar: t.exit_index,
                        side: t.side,
                        fills: Some((t.entry_price, t.exit_price)),
                    })
                    .collect();
                match random_entry_baseline(
                    &dev.open,
                    &held_trades,
                    config.sim.fee_pct,
                    config.sim.slippage_bps,
                    runs,
                    seed,
                ) {
                    Ok(b) => report.random_entry = Some(b),
                    Err(e) => note("Random entries", &e),
                }
                if let Some(m) = Moments::of(&bar_returns) {
                    report.deflated_sharpe =
                        deflated_sharpe(&m, result.rows.len(), sharpe_variance(&columns));
                }
                // the holdout, with the same combination
                if held > 0 {
                    report.holdout = Some(holdout(
                        &chosen_doc,
                        candles,
                        dev_end,
                        &run.metrics,
                        config,
                        span(dev_end, n),
                    ));
                }
                report.chosen = Some(Chosen {
                    values: row.values.clone(),
                    metrics: run.metrics,
                });
            }
            Err(reason) => report
                .notes
                .push(format!("The chosen combination could not run: {reason}.")),
        }
    }
    if report.holdout.is_none() && held > 0 {
        report.holdout = Some(Holdout {
            span: span(dev_end, n),
            result: None,
            note: Some("No combination was chosen on the development data.".into()),
        });
    }
    report.verdicts = verdicts(&report);
    report.overall = report
        .verdicts
        .iter()
        .map(|v| v.level)
        .filter(|l| *l != Level::Unknown)
        .max_by_key(|l| l.severity())
        .unwrap_or(Level::Unknown);
    report.headline = headline(&report.verdicts);
    progress(100, "Done");
    Ok(report)
}

/// The grid cell of `values` (odometer order, the last axis fastest).
fn cell_index(spec: &SweepSpec, values: &[f64]) -> usize {
    spec.axes.iter().zip(values).fold(0, |k, (axis, v)| {
        let i = axis.values.iter().position(|x| x == v).unwrap_or(0);
        k * axis.values.len() + i
    })
}

/// The objective of every grid cell (`None` for cells a constraint excluded or that failed).
fn cell_values(spec: &SweepSpec, rows: &[SweepRow], objective: Objective) -> Vec<Option<f64>> {
    let mut cells = vec![None; spec.grid_size()];
    for row in rows {
        if let Some(v) = row.metrics.as_ref().and_then(|m| objective.value(m)) {
            cells[cell_index(spec, &row.values)] = Some(v);
        }
    }
    cells
}

/// The variance, across combinations, of their per-bar Sharpe ratios (0 with fewer than two).
fn sharpe_variance(columns: &[Vec<bb_backtest::sweep::ReturnSums>]) -> f64 {
    let sharpes: Vec<f64> = columns.iter().filter_map(|c| sharpe_of_blocks(c)).collect();
    crate::sharpe::sharpe_variance(&sharpes).unwrap_or(0.0)
}

fn holdout(
    doc: &StrategyDocument,
    candles: &Candles,
    start: usize,
    development: &Metrics,
    config: &BacktestConfig,
    span: Span,
) -> Holdout {
    let bar_ms = candles.timeframe().map_or(0, |t| t.millis());
    match run_window(doc, candles, start, candles.len(), config) {
        Ok(run) => {
            let rate = |pct: f64, bars: usize| growth_rate(pct, bars as i64 * bar_ms);
            let efficiency = efficiency(
                rate(run.metrics.total_return_pct, span.bars),
                rate(development.total_return_pct, start),
            );
            Holdout {
                result: Some(HoldoutResult {
                    verdict: verdicts::holdout(efficiency, &run.metrics),
                    metrics: run.metrics,
                    efficiency,
                }),
                span,
                note: None,
            }
        }
        Err(reason) => Holdout {
            span,
            result: None,
            note: Some(format!(
                "The chosen combination could not run on it: {reason}."
            )),
        },
    }
}
