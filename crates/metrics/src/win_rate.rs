//! **Win rate (%)**: the share of trades that made money.
//!
//! `trades with a profit above 0 / all trades × 100`, where profit is the trade's P&L in
//! quote currency after fees and slippage. A break-even trade (P&L exactly 0) is not a win,
//! so it lowers the win rate.
//!
//! - No trades: `None`.
//! - All losers: `0`.

use bb_domain::Trade;

/// Win rate in percent; see the module documentation.
pub fn win_rate_pct(trades: &[Trade]) -> Option<f64> {
    if trades.is_empty() {
        return None;
    }
    let wins = trades.iter().filter(|t| t.pnl > 0.0).count();
    Some(wins as f64 / trades.len() as f64 * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trades};

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no trades", &[], None),
            ("one winner", &[10.0], Some(100.0)),
            ("one loser", &[-10.0], Some(0.0)),
            ("all losers", &[-1.0, -2.0, -3.0], Some(0.0)),
            ("break-even is not a win", &[0.0, 5.0], Some(50.0)),
            ("mixed", &[1.0, -1.0, 2.0, -0.5], Some(50.0)),
        ];
        check(|pnls: &[f64]| win_rate_pct(&trades(pnls)), cases);
    }
}
