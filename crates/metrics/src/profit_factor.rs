//! **Profit factor**: money won per unit of money lost.
//!
//! `gross profit / gross loss`, where gross profit is the sum of the P&L of the winning
//! trades and gross loss is the sum of the losses of the losing trades as a positive number
//! (P&L in quote currency, after fees and slippage). Above 1 the strategy made money.
//! Break-even trades add to neither.
//!
//! - No losing trades (including no trades at all): `None`; the ratio would be infinite.
//! - All losers: `0`.

use bb_domain::Trade;

/// Profit factor; see the module documentation.
pub fn profit_factor(trades: &[Trade]) -> Option<f64> {
    let (mut gross_profit, mut gross_loss) = (0.0, 0.0);
    for t in trades {
        if t.pnl > 0.0 {
            gross_profit += t.pnl;
        } else if t.pnl < 0.0 {
            gross_loss -= t.pnl;
        }
    }
    (gross_loss > 0.0).then(|| gross_profit / gross_loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trades};

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], Option<f64>)] = &[
            ("no trades", &[], None),
            ("one winner", &[10.0], None),
            ("only winners and break-even", &[10.0, 0.0], None),
            ("one loser", &[-10.0], Some(0.0)),
            ("all losers", &[-1.0, -2.0, -3.0], Some(0.0)),
            ("mixed", &[30.0, -10.0, 15.0, -5.0, 0.0], Some(3.0)),
        ];
        check(|pnls: &[f64]| profit_factor(&trades(pnls)), cases);
    }
}
