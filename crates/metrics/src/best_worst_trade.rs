//! **Best trade (%)** and **worst trade (%)**: the highest and lowest return of a single
//! trade.
//!
//! A trade's return is its P&L (after fees and slippage) as a percentage of its entry value
//! (entry price × quantity), as recorded by the simulator. Trades are ranked by that
//! percentage, not by money, so a small trade can be the best one.
//!
//! - No trades: both `None`.
//! - One trade: best = worst = that trade.
//! - All losers: both negative (the best trade is the smallest loss).

use bb_domain::Trade;

/// `(best, worst)` trade return in percent; see the module documentation.
pub fn best_worst_trade_pct(trades: &[Trade]) -> (Option<f64>, Option<f64>) {
    let mut iter = trades.iter().map(|t| t.pnl_pct);
    let Some(first) = iter.next() else {
        return (None, None);
    };
    let (best, worst) = iter.fold((first, first), |(b, w), p| (b.max(p), w.min(p)));
    (Some(best), Some(worst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trade};

    /// (name, (P&L, P&L %) per trade, best %, worst %)
    type Case = (
        &'static str,
        &'static [(f64, f64)],
        Option<f64>,
        Option<f64>,
    );

    const CASES: &[Case] = &[
        ("no trades", &[], None, None),
        ("one trade", &[(5.0, 2.5)], Some(2.5), Some(2.5)),
        (
            "all losers",
            &[(-1.0, -0.5), (-8.0, -4.0)],
            Some(-0.5),
            Some(-4.0),
        ),
        // Ranked by percent: the 1 % trade made more money but the 3 % trade is best.
        (
            "by percent not money",
            &[(100.0, 1.0), (3.0, 3.0), (-50.0, -2.0)],
            Some(3.0),
            Some(-2.0),
        ),
    ];

    fn run(pairs: &[(f64, f64)]) -> (Option<f64>, Option<f64>) {
        let trades: Vec<_> = pairs.iter().map(|&(pnl, pct)| trade(pnl, pct)).collect();
        best_worst_trade_pct(&trades)
    }

    #[test]
    fn best_cases() {
        let cases: Vec<_> = CASES.iter().map(|&(n, t, best, _)| (n, t, best)).collect();
        check(|t: &[(f64, f64)]| run(t).0, &cases);
    }

    #[test]
    fn worst_cases() {
        let cases: Vec<_> = CASES
            .iter()
            .map(|&(n, t, _, worst)| (n, t, worst))
            .collect();
        check(|t: &[(f64, f64)]| run(t).1, &cases);
    }
}
