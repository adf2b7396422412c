//! **Sharpe ratio (annualised)**: average return per unit of total volatility, above the
//! risk-free rate.
//!
//! `(mean per-bar return − risk-free rate per bar) / sample standard deviation of the
//! per-bar returns × √(bars per year)`.
//!
//! - Per-bar returns and the per-bar risk-free rate are defined in [`crate::returns`]; bars
//!   without a position count (with their usual return of 0).
//! - Bars per year come from the timeframe and a 365-day year.
//! - `None` when the returns do not vary (flat equity, no trades, or a standard deviation
//!   at or below [`crate::returns::FLAT_STD`]): dividing by zero volatility says nothing.
//! - `None` with fewer than two returns (fewer than three bars) or when a return is undefined
//!   (equity reached zero or below).
//! - Negative when the strategy earned less than the risk-free rate.

use crate::returns::ReturnStats;

/// Annualised Sharpe ratio; see the module documentation.
pub fn sharpe(stats: &ReturnStats, periods_per_year: f64) -> Option<f64> {
    let std = stats.varying_std()?;
    let mean = stats.mean()?;
    Some((mean - stats.rf_bar()) / std * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        // Returns +2 %, -1 %: mean 0.5 %, sample std = 1.5 % × sqrt(2).
        let up_down = 0.005 / (0.015 * 2.0f64.sqrt()) * 365.0f64.sqrt();
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no bars", &[], None),
            ("one return", &[100.0, 110.0], None),
            ("flat equity", &[100.0; 10], None),
            ("constant loss", &[100.0, 90.0, 81.0, 72.9], None),
            ("up then down", &[100.0, 102.0, 100.98], Some(up_down)),
            ("down then up", &[100.0, 99.0, 100.98], Some(up_down)),
            ("all losers", &[100.0, 98.0, 97.02], Some(-up_down * 9.0)),
            ("bust", &[100.0, 0.0, 10.0], None),
        ];
        check(
            |eq: &[f64]| sharpe(&ReturnStats::from_equity(eq, 0.0), 365.0),
            cases,
        );
    }

    #[test]
    fn risk_free_rate_is_subtracted_per_bar() {
        let eq = [100.0, 102.0, 100.98];
        let rf_bar = 0.001;
        let got = sharpe(&ReturnStats::from_equity(&eq, rf_bar), 365.0).unwrap();
        let want = (0.005 - rf_bar) / (0.015 * 2.0f64.sqrt()) * 365.0f64.sqrt();
        assert!((got - want).abs() < 1e-9);
    }
}
