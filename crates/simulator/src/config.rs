//! Simulation settings: starting capital, trading costs, the fill rule and whether shorts
//! are allowed.

use serde::{Deserialize, Serialize};

/// When an order decided on a bar's close is filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl SimConfig {
    /// The defaults, the honest ones: fees and slippage on, fills at the next open. Every
    /// front end (CLI flags, API, web form through `GET /api/v1/settings/backtest`) takes
    /// them from here.
    pub const DEFAULT: SimConfig = SimConfig {
        initial_capital: 10_000.0,
        fee_pct: 0.1,
        slippage_bps: 5.0,
        fill: FillRule::NextOpen,
        allow_short: true,
    };
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig::DEFAULT
    }
}

impl FillRule {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FillRule::NextOpen => "next_open",
            FillRule::SameClose => "same_close",
        }
    }
}

impl std::str::FromStr for FillRule {
    type Err = String;
    fn from_str(s: &str) -> Result<FillRule, String> {
        match s {
            "next_open" => Ok(FillRule::NextOpen),
            "same_close" => Ok(FillRule::SameClose),
            other => Err(format!(
                "\"{other}\" is not a fill rule; use next_open or same_close."
            )),
        }
    }
}

/// The smallest starting capital accepted by [`SimConfig::check`].
pub const MIN_CAPITAL: f64 = 1.0;
/// The largest starting capital accepted by [`SimConfig::check`] (one trillion): beyond it
/// sums of fills lose the precision that fees and P&L need, and huge values overflow.
pub const MAX_CAPITAL: f64 = 1e12;
/// Fees are below this percentage of each fill.
pub const MAX_FEE_PCT: f64 = 100.0;
/// Slippage is below this many basis points (100%).
pub const MAX_SLIPPAGE_BPS: f64 = 10_000.0;

/// A setting out of its range: which one (`initial_capital`, `fee_pct` or
/// `slippage_bps`) and why, in a sentence for a person.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for SettingError {}

impl SimConfig {
    /// Checks every number against its range (NaN and infinities are never in range).
    pub fn check(&self) -> Result<(), SettingError> {
        let err = |field, message: String| Err(SettingError { field, message });
        let capital = self.initial_capital;
        if !(capital.is_finite() && (MIN_CAPITAL..=MAX_CAPITAL).contains(&capital)) {
            return err(
                "initial_capital",
                format!(
                    "the starting capital is {}; it must be a number from {MIN_CAPITAL} \
                     to {MAX_CAPITAL:e} (one trillion)",
                    shown(capital)
                ),
            );
        }
        if !(self.fee_pct.is_finite() && (0.0..MAX_FEE_PCT).contains(&self.fee_pct)) {
            return err(
                "fee_pct",
                format!(
                    "the fee is {}; it is a percentage of each fill, from 0 to under {MAX_FEE_PCT}",
                    self.fee_pct
                ),
            );
        }
        if !(self.slippage_bps.is_finite() && (0.0..MAX_SLIPPAGE_BPS).contains(&self.slippage_bps))
        {
            return err(
                "slippage_bps",
                format!(
                    "the slippage is {}; it is in basis points (1 bp = 0.01%), from 0 to under \
                     {MAX_SLIPPAGE_BPS}",
                    self.slippage_bps
                ),
            );
        }
        Ok(())
    }
}

/// A number as a person reads it: plain when it is of a usual size, in scientific notation
/// (`1e308`) when it is huge or tiny.
fn shown(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_name_their_field() {
        assert_eq!(SimConfig::default().check(), Ok(()));
        for (config, field) in [
            (
                SimConfig {
                    initial_capital: 1e308,
                    ..SimConfig::default()
                },
                "initial_capital",
            ),
            (
                SimConfig {
                    initial_capital: f64::NAN,
                    ..SimConfig::default()
                },
                "initial_capital",
            ),
            (
                SimConfig {
                    initial_capital: 0.5,
                    ..SimConfig::default()
                },
                "initial_capital",
            ),
            (
                SimConfig {
                    initial_capital: f64::INFINITY,
                    ..SimConfig::default()
                },
                "initial_capital",
            ),
            (
                SimConfig {
                    fee_pct: f64::NAN,
                    ..SimConfig::default()
                },
                "fee_pct",
            ),
            (
                SimConfig {
                    fee_pct: -0.1,
                    ..SimConfig::default()
                },
                "fee_pct",
            ),
            (
                SimConfig {
                    fee_pct: 100.0,
                    ..SimConfig::default()
                },
                "fee_pct",
            ),
            (
                SimConfig {
                    slippage_bps: f64::INFINITY,
                    ..SimConfig::default()
                },
                "slippage_bps",
            ),
            (
                SimConfig {
                    slippage_bps: 10_000.0,
                    ..SimConfig::default()
                },
                "slippage_bps",
            ),
        ] {
            assert_eq!(
                config.check().map_err(|e| e.field),
                Err(field),
                "{config:?}"
            );
        }
        let edge = SimConfig {
            initial_capital: MAX_CAPITAL,
            fee_pct: 0.0,
            slippage_bps: 0.0,
            ..SimConfig::default()
        };
        assert_eq!(edge.check(), Ok(()));
    }
}
