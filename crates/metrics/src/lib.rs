//! Performance metrics of a backtest: returns, risk-adjusted ratios, drawdowns and trade
//! statistics, computed from the equity curve, the closed trades and the close prices.
//!
//! Each metric lives in its own module whose documentation gives its exact definition, its
//! units and what happens in edge cases. [`compute`] runs them all without allocating: two
//! tight passes over the bars and a few passes over the trades.
//!
//! Conventions used throughout:
//! - A *per-bar return* is `equity now / equity one bar earlier − 1` (see [`returns`]).
//! - Percentages are expressed as percent: `12.5` means 12.5 %.
//! - Money (`expectancy`, `average_win`, fees...) is in the quote currency of the market.
//! - Annualisation uses the timeframe's bars per 365-day year (crypto trades every day).
//! - A metric that cannot be computed from the data is `None` (`null` in JSON); each module
//!   says when that happens.
//!
//! Architecture Invariant: this crate is pure: no IO, no clock, no randomness.

pub mod average_win_loss;
mod bar_pass;
pub mod bar_stream;
pub mod best_worst_trade;
pub mod buy_and_hold;
pub mod cagr;
pub mod calmar;
pub mod costs;
pub mod display;
pub mod drawdown;
pub mod expectancy;
pub mod exposure;
pub mod holding_time;
pub mod max_drawdown;
pub mod monthly;
pub mod profit_factor;
pub mod return_sums;
pub mod returns;
pub mod sharpe;
pub mod sortino;
pub mod total_return;
pub mod trade_count;
pub mod volatility;
pub mod win_rate;

#[cfg(test)]
mod testutil;

use bb_domain::{Timeframe, Trade};
use serde::{Deserialize, Serialize};

pub use bar_stream::{BarStream, BarSummary};
pub use drawdown::drawdown_series;
pub use monthly::{MonthlyReturn, monthly_returns};
pub use return_sums::ReturnSums;

/// Everything the metrics read. `ts`, `equity` (and normally `close`) have one entry per bar.
#[derive(Clone, Copy, Debug)]
pub struct MetricsInput<'a> {
    /// Bar open times (Unix milliseconds, UTC), strictly increasing; same length as `equity`.
    pub ts: &'a [i64],
    /// Mark-to-market equity at each bar's close, in the quote currency.
    pub equity: &'a [f64],
    /// Close prices, for buy-and-hold.
    pub close: &'a [f64],
    /// Closed trades (positions still open at the end are expected to be closed at the last
    /// close by the simulator and included here).
    pub trades: &'a [Trade],
    /// Equity before the first bar.
    pub initial_capital: f64,
    /// Bar duration; periods per year for annualisation = `timeframe.bars_per_year()`.
    pub timeframe: Timeframe,
    /// Number of bars with an open position.
    pub bars_in_market: usize,
    /// Annual risk-free rate as a fraction (0.04 = 4 % a year); normally 0.
    pub risk_free_rate: f64,
}

/// The headline numbers of a backtest. `None` (JSON `null`) marks a metric the data cannot
/// define; see the module of each metric for its definition and edge cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metrics {
    /// Percent: final equity over starting capital, minus 1, × 100, after fees and slippage (see
    /// [`total_return`]).
    pub total_return_pct: f64,
    /// Percent a year: the compound annual growth rate over the data's span, in 365-day years;
    /// `null` when the data cannot define it (see [`cagr`]).
    pub cagr_pct: Option<f64>,
    /// Percent a year: the standard deviation of per-bar returns, annualised with the timeframe's
    /// bars per year (see [`volatility`]).
    pub volatility_pct: Option<f64>,
    /// Ratio, annualised: mean per-bar excess return over its standard deviation (see [`sharpe`]);
    /// `null` when undefined.
    pub sharpe: Option<f64>,
    /// Ratio, annualised: mean per-bar excess return over its downside deviation (see [`sortino`]);
    /// `null` when undefined.
    pub sortino: Option<f64>,
    /// Ratio: CAGR over the size of the maximum drawdown (see [`calmar`]); `null` when undefined.
    pub calmar: Option<f64>,
    /// Percent, zero or negative: the largest fall of equity from a running peak (see
    /// [`max_drawdown`]).
    pub max_drawdown_pct: f64,
    /// Bars: the longest time equity spent below a previous peak (see [`max_drawdown`]).
    pub max_drawdown_duration_bars: usize,
    /// Milliseconds: that longest time below a peak, in time (see [`max_drawdown`]).
    pub max_drawdown_duration_ms: i64,
    /// Percent of bars with a position open (see [`exposure`]).
    pub exposure_pct: f64,
    /// Count of closed trades (see [`trade_count`]).
    pub trades: usize,
    /// Percent of trades that made money (see [`win_rate`]); `null` without trades.
    pub win_rate_pct: Option<f64>,
    /// Ratio: gross profit over gross loss (see [`profit_factor`]); `null` when undefined.
    pub profit_factor: Option<f64>,
    /// Quote currency: the average P&L per trade (see [`expectancy`]); `null` without trades.
    pub expectancy: Option<f64>,
    /// Quote currency: the average P&L of winning trades (see [`average_win_loss`]); `null` without
    /// winners.
    pub average_win: Option<f64>,
    /// Quote currency, negative: the average P&L of losing trades (see [`average_win_loss`]);
    /// `null` without losers.
    pub average_loss: Option<f64>,
    /// Percent of the entry notional: the best trade's return (see [`best_worst_trade`]).
    pub best_trade_pct: Option<f64>,
    /// Percent of the entry notional: the worst trade's return (see [`best_worst_trade`]).
    pub worst_trade_pct: Option<f64>,
    /// Bars: how long a trade was held on average (see [`holding_time`]).
    pub average_holding_bars: Option<f64>,
    /// Milliseconds: how long a trade was held on average (see [`holding_time`]).
    pub average_holding_ms: Option<f64>,
    /// Quote currency: every fee paid (see [`costs`]).
    pub total_fees: f64,
    /// Quote currency: what slippage cost compared with fills at the raw price (see [`costs`]).
    pub total_slippage: f64,
    /// Percent: the return of holding the asset over the same data, for comparison (see
    /// [`buy_and_hold`]).
    pub buy_and_hold_return_pct: f64,
}

/// Computes every metric: one pass over the bars (returns and drawdowns, flat stretches
/// skipped, see `bar_pass`) and a few over the trades. Nothing is allocated.
///
/// `ts` and `equity` must have the same length (checked in debug builds); extra entries of
/// the longer one are ignored by the bar metrics.
pub fn compute(input: &MetricsInput<'_>) -> Metrics {
    debug_assert_eq!(
        input.ts.len(),
        input.equity.len(),
        "one timestamp per equity value"
    );
    let bars = input.ts.len().min(input.equity.len());
    let (ts, equity) = (&input.ts[..bars], &input.equity[..bars]);
    let rf_bar = returns::per_bar_rate(input.risk_free_rate, input.timeframe.bars_per_year());
    let (stats, drawdown) = bar_pass::bar_pass(ts, equity, rf_bar);
    let summary = BarSummary {
        bars,
        last: equity.last().copied(),
        stats,
        drawdown,
        returns: Vec::new(),
    };
    compute_streamed(&MetricsInput { ts, ..*input }, &summary)
}

/// [`compute`] with the bar metrics taken from a [`BarStream`] the run fed (whose
/// per-bar risk-free rate must be [`returns::per_bar_rate`] of `input`'s, and whose bars
/// `input.ts` timestamps): `input.equity` is not read. The same numbers, bit for bit, as
/// [`compute`] on the curve the stream was fed.
pub fn compute_streamed(input: &MetricsInput<'_>, summary: &BarSummary) -> Metrics {
    let MetricsInput {
        ts,
        equity: _,
        close,
        trades,
        initial_capital,
        timeframe,
        bars_in_market,
        risk_free_rate: _,
    } = *input;
    let BarSummary {
        bars,
        last,
        stats,
        drawdown: dd,
        returns: _,
    } = *summary;
    let ts = &ts[..bars.min(ts.len())];
    let periods_per_year = timeframe.bars_per_year();
    let cagr_pct =
        last.and_then(|last| cagr::cagr_pct(initial_capital, last, cagr::span_ms(ts, timeframe)));
    let (average_win, average_loss) = average_win_loss::average_win_loss(trades);
    let (best_trade_pct, worst_trade_pct) = best_worst_trade::best_worst_trade_pct(trades);
    let (average_holding_bars, average_holding_ms) = holding_time::average_holding(trades);
    let (total_fees, total_slippage) = costs::total_costs(trades);

    Metrics {
        total_return_pct: total_return::total_return_pct(last.as_slice(), initial_capital),
        cagr_pct,
        volatility_pct: volatility::volatility_pct(&stats, periods_per_year),
        sharpe: sharpe::sharpe(&stats, periods_per_year),
        sortino: sortino::sortino(&stats, periods_per_year),
        calmar: calmar::calmar(cagr_pct, dd.pct),
        max_drawdown_pct: dd.pct,
        max_drawdown_duration_bars: dd.duration_bars,
        max_drawdown_duration_ms: dd.duration_ms,
        exposure_pct: exposure::exposure_pct(bars_in_market, bars),
        trades: trade_count::trade_count(trades),
        win_rate_pct: win_rate::win_rate_pct(trades),
        profit_factor: profit_factor::profit_factor(trades),
        expectancy: expectancy::expectancy(trades),
        average_win,
        average_loss,
        best_trade_pct,
        worst_trade_pct,
        average_holding_bars,
        average_holding_ms,
        total_fees,
        total_slippage,
        buy_and_hold_return_pct: buy_and_hold::buy_and_hold_return_pct(close),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, trade};
    use proptest::prelude::*;

    const HOUR_MS: i64 = 3_600_000;

    fn hourly(n: usize) -> Vec<i64> {
        (0..n as i64)
            .map(|i| 1_700_000_000_000 + i * HOUR_MS)
            .collect()
    }

    fn input<'a>(
        ts: &'a [i64],
        equity: &'a [f64],
        close: &'a [f64],
        trades: &'a [Trade],
    ) -> MetricsInput<'a> {
        MetricsInput {
            ts,
            equity,
            close,
            trades,
            initial_capital: 1000.0,
            timeframe: Timeframe::HOUR,
            bars_in_market: 0,
            risk_free_rate: 0.0,
        }
    }

    #[test]
    fn empty_input_gives_neutral_metrics() {
        let m = compute(&input(&[], &[], &[], &[]));
        assert_eq!(
            m,
            Metrics {
                total_return_pct: 0.0,
                cagr_pct: None,
                volatility_pct: None,
                sharpe: None,
                sortino: None,
                calmar: None,
                max_drawdown_pct: 0.0,
                max_drawdown_duration_bars: 0,
                max_drawdown_duration_ms: 0,
                exposure_pct: 0.0,
                trades: 0,
                win_rate_pct: None,
                profit_factor: None,
                expectancy: None,
                average_win: None,
                average_loss: None,
                best_trade_pct: None,
                worst_trade_pct: None,
                average_holding_bars: None,
                average_holding_ms: None,
                total_fees: 0.0,
                total_slippage: 0.0,
                buy_and_hold_return_pct: 0.0,
            }
        );
    }

    #[test]
    fn flat_equity_without_trades() {
        let ts = hourly(50);
        let equity = vec![1000.0; 50];
        let close: Vec<f64> = (0..50).map(|i| 100.0 + i as f64).collect();
        let m = compute(&input(&ts, &equity, &close, &[]));
        assert_eq!(m.total_return_pct, 0.0);
        assert_eq!(m.cagr_pct, Some(0.0));
        assert_eq!(m.volatility_pct, Some(0.0));
        assert_eq!((m.sharpe, m.sortino, m.calmar), (None, None, None));
        assert_eq!((m.max_drawdown_pct, m.max_drawdown_duration_bars), (0.0, 0));
        assert_eq!(m.trades, 0);
        assert_close(Some(m.buy_and_hold_return_pct), Some(49.0));
    }

    #[test]
    fn worked_example() {
        // Four hourly bars: 1000 -> 1100 -> 990 -> 1089, one winning and one losing trade.
        let ts = hourly(4);
        let equity = [1000.0, 1100.0, 990.0, 1089.0];
        let close = [10.0, 11.0, 9.9, 10.89];
        let trades = [trade(150.0, 15.0), trade(-61.0, -6.1)];
        let m = compute(&MetricsInput {
            bars_in_market: 3,
            ..input(&ts, &equity, &close, &trades)
        });
        // Returns +10 %, -10 %, +10 %: mean 1/30, sample std = sqrt(1/75).
        let ppy: f64 = 365.0 * 24.0;
        let (mean, std) = (0.1 / 3.0, (1.0f64 / 75.0).sqrt());
        assert_close(Some(m.total_return_pct), Some(8.9));
        assert_close(m.volatility_pct, Some(std * ppy.sqrt() * 100.0));
        assert_close(m.sharpe, Some(mean / std * ppy.sqrt()));
        // Downside: only the -10 % bar, averaged over all three bars.
        assert_close(m.sortino, Some(mean / (0.01f64 / 3.0).sqrt() * ppy.sqrt()));
        assert_close(Some(m.max_drawdown_pct), Some(-10.0));
        assert_eq!(m.max_drawdown_duration_bars, 2);
        assert_eq!(m.max_drawdown_duration_ms, 2 * HOUR_MS);
        let years = 4.0 / ppy;
        let cagr = (1.089f64.powf(1.0 / years) - 1.0) * 100.0;
        assert_close(m.cagr_pct, Some(cagr));
        assert_close(m.calmar, Some(cagr / 10.0));
        assert_close(Some(m.exposure_pct), Some(75.0));
        assert_eq!(m.trades, 2);
        assert_close(m.win_rate_pct, Some(50.0));
        assert_close(m.profit_factor, Some(150.0 / 61.0));
        assert_close(m.expectancy, Some(44.5));
        assert_eq!((m.average_win, m.average_loss), (Some(150.0), Some(-61.0)));
        assert_eq!(
            (m.best_trade_pct, m.worst_trade_pct),
            (Some(15.0), Some(-6.1))
        );
        assert_close(Some(m.buy_and_hold_return_pct), Some(8.9));
    }

    #[test]
    fn risk_free_rate_lowers_sharpe() {
        let ts = hourly(4);
        let equity = [1000.0, 1100.0, 990.0, 1089.0];
        let base = compute(&input(&ts, &equity, &[], &[]));
        let with_rf = compute(&MetricsInput {
            risk_free_rate: 0.05,
            ..input(&ts, &equity, &[], &[])
        });
        assert!(with_rf.sharpe.unwrap() < base.sharpe.unwrap());
        assert!(with_rf.sortino.unwrap() < base.sortino.unwrap());
        assert_eq!(with_rf.volatility_pct, base.volatility_pct);
    }

    #[test]
    fn undefined_metrics_serialise_as_null_and_round_trip() {
        let ts = hourly(3);
        let m = compute(&input(&ts, &[1000.0; 3], &[1.0; 3], &[]));
        let json = serde_json::to_value(&m).unwrap();
        assert!(json["sharpe"].is_null());
        assert!(json["profit_factor"].is_null());
        assert_eq!(json["trades"], 0);
        let back: Metrics = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }

    proptest! {
        #[test]
        fn compute_agrees_with_the_metric_modules(
            steps in prop::collection::vec(-0.05f64..0.05, 0..200),
        ) {
            let mut equity = vec![1000.0];
            for s in &steps {
                let last = *equity.last().unwrap();
                equity.push(last * (1.0 + s));
            }
            let ts = hourly(equity.len());
            let m = compute(&input(&ts, &equity, &[], &[]));
            let dd = max_drawdown::max_drawdown(&ts, &equity);
            prop_assert_eq!(m.max_drawdown_pct, dd.pct);
            prop_assert_eq!(m.max_drawdown_duration_bars, dd.duration_bars);
            let series_min = drawdown_series(&equity).into_iter().fold(0.0, f64::min);
            prop_assert_eq!(m.max_drawdown_pct, series_min);
            let stats = returns::ReturnStats::from_equity(&equity, 0.0);
            let ppy = Timeframe::HOUR.bars_per_year();
            prop_assert_eq!(m.sharpe, sharpe::sharpe(&stats, ppy));
            prop_assert_eq!(m.volatility_pct, volatility::volatility_pct(&stats, ppy));
            // The monthly returns compound to the total return.
            let growth: f64 = monthly_returns(&ts, &equity, 1000.0)
                .iter()
                .map(|r| 1.0 + r.return_pct / 100.0)
                .product();
            prop_assert!(((growth - 1.0) * 100.0 - m.total_return_pct).abs() < 1e-9);
            let json = serde_json::to_string(&m).unwrap();
            prop_assert_eq!(serde_json::from_str::<Metrics>(&json).unwrap(), m);
        }
    }
}
