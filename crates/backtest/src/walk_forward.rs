//! Walk-forward analysis (Pardo, *The Evaluation and Optimization of Trading Strategies*,
//! 2008): the data is cut into windows; in each, the swept parameters are optimised on the
//! in-sample part by a stated objective and constraints, and the winner is traded on the
//! out-of-sample part that follows. Only out-of-sample results are stitched into the
//! headline equity and metrics.
//!
//! # Rules
//!
//! - **Windows.** `windows` out-of-sample parts of equal length follow one another to the
//!   end of the data; each is preceded by its in-sample part. *Rolling*: every in-sample part
//!   has the same length (`in_sample_pct` of a window), so old data is forgotten.
//!   *Anchored*: every in-sample part starts at the first bar and grows.
//! - **Selection.** The in-sample sweep's combination with the highest objective among those
//!   with at least `min_trades` trades; ties go to the first in grid order. A window where no
//!   combination qualifies trades nothing out of sample (and says so).
//! - **No look-ahead.** The winner is chosen from bars before the out-of-sample part only.
//!   Out of sample, indicators are computed from the first bar of the data (as a backtest of
//!   the whole data would), but signals before the out-of-sample part are dropped, except,
//!   with next-open fills, the last in-sample bar's, which fills at the first out-of-sample
//!   open. A position still open at a window's end is closed at its last close (one fee and
//!   slippage), as a backtest ends.
//! - **Stitching.** Each out-of-sample part starts with the equity the previous one ended
//!   with, so the stitched curve compounds and its trades are in the same currency.
//! - **Efficiency.** Returns are compared as growth rates per unit of time (the log of
//!   1 + return, divided by the part's duration), so parts of different lengths compare:
//!   walk-forward efficiency = out-of-sample rate ÷ in-sample rate of the chosen
//!   combinations, per window and pooled (time-weighted). Undefined when the in-sample rate
//!   is zero or negative.

use bb_domain::{Candles, Trade};
use bb_metrics::{Metrics, MetricsInput};
use bb_simulator::{FillRule, SimInput, simulate};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};
use serde::{Deserialize, Serialize};

use crate::equity::EquityPoint;
use crate::run::BacktestConfig;
use crate::sweep::{SweepOptions, SweepRow, SweepSpec, sweep_with, with_values};

/// The most windows of one walk-forward.
pub const MAX_WINDOWS: usize = 50;
/// The fewest bars an in-sample or out-of-sample part may have.
pub const MIN_PART_BARS: usize = 20;

/// How in-sample parts move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WindowMode {
    /// In-sample parts of one length slide forward (old data is forgotten).
    #[default]
    Rolling,
    /// In-sample parts all start at the first bar and grow.
    Anchored,
}

/// What a walk-forward optimises: a metric where higher is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Sharpe ratio (annualised).
    #[default]
    Sharpe,
    /// Total return, percent.
    TotalReturnPct,
    /// Compound annual growth, percent.
    CagrPct,
    /// Sortino ratio.
    Sortino,
    /// Calmar ratio (CAGR over the worst drawdown).
    Calmar,
    /// Gross profit over gross loss.
    ProfitFactor,
}

impl Objective {
    pub const ALL: &'static [Objective] = &[
        Objective::Sharpe,
        Objective::TotalReturnPct,
        Objective::CagrPct,
        Objective::Sortino,
        Objective::Calmar,
        Objective::ProfitFactor,
    ];

    /// The metric's value, when the data defines it.
    pub fn value(self, m: &Metrics) -> Option<f64> {
        let v = match self {
            Objective::Sharpe => m.sharpe,
            Objective::TotalReturnPct => Some(m.total_return_pct),
            Objective::CagrPct => m.cagr_pct,
            Objective::Sortino => m.sortino,
            Objective::Calmar => m.calmar,
            Objective::ProfitFactor => m.profit_factor,
        };
        v.filter(|x| x.is_finite())
    }

    /// The wire name (a field of [`Metrics`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Sharpe => "sharpe",
            Objective::TotalReturnPct => "total_return_pct",
            Objective::CagrPct => "cagr_pct",
            Objective::Sortino => "sortino",
            Objective::Calmar => "calmar",
            Objective::ProfitFactor => "profit_factor",
        }
    }

    /// In words, for verdicts.
    pub fn label(self) -> &'static str {
        match self {
            Objective::Sharpe => "Sharpe ratio",
            Objective::TotalReturnPct => "total return",
            Objective::CagrPct => "annual growth",
            Objective::Sortino => "Sortino ratio",
            Objective::Calmar => "Calmar ratio",
            Objective::ProfitFactor => "profit factor",
        }
    }
}

/// How to walk forward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkForwardSpec {
    /// Out-of-sample windows, 1 to 50.
    pub windows: usize,
    pub mode: WindowMode,
    /// The in-sample share of one window (rolling) or of the first window (anchored),
    /// percent, 50 to 95.
    pub in_sample_pct: f64,
    pub objective: Objective,
    /// A combination with fewer in-sample trades is never chosen.
    pub min_trades: usize,
}

impl Default for WalkForwardSpec {
    fn default() -> Self {
        WalkForwardSpec {
            windows: 5,
            mode: WindowMode::Rolling,
            in_sample_pct: 75.0,
            objective: Objective::Sharpe,
            min_trades: 5,
        }
    }
}

/// Bar indices of one window: in-sample `is_start..oos_start`, out-of-sample
/// `oos_start..oos_end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowBounds {
    pub is_start: usize,
    pub oos_start: usize,
    pub oos_end: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WalkForwardError {
    #[error("a walk-forward takes 1 to {MAX_WINDOWS} windows, not {0}")]
    Windows(usize),
    #[error("the in-sample share must be between 50% and 95%, not {0}%")]
    InSample(f64),
    #[error(
        "{bars} candles cut into {windows} windows leave {part} candles in the smallest part; \
         each part needs at least {MIN_PART_BARS}: use fewer windows or more data"
    )]
    TooShort {
        bars: usize,
        windows: usize,
        part: usize,
    },
    #[error("{0}")]
    Sweep(#[from] crate::sweep::SweepError),
}

impl WalkForwardSpec {
    /// The windows over `bars` candles.
    pub fn bounds(&self, bars: usize) -> Result<Vec<WindowBounds>, WalkForwardError> {
        if self.windows == 0 || self.windows > MAX_WINDOWS {
            return Err(WalkForwardError::Windows(self.windows));
        }
        let p = self.in_sample_pct / 100.0;
        if !(0.5..=0.95).contains(&p) {
            return Err(WalkForwardError::InSample(self.in_sample_pct));
        }
        // in-sample = p / (1 - p) out-of-sample parts; in-sample + windows × oos = bars
        let ratio = p / (1.0 - p);
        let oos = (bars as f64 / (self.windows as f64 + ratio)).floor() as usize;
        let first_is = bars.saturating_sub(oos * self.windows);
        let part = oos.min(first_is);
        if part < MIN_PART_BARS {
            return Err(WalkForwardError::TooShort {
                bars,
                windows: self.windows,
                part,
            });
        }
        Ok((0..self.windows)
            .map(|k| {
                let oos_start = first_is + k * oos;
                let oos_end = if k + 1 == self.windows {
                    bars
                } else {
                    oos_start + oos
                };
                let is_start = match self.mode {
                    WindowMode::Rolling => oos_start - first_is,
                    WindowMode::Anchored => 0,
                };
                WindowBounds {
                    is_start,
                    oos_start,
                    oos_end,
                }
            })
            .collect())
    }
}

/// One window's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkForwardWindow {
    /// Open time of the first in-sample candle, Unix ms.
    pub in_sample_from: i64,
    /// Open time of the first out-of-sample candle, Unix ms (the in-sample part ends before).
    pub out_of_sample_from: i64,
    /// Open time of the last out-of-sample candle, Unix ms.
    pub out_of_sample_to: i64,
    pub in_sample_bars: usize,
    pub out_of_sample_bars: usize,
    /// In-sample combinations with at least the minimum of trades.
    pub eligible: usize,
    /// The chosen values, one per swept parameter; `null` when none qualified.
    pub chosen: Option<Vec<f64>>,
    /// The chosen combination's in-sample metrics.
    pub in_sample: Option<Metrics>,
    /// The chosen combination's out-of-sample metrics.
    pub out_of_sample: Option<Metrics>,
    /// Out-of-sample growth rate ÷ in-sample growth rate (see the module's rules); `null`
    /// when the in-sample rate is not positive.
    pub efficiency: Option<f64>,
    /// Why this window traded nothing out of sample, when it did not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// How one swept parameter's chosen value moved between windows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParameterDrift {
    /// `node.param`.
    pub axis: String,
    /// The value chosen in each window (`null` where none was).
    pub values: Vec<Option<f64>>,
    /// Different values chosen.
    pub distinct: usize,
    /// The chosen values' range as a percentage of the swept range (0: always the same).
    pub spread_pct: f64,
}

/// A walk-forward's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkForwardReport {
    pub spec: WalkForwardSpec,
    /// `node.param` of each swept parameter.
    pub axes: Vec<String>,
    /// Combinations tried in each in-sample part.
    pub combinations: usize,
    pub windows: Vec<WalkForwardWindow>,
    /// Metrics of the stitched out-of-sample equity and trades.
    pub stitched: Option<Metrics>,
    /// The stitched out-of-sample equity (downsampled, drawdowns kept).
    pub equity: Vec<EquityPoint>,
    /// Pooled out-of-sample growth rate ÷ pooled in-sample growth rate of the chosen
    /// combinations; `null` when the in-sample rate is not positive.
    pub efficiency: Option<f64>,
    /// Windows whose out-of-sample part made money.
    pub profitable_windows: usize,
    pub parameter_drift: Vec<ParameterDrift>,
}

/// A combination traded over bars `start..end` of `candles`, with earlier bars for warm-up
/// only (see the module's rules).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRun {
    pub metrics: Metrics,
    /// Open times from the bar before `start` (where equity is still the capital).
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub trades: Vec<Trade>,
    /// Bars at whose close a position was open (the simulator's count).
    pub bars_in_market: usize,
}

/// Runs `doc` over bars `start..end` of `candles`, trading only from `start`; returns why it
/// cannot (the strategy's diagnostics or evaluation error) in words.
pub fn run_window(
    doc: &StrategyDocument,
    candles: &Candles,
    start: usize,
    end: usize,
    config: &BacktestConfig,
) -> Result<WindowRun, String> {
    let timeframe = candles
        .timeframe()
        .ok_or("the data has fewer than two candles, so its timeframe is unknown")?;
    let data = candles.prefix(end);
    let options = CompileOptions {
        base_timeframe: Some(timeframe),
        bar_count: Some(data.len()),
    };
    let plan = compile(&validate(doc), &options).map_err(|problems| {
        problems
            .first()
            .map_or_else(|| "the strategy cannot run".into(), ToString::to_string)
    })?;
    let mut evaluation = plan.evaluate(&data).map_err(|e| e.to_string())?;
    let first_signal = match config.sim.fill {
        FillRule::NextOpen => start.saturating_sub(1),
        FillRule::SameClose => start,
    };
    let s = &mut evaluation.signals;
    for column in [
        &mut s.enter_long,
        &mut s.exit_long,
        &mut s.enter_short,
        &mut s.exit_short,
    ] {
        let cut = first_signal.min(column.len());
        column[..cut].fill(false);
    }
    let sim = simulate(
        &SimInput {
            candles: &data,
            signals: &evaluation.signals,
            risk: &plan.risk,
            atr: &evaluation.atr,
        },
        &config.sim,
    );
    let from = start.saturating_sub(1);
    let metrics = bb_metrics::compute(&MetricsInput {
        ts: &data.ts[from..],
        equity: &sim.equity[from..],
        close: &data.close[from..],
        trades: &sim.trades,
        initial_capital: config.sim.initial_capital,
        timeframe,
        bars_in_market: sim.bars_in_market,
        risk_free_rate: config.risk_free_rate,
    });
    Ok(WindowRun {
        metrics,
        ts: data.ts[from..].to_vec(),
        equity: sim.equity[from..].to_vec(),
        trades: sim.trades,
        bars_in_market: sim.bars_in_market,
    })
}

/// Growth per millisecond: ln(1 + return) over the duration; `None` for a total loss or no
/// duration.
pub fn growth_rate(total_return_pct: f64, duration_ms: i64) -> Option<f64> {
    let growth = 1.0 + total_return_pct / 100.0;
    (growth > 0.0 && duration_ms > 0).then(|| growth.ln() / duration_ms as f64)
}

/// Out-of-sample growth rate ÷ in-sample growth rate; `None` unless the in-sample rate is
/// positive (the ratio means nothing otherwise).
pub fn efficiency(oos_rate: Option<f64>, is_rate: Option<f64>) -> Option<f64> {
    match (oos_rate, is_rate) {
        (Some(o), Some(i)) if i > 0.0 => Some(o / i),
        _ => None,
    }
}

/// Whether a row may be chosen: it ran, the objective is defined and it made at least
/// `min_trades` trades; its objective value when it may.
fn eligible(row: &SweepRow, objective: Objective, min_trades: usize) -> Option<f64> {
    let m = row.metrics.as_ref()?;
    let v = objective.value(m)?;
    (m.trades >= min_trades).then_some(v)
}

/// The row with the highest objective among the eligible ones (see [`eligible`]); ties go
/// to the first in grid order.
pub fn best_row(rows: &[SweepRow], objective: Objective, min_trades: usize) -> Option<&SweepRow> {
    let mut best: Option<(&SweepRow, f64)> = None;
    for row in rows {
        if let Some(v) = eligible(row, objective, min_trades)
            && best.is_none_or(|(_, b)| v > b)
        {
            best = Some((row, v));
        }
    }
    best.map(|(row, _)| row)
}

/// Walks forward over `candles`. `progress(done, total)` counts in-sample combinations.
pub fn walk_forward(
    doc: &StrategyDocument,
    candles: &Candles,
    spec: &SweepSpec,
    wf: &WalkForwardSpec,
    config: &BacktestConfig,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<WalkForwardReport, WalkForwardError> {
    let bounds = wf.bounds(candles.len())?;
    let timeframe = candles
        .timeframe()
        .ok_or(crate::sweep::SweepError::UnknownTimeframe)?;
    let combinations = spec.combination_count();
    let total = combinations * bounds.len();
    let bar_ms = timeframe.millis();
    let mut windows = Vec::with_capacity(bounds.len());
    let mut capital = config.sim.initial_capital;
    let (mut ts, mut equity, mut trades) = (Vec::new(), Vec::new(), Vec::new());
    let mut bars_in_market = 0;
    // the chosen combinations' in-sample log growth and duration, for the pooled rate
    let (mut is_log, mut is_ms) = (0.0, 0i64);
    for (k, b) in bounds.iter().enumerate() {
        let in_sample = candles.slice(b.is_start, b.oos_start);
        let offset = k * combinations;
        let result = sweep_with(
            doc,
            &in_sample,
            spec,
            config,
            threads,
            &SweepOptions::default(),
            &|done, _| progress(offset + done, total),
        )?;
        let best = best_row(&result.rows, wf.objective, wf.min_trades);
        let in_sample_ms = (b.oos_start - b.is_start) as i64 * bar_ms;
        let oos_ms = (b.oos_end - b.oos_start) as i64 * bar_ms;
        let mut window = WalkForwardWindow {
            in_sample_from: candles.ts[b.is_start],
            out_of_sample_from: candles.ts[b.oos_start],
            out_of_sample_to: candles.ts[b.oos_end - 1],
            in_sample_bars: b.oos_start - b.is_start,
            out_of_sample_bars: b.oos_end - b.oos_start,
            eligible: result
                .rows
                .iter()
                .filter(|r| eligible(r, wf.objective, wf.min_trades).is_some())
                .count(),
            chosen: None,
            in_sample: None,
            out_of_sample: None,
            efficiency: None,
            note: None,
        };
        let run = match best {
            None => Err(format!(
                "no combination made at least {} trades in sample",
                wf.min_trades
            )),
            Some(row) => {
                window.chosen = Some(row.values.clone());
                window.in_sample = row.metrics.clone();
                let chosen = with_values(doc, &spec.axes, &row.values);
                let mut cfg = *config;
                cfg.sim.initial_capital = capital;
                run_window(&chosen, candles, b.oos_start, b.oos_end, &cfg)
            }
        };
        let is_rate = window
            .in_sample
            .as_ref()
            .and_then(|m| growth_rate(m.total_return_pct, in_sample_ms));
        match run {
            Ok(run) => {
                let oos_rate = growth_rate(run.metrics.total_return_pct, oos_ms);
                window.efficiency = efficiency(oos_rate, is_rate);
                let skip = usize::from(!ts.is_empty());
                ts.extend_from_slice(&run.ts[skip..]);
                equity.extend_from_slice(&run.equity[skip..]);
                trades.extend(run.trades);
                bars_in_market += run.bars_in_market;
                capital = *equity.last().unwrap_or(&capital);
                window.out_of_sample = Some(run.metrics);
            }
            Err(reason) => {
                // flat: the equity carries over unchanged
                let from = if ts.is_empty() {
                    b.oos_start.saturating_sub(1)
                } else {
                    b.oos_start
                };
                for i in from..b.oos_end {
                    ts.push(candles.ts[i]);
                    equity.push(capital);
                }
                window.note = Some(reason);
            }
        }
        if let Some(r) = is_rate {
            is_log += r * in_sample_ms as f64;
            is_ms += in_sample_ms;
        }
        windows.push(window);
    }
    let stitched = (equity.len() >= 2).then(|| {
        let first = bounds[0].oos_start.saturating_sub(1);
        let close = &candles.close[first..first + equity.len()];
        bb_metrics::compute(&MetricsInput {
            ts: &ts,
            equity: &equity,
            close,
            trades: &trades,
            initial_capital: config.sim.initial_capital,
            timeframe,
            bars_in_market,
            risk_free_rate: config.risk_free_rate,
        })
    });
    let oos_ms = (ts.len().saturating_sub(1)) as i64 * bar_ms;
    let pooled_is = (is_ms > 0).then(|| is_log / is_ms as f64);
    let efficiency = stitched
        .as_ref()
        .and_then(|m| efficiency(growth_rate(m.total_return_pct, oos_ms), pooled_is));
    let drawdown = bb_metrics::drawdown_series(&equity);
    Ok(WalkForwardReport {
        spec: wf.clone(),
        axes: spec.axes.iter().map(crate::sweep::Axis::name).collect(),
        combinations,
        profitable_windows: windows
            .iter()
            .filter(|w| {
                w.out_of_sample
                    .as_ref()
                    .is_some_and(|m| m.total_return_pct > 0.0)
            })
            .count(),
        parameter_drift: drift(spec, &windows),
        equity: crate::equity::equity_points(&ts, &equity, &drawdown, config.equity_points),
        windows,
        stitched,
        efficiency,
    })
}

fn drift(spec: &SweepSpec, windows: &[WalkForwardWindow]) -> Vec<ParameterDrift> {
    spec.axes
        .iter()
        .enumerate()
        .map(|(a, axis)| {
            let values: Vec<Option<f64>> = windows
                .iter()
                .map(|w| w.chosen.as_ref().map(|c| c[a]))
                .collect();
            let mut seen: Vec<f64> = values.iter().flatten().copied().collect();
            seen.sort_by(f64::total_cmp);
            seen.dedup();
            let (lo, hi) = axis
                .values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            let spread = match (seen.first(), seen.last()) {
                (Some(a), Some(b)) if hi > lo => (b - a) / (hi - lo) * 100.0,
                _ => 0.0,
            };
            ParameterDrift {
                axis: axis.name(),
                distinct: seen.len(),
                spread_pct: spread,
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_windows_tile_the_data() {
        let wf = WalkForwardSpec {
            windows: 4,
            in_sample_pct: 75.0,
            ..WalkForwardSpec::default()
        };
        let b = wf.bounds(1000).unwrap();
        // 1000 / (4 + 3) = 142 per out-of-sample part; in-sample 1000 - 4 × 142 = 432
        assert_eq!(
            b[0],
            WindowBounds {
                is_start: 0,
                oos_start: 432,
                oos_end: 574
            }
        );
        assert_eq!(b[1].is_start, 142);
        assert_eq!(b[1].oos_start, 574);
        assert_eq!(b[3].oos_end, 1000);
        for w in b.windows(2) {
            assert_eq!(w[0].oos_end, w[1].oos_start);
            assert_eq!(
                w[0].oos_start - w[0].is_start,
                w[1].oos_start - w[1].is_start
            );
        }
    }

    #[test]
    fn anchored_windows_start_at_the_first_bar() {
        let wf = WalkForwardSpec {
            windows: 3,
            mode: WindowMode::Anchored,
            ..WalkForwardSpec::default()
        };
        let b = wf.bounds(600).unwrap();
        assert!(b.iter().all(|w| w.is_start == 0));
        assert!(b.windows(2).all(|w| w[1].oos_start > w[0].oos_start));
        assert_eq!(b[2].oos_end, 600);
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        let wf = |windows, pct| WalkForwardSpec {
            windows,
            in_sample_pct: pct,
            ..WalkForwardSpec::default()
        };
        assert_eq!(wf(0, 75.0).bounds(1000), Err(WalkForwardError::Windows(0)));
        assert_eq!(
            wf(51, 75.0).bounds(100_000),
            Err(WalkForwardError::Windows(51))
        );
        assert_eq!(
            wf(5, 40.0).bounds(1000),
            Err(WalkForwardError::InSample(40.0))
        );
        assert!(matches!(
            wf(10, 75.0).bounds(100),
            Err(WalkForwardError::TooShort { .. })
        ));
    }

    #[test]
    fn efficiency_needs_a_positive_in_sample_rate() {
        assert_eq!(efficiency(Some(1.0), Some(2.0)), Some(0.5));
        assert_eq!(efficiency(Some(1.0), Some(-2.0)), None);
        assert_eq!(efficiency(Some(1.0), None), None);
        assert_eq!(growth_rate(-100.0, 10), None);
        assert!((growth_rate(10.0, 1).unwrap() - 1.1f64.ln()).abs() < 1e-15);
    }
}
