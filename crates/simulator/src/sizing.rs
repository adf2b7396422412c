//! Position size from the sizing rule, cash-limited (no leverage).

use bb_domain::Sizing;

/// Units to open at `fill` (fill price, slippage included).
///
/// `equity` is the account equity the percentages refer to; `spendable` is the most that may
/// go into this position, entry fee included (the cash, or less under a basket allocation cap).
/// Budgets buy `budget / (fill × (1 + fee_rate))` units, so notional plus entry fee equals the
/// budget. `RiskPercent` sizes so that a move from the fill to the stop loss (fees ignored)
/// loses `percent`% of equity, capped by `spendable`; it needs a stop distance above zero.
/// Returns 0 when nothing can be bought.
pub(crate) fn quantity(
    sizing: &Sizing,
    equity: f64,
    spendable: f64,
    fill: f64,
    fee_rate: f64,
    stop_distance: Option<f64>,
) -> f64 {
    let unit_cost = fill * (1.0 + fee_rate);
    let qty = match *sizing {
        Sizing::PercentOfEquity { percent } => {
            (equity * percent / 100.0).min(spendable) / unit_cost
        }
        Sizing::FixedQuote { amount } => amount.min(spendable) / unit_cost,
        Sizing::RiskPercent { percent } => match stop_distance {
            Some(distance) if distance > 0.0 => {
                (equity * percent / 100.0 / distance).min(spendable / unit_cost)
            }
            _ => 0.0,
        },
    };
    if qty.is_finite() && qty > 0.0 {
        qty
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sizing: Sizing, spendable: f64, stop: Option<f64>, expected: f64) {
        let q = quantity(&sizing, 10_000.0, spendable, 100.0, 0.0, stop);
        assert!(
            (q - expected).abs() < 1e-9,
            "{sizing:?}: got {q}, want {expected}"
        );
    }

    #[test]
    fn sizing_table() {
        check(
            Sizing::PercentOfEquity { percent: 50.0 },
            10_000.0,
            None,
            50.0,
        );
        check(
            Sizing::PercentOfEquity { percent: 100.0 },
            4_000.0,
            None,
            40.0,
        );
        check(Sizing::FixedQuote { amount: 1_000.0 }, 10_000.0, None, 10.0);
        check(Sizing::FixedQuote { amount: 1_000.0 }, 500.0, None, 5.0);
        // 1% of 10,000 = 100 at risk, 5 per unit -> 20 units (2,000 notional).
        check(
            Sizing::RiskPercent { percent: 1.0 },
            10_000.0,
            Some(5.0),
            20.0,
        );
        // Capped by the cash: 0.1 per unit would be 1,000 units (100,000 notional).
        check(
            Sizing::RiskPercent { percent: 1.0 },
            10_000.0,
            Some(0.1),
            100.0,
        );
        check(Sizing::RiskPercent { percent: 1.0 }, 10_000.0, None, 0.0);
        check(
            Sizing::RiskPercent { percent: 1.0 },
            10_000.0,
            Some(0.0),
            0.0,
        );
        check(Sizing::FixedQuote { amount: 1_000.0 }, 0.0, None, 0.0);
    }

    #[test]
    fn budget_includes_the_entry_fee() {
        // 1,000 budget at 100 with a 0.1% fee: q = 1000 / 100.1.
        let q = quantity(
            &Sizing::FixedQuote { amount: 1_000.0 },
            1e4,
            1e4,
            100.0,
            0.001,
            None,
        );
        assert!((q * 100.0 * 1.001 - 1_000.0).abs() < 1e-9);
    }
}
