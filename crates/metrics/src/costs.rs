//! **Total fees** and **total slippage**, in quote currency: what trading cost.
//!
//! - *Total fees*: the sum over all trades of the fees paid on entry and exit.
//! - *Total slippage*: the sum over all trades of what slippage cost on entry and exit,
//!   compared with filling at the raw price.
//!
//! Both are already included in each trade's P&L and in the equity curve; these numbers show
//! how much of the result went to costs. They cover closed trades only (a position open at
//! the end of the data is closed by the simulator and included). No trades: `0` and `0`.

use bb_domain::Trade;

/// `(total fees, total slippage)` in quote currency; see the module documentation.
pub fn total_costs(trades: &[Trade]) -> (f64, f64) {
    trades.iter().fold((0.0, 0.0), |(fees, slip), t| {
        (fees + t.fees, slip + t.slippage)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trade};

    /// (name, (fees, slippage) per trade, total fees, total slippage)
    type Case = (&'static str, &'static [(f64, f64)], f64, f64);

    const CASES: &[Case] = &[
        ("no trades", &[], 0.0, 0.0),
        ("one trade", &[(1.5, 0.25)], 1.5, 0.25),
        (
            "all losers",
            &[(1.0, 0.5), (2.0, 0.5), (0.5, 0.0)],
            3.5,
            1.0,
        ),
    ];

    fn run(costs: &[(f64, f64)]) -> (f64, f64) {
        let trades: Vec<_> = costs
            .iter()
            .map(|&(fees, slippage)| Trade {
                fees,
                slippage,
                ..trade(-3.0, -3.0)
            })
            .collect();
        total_costs(&trades)
    }

    #[test]
    fn fees_cases() {
        let cases: Vec<_> = CASES
            .iter()
            .map(|&(n, t, fees, _)| (n, t, Some(fees)))
            .collect();
        check(|t: &[(f64, f64)]| Some(run(t).0), &cases);
    }

    #[test]
    fn slippage_cases() {
        let cases: Vec<_> = CASES
            .iter()
            .map(|&(n, t, _, slip)| (n, t, Some(slip)))
            .collect();
        check(|t: &[(f64, f64)]| Some(run(t).1), &cases);
    }
}
