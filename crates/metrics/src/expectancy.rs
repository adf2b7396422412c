//! **Expectancy**: what the strategy made or lost per trade on average, in quote currency.
//!
//! `sum of all trades' P&L / number of trades`, P&L after fees and slippage. Equivalently
//! `win rate × average win + loss rate × average loss`.
//!
//! - No trades: `None`.
//! - All losers: negative.

use bb_domain::Trade;

/// Mean P&L per trade in quote currency; see the module documentation.
pub fn expectancy(trades: &[Trade]) -> Option<f64> {
    if trades.is_empty() {
        return None;
    }
    let total: f64 = trades.iter().map(|t| t.pnl).sum();
    Some(total / trades.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trades};

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no trades", &[], None),
            ("one trade", &[12.5], Some(12.5)),
            ("all losers", &[-1.0, -2.0, -3.0], Some(-2.0)),
            ("break-even", &[0.0, 0.0], Some(0.0)),
            ("mixed", &[30.0, -10.0, 15.0, -5.0], Some(7.5)),
        ];
        check(|pnls: &[f64]| expectancy(&trades(pnls)), cases);
    }
}
