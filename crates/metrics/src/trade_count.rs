//! **Trades**: the number of closed round trips (entry and exit) in the backtest.
//!
//! A position still open when the data ends is closed at the last close by the simulator and
//! counts as a trade. A position that is scaled or reversed counts once per recorded trade.
//! No trades: `0`.

use bb_domain::Trade;

/// Number of trades; see the module documentation.
pub fn trade_count(trades: &[Trade]) -> usize {
    trades.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::trades;

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], usize)] = &[
            ("no trades", &[], 0),
            ("one trade", &[5.0], 1),
            ("all losers", &[-1.0, -2.0, -3.0], 3),
        ];
        for &(name, pnls, want) in cases {
            assert_eq!(trade_count(&trades(pnls)), want, "{name}");
        }
    }
}
