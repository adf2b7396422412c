//! **Exposure (%)**: the share of the backtest spent holding a position.
//!
//! `bars with an open position / all bars × 100`. A bar counts as "in the market" as the
//! simulator reports it (a position was open during the bar).
//!
//! - No trades: `0`. Always in the market: `100`.
//! - No bars: `0`.

/// Exposure in percent; see the module documentation.
pub fn exposure_pct(bars_in_market: usize, bars: usize) -> f64 {
    if bars == 0 {
        0.0
    } else {
        bars_in_market as f64 / bars as f64 * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check;

    #[test]
    fn cases() {
        let cases: &[(&str, &(usize, usize), Option<f64>)] = &[
            ("no bars", &(0, 0), Some(0.0)),
            ("no trades", &(0, 500), Some(0.0)),
            ("one trade", &(25, 100), Some(25.0)),
            ("always in", &(100, 100), Some(100.0)),
            ("thirds", &(1, 3), Some(100.0 / 3.0)),
        ];
        check(
            |&(inside, bars): &(usize, usize)| Some(exposure_pct(inside, bars)),
            cases,
        );
    }
}
