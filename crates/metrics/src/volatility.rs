//! **Volatility (annualised, %)**: how much the strategy's equity swings, scaled to a year.
//!
//! `sample standard deviation of the per-bar returns × √(bars per year) × 100`.
//!
//! - Per-bar returns are defined in [`crate::returns`]; bars without a position count (with
//!   their usual return of 0).
//! - Sample standard deviation divides by `returns − 1`.
//! - Bars per year come from the timeframe and a 365-day year (8,760 for 1h bars).
//! - Flat equity (no trades, or never changing): `0`.
//! - `None` with fewer than two returns (fewer than three bars) or when a return is undefined
//!   (equity reached zero or below).

use crate::returns::ReturnStats;

/// Annualised volatility in percent; see the module documentation.
pub fn volatility_pct(stats: &ReturnStats, periods_per_year: f64) -> Option<f64> {
    stats
        .sample_std()
        .map(|s| s * periods_per_year.sqrt() * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        // Returns of +1 % and -1 %: sample std = sqrt(2) %, over 365 daily bars.
        let swing = (2.0f64).sqrt() / 100.0 * 365.0f64.sqrt() * 100.0;
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no bars", &[], None),
            ("one bar", &[100.0], None),
            ("one return", &[100.0, 101.0], None),
            ("flat equity", &[100.0, 100.0, 100.0], Some(0.0)),
            ("swing", &[100.0, 101.0, 99.99], Some(swing)),
            (
                "all losing at a constant rate",
                &[100.0, 90.0, 81.0],
                Some(0.0),
            ),
            ("bust", &[100.0, 0.0, 0.0], None),
        ];
        check(
            |eq: &[f64]| volatility_pct(&ReturnStats::from_equity(eq, 0.0), 365.0),
            cases,
        );
    }
}
