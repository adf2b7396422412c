//! **Sortino ratio (annualised)**: like Sharpe, but only downside moves count as risk.
//!
//! `(mean per-bar return − risk-free rate per bar) / downside deviation × √(bars per year)`,
//! where `downside deviation = √(average over ALL bars of min(0, return − risk-free rate per
//! bar)²)`: bars above the risk-free rate contribute 0 but still count in the average.
//!
//! - Per-bar returns and the per-bar risk-free rate are defined in [`crate::returns`].
//! - Bars per year come from the timeframe and a 365-day year.
//! - `None` when no bar returned less than the risk-free rate (no downside: the ratio would be
//!   infinite).
//! - `None` when the returns do not vary (flat equity, no trades, a constant rate of
//!   growth or loss), as for Sharpe: the ratio of a constant to itself says nothing.
//! - `None` with fewer than two returns (fewer than three bars) or when a return is undefined
//!   (equity reached zero or below).

use crate::returns::ReturnStats;

/// Annualised Sortino ratio; see the module documentation.
pub fn sortino(stats: &ReturnStats, periods_per_year: f64) -> Option<f64> {
    stats.varying_std()?;
    let downside = stats.downside_deviation().filter(|&d| d > 0.0)?;
    let mean = stats.mean()?;
    Some((mean - stats.rf_bar()) / downside * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        // Returns +2 %, -1 %: mean 0.5 %, downside deviation sqrt(0.01² / 2).
        let up_down = 0.005 / (0.0001f64 / 2.0).sqrt() * 365.0f64.sqrt();
        // Returns -2 %, -1 %: mean -1.5 %, downside deviation sqrt((0.02² + 0.01²) / 2).
        let losers = -0.015 / (0.0005f64 / 2.0).sqrt() * 365.0f64.sqrt();
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no bars", &[], None),
            ("one return", &[100.0, 90.0], None),
            ("flat equity", &[100.0; 10], None),
            ("only gains", &[100.0, 101.0, 103.0], None),
            ("constant loss", &[100.0, 90.0, 81.0], None),
            ("up then down", &[100.0, 102.0, 100.98], Some(up_down)),
            ("all losers", &[100.0, 98.0, 97.02], Some(losers)),
            ("bust", &[100.0, 0.0, 10.0], None),
        ];
        check(
            |eq: &[f64]| sortino(&ReturnStats::from_equity(eq, 0.0), 365.0),
            cases,
        );
    }

    #[test]
    fn gains_below_the_risk_free_rate_are_downside() {
        // Returns +1 % and +3 % against 2 % per bar: excess -1 % and +1 %.
        let s = ReturnStats::from_equity(&[100.0, 101.0, 104.03], 0.02);
        let got = sortino(&s, 1.0).unwrap();
        assert!((got - 0.0).abs() < 1e-9, "{got}");
        let s = ReturnStats::from_equity(&[100.0, 101.0, 103.02], 0.02);
        let want = -0.005 / (0.0001f64 / 2.0).sqrt();
        assert!((sortino(&s, 1.0).unwrap() - want).abs() < 1e-9);
    }
}
