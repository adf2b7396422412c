//! **Buy-and-hold return (%)**: what simply holding the asset over the same bars would have
//! returned, as a benchmark for the strategy.
//!
//! `(close of the last bar / close of the first bar − 1) × 100`.
//!
//! - Buys at the first bar's close, so the first bar's own move is not included.
//! - No fees, no slippage and the whole capital invested, so it is a slightly flattering
//!   benchmark.
//! - No bars, or a first close that is zero or negative: `0`.

/// Buy-and-hold return in percent over the close prices; see the module documentation.
pub fn buy_and_hold_return_pct(close: &[f64]) -> f64 {
    match (close.first(), close.last()) {
        (Some(&first), Some(&last)) if first > 0.0 => (last / first - 1.0) * 100.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no bars", &[], Some(0.0)),
            ("one bar", &[100.0], Some(0.0)),
            ("flat", &[100.0, 100.0, 100.0], Some(0.0)),
            ("rises", &[100.0, 80.0, 150.0], Some(50.0)),
            ("falls", &[100.0, 120.0, 60.0], Some(-40.0)),
            ("zero first close", &[0.0, 10.0], Some(0.0)),
        ];
        check(|c: &[f64]| Some(buy_and_hold_return_pct(c)), cases);
    }
}
