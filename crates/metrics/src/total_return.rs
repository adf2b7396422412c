//! **Total return (%)**: how much the account grew over the whole backtest.
//!
//! `(equity at the last bar's close / initial capital − 1) × 100`.
//!
//! - Fees and slippage are included, because the equity curve is net of them.
//! - A position still open at the end counts at its last-close value.
//! - No bars, or an initial capital that is zero or negative: `0`.

/// Total return in percent; see the module documentation.
pub fn total_return_pct(equity: &[f64], initial_capital: f64) -> f64 {
    match equity.last() {
        Some(&last) if initial_capital > 0.0 => (last / initial_capital - 1.0) * 100.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        // (equity, initial capital)
        type Input = (&'static [f64], f64);
        let cases: &[(&str, &Input, Option<f64>)] = &[
            ("no bars", &(&[], 1000.0), Some(0.0)),
            (
                "flat equity, no trades",
                &(&[1000.0, 1000.0], 1000.0),
                Some(0.0),
            ),
            ("gain", &(&[1000.0, 900.0, 1250.0], 1000.0), Some(25.0)),
            (
                "all losers",
                &(&[1000.0, 900.0, 800.0], 1000.0),
                Some(-20.0),
            ),
            ("wiped out", &(&[1000.0, 0.0], 1000.0), Some(-100.0)),
            (
                "first bar already differs",
                &(&[990.0, 1100.0], 1000.0),
                Some(10.0),
            ),
            ("no capital", &(&[5.0], 0.0), Some(0.0)),
        ];
        check(|&(eq, cap): &Input| Some(total_return_pct(eq, cap)), cases);
    }
}
