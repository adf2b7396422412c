//! **CAGR (%)**, compound annual growth rate: the constant yearly return that would turn the
//! initial capital into the final equity over the backtest's length.
//!
//! `((final equity / initial capital)^(1 / years) − 1) × 100`, where
//! `years = (last bar's open time − first bar's open time + one bar) / 365 days`, i.e. from
//! the open of the first bar to the close of the last one, in 365-day years.
//!
//! - Short backtests extrapolate: +1 % in one day is a CAGR of about +3,678 %.
//! - Final equity of exactly 0 gives `−100`.
//! - `None` when there are no bars, the initial capital is zero or negative, the final equity
//!   is negative, or the result overflows (a tiny span with a large gain).

use bb_domain::Timeframe;

/// Milliseconds in a 365-day year.
pub const YEAR_MS: f64 = 365.0 * 86_400_000.0;

/// Length of the backtest in milliseconds: from the first bar's open to the last bar's close
/// (`last ts − first ts + one bar`); `0` with no bars.
pub fn span_ms(ts: &[i64], timeframe: Timeframe) -> i64 {
    match (ts.first(), ts.last()) {
        (Some(first), Some(last)) => last - first + timeframe.millis(),
        _ => 0,
    }
}

/// CAGR in percent over `span_ms` milliseconds; see the module documentation.
pub fn cagr_pct(initial_capital: f64, final_equity: f64, span_ms: i64) -> Option<f64> {
    let usable = initial_capital > 0.0 && final_equity >= 0.0 && span_ms > 0;
    if !usable {
        return None;
    }
    let years = span_ms as f64 / YEAR_MS;
    let growth = final_equity / initial_capital;
    let cagr = (growth.powf(1.0 / years) - 1.0) * 100.0;
    cagr.is_finite().then_some(cagr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    const DAY: i64 = 86_400_000;

    #[test]
    fn span_covers_the_last_bar() {
        assert_eq!(span_ms(&[], Timeframe::DAY), 0);
        assert_eq!(span_ms(&[5 * DAY], Timeframe::DAY), DAY);
        assert_eq!(span_ms(&[0, DAY, 2 * DAY], Timeframe::DAY), 3 * DAY);
    }

    #[test]
    fn cases() {
        // (initial capital, final equity, span)
        type Input = (f64, f64, i64);
        let cases: &[(&str, &Input, Option<f64>)] = &[
            (
                "one year doubling",
                &(1000.0, 2000.0, 365 * DAY),
                Some(100.0),
            ),
            (
                "two years doubling",
                &(1000.0, 2000.0, 730 * DAY),
                Some((2f64.sqrt() - 1.0) * 100.0),
            ),
            ("half a year", &(1000.0, 1100.0, 365 * DAY / 2), Some(21.0)),
            ("flat equity", &(1000.0, 1000.0, 90 * DAY), Some(0.0)),
            (
                "all losers",
                &(1000.0, 750.0, 730 * DAY),
                Some((0.75f64.sqrt() - 1.0) * 100.0),
            ),
            ("wiped out", &(1000.0, 0.0, 365 * DAY), Some(-100.0)),
            (
                "one day",
                &(1000.0, 1010.0, DAY),
                Some((1.01f64.powf(365.0) - 1.0) * 100.0),
            ),
            ("no span", &(1000.0, 1100.0, 0), None),
            ("no capital", &(0.0, 1100.0, DAY), None),
            ("negative equity", &(1000.0, -1.0, DAY), None),
            ("overflow", &(1000.0, 1e6, 1), None),
        ];
        check(
            |&(cap, last, span): &Input| cagr_pct(cap, last, span),
            cases,
        );
    }
}
