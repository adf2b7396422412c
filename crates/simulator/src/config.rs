//! Simulation settings: starting capital, trading costs, the fill rule and whether shorts
//! are allowed.

use serde::{Deserialize, Serialize};

/// When an order decided on a bar's close is filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillRule {
    /// At the next bar's open (the default; no look-ahead). An order from the last bar never
    /// fills.
    #[default]
    NextOpen,
    /// At the close of the bar whose close produced the signal.
    SameClose,
}

/// Settings of one simulation run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct SimConfig {
    /// Starting cash in the quote currency. Default 10,000.
    pub initial_capital: f64,
    /// Fee per fill as a percentage of the fill notional (fill price × quantity). Default 0.1.
    pub fee_pct: f64,
    /// Slippage per fill in basis points, always against the trader. Default 5.
    pub slippage_bps: f64,
    /// When signal orders fill. Default [`FillRule::NextOpen`].
    pub fill: FillRule,
    /// Whether enter-short signals open short positions. Default true.
    pub allow_short: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            initial_capital: 10_000.0,
            fee_pct: 0.1,
            slippage_bps: 5.0,
            fill: FillRule::NextOpen,
            allow_short: true,
        }
    }
}
