//! Fill prices, fees and slippage.
//!
//! Slippage is applied against the trader on every fill: a buy fills at raw × (1 + bps/10⁴),
//! a sell at raw × (1 − bps/10⁴). The fee is `fee_pct`% of the fill notional, per fill.

use bb_domain::Side;

use crate::config::SimConfig;

/// Per-fill cost rates, precomputed from the config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Costs {
    slip: f64,
    fee: f64,
}

impl Costs {
    pub(crate) fn new(config: &SimConfig) -> Costs {
        Costs {
            slip: config.slippage_bps / 1e4,
            fee: config.fee_pct / 100.0,
        }
    }

    /// Fee as a fraction of the notional.
    pub(crate) fn fee_rate(self) -> f64 {
        self.fee
    }

    /// Fee on a fill of `notional`.
    pub(crate) fn fee(self, notional: f64) -> f64 {
        notional * self.fee
    }

    /// Fill price of a buy (`buy == true`) or a sell at the raw price.
    pub(crate) fn fill(self, buy: bool, raw: f64) -> f64 {
        if buy {
            raw * (1.0 + self.slip)
        } else {
            raw * (1.0 - self.slip)
        }
    }

    /// Fill price of opening a position of `side` (a long buys, a short sells).
    pub(crate) fn entry_fill(self, side: Side, raw: f64) -> f64 {
        self.fill(side == Side::Long, raw)
    }

    /// Fill price of closing a position of `side` (a long sells, a short buys back).
    pub(crate) fn exit_fill(self, side: Side, raw: f64) -> f64 {
        self.fill(side == Side::Short, raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slippage_is_against_the_trader_and_fees_are_on_notional() {
        let c = Costs::new(&SimConfig {
            fee_pct: 0.1,
            slippage_bps: 5.0,
            ..SimConfig::default()
        });
        assert!((c.entry_fill(Side::Long, 100.0) - 100.05).abs() < 1e-12);
        assert!((c.exit_fill(Side::Long, 100.0) - 99.95).abs() < 1e-12);
        assert!((c.entry_fill(Side::Short, 100.0) - 99.95).abs() < 1e-12);
        assert!((c.exit_fill(Side::Short, 100.0) - 100.05).abs() < 1e-12);
        assert!((c.fee(2_000.0) - 2.0).abs() < 1e-12);
    }
}
