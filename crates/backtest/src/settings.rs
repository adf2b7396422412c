//! The settings a user chooses for a backtest or a sweep: starting capital, fees, slippage,
//! the fill rule, shorts and gaps. One type and one checked constructor for every front end
//! (the CLI's flags, the API's submit, the stored run, the workers, the web form through
//! `GET /api/v1/settings/backtest`); the defaults and ranges are the simulator's own
//! ([`SimConfig::DEFAULT`], [`SimConfig::check`]).

use bb_data::GapPolicy;
use bb_simulator::{FillRule, MAX_CAPITAL, MAX_FEE_PCT, MAX_SLIPPAGE_BPS, MIN_CAPITAL, SimConfig};
use serde::{Deserialize, Serialize};

use crate::BacktestConfig;

pub use bb_simulator::SettingError;

/// Checked settings of one backtest (a sweep uses them for every combination).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Starting cash, in the quote currency (1 to one trillion).
    pub initial_capital: f64,
    /// Fee per fill, percent of the fill's notional (0 to under 100).
    pub fee_pct: f64,
    /// Slippage per fill, basis points against the trader (0 to under 10,000).
    pub slippage_bps: f64,
    /// When an order decided on a bar's close fills.
    pub fill: FillRule,
    /// Whether enter-short signals open short positions.
    pub allow_short: bool,
    /// Leave missing candles missing, or forward-fill them.
    pub gap_policy: GapPolicy,
}

/// What a user gave; anything left out takes its default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SettingsInput {
    pub initial_capital: Option<f64>,
    pub fee_pct: Option<f64>,
    pub slippage_bps: Option<f64>,
    pub fill: Option<FillRule>,
    pub allow_short: Option<bool>,
    /// Forward-fill missing candles instead of leaving the gaps.
    pub fill_gaps: Option<bool>,
}

impl Settings {
    /// Every default: 10,000 of capital, 0.1% fees, 5 bps slippage, next-open fills,
    /// shorts allowed, gaps left as they are.
    pub const DEFAULT: Settings = Settings {
        initial_capital: SimConfig::DEFAULT.initial_capital,
        fee_pct: SimConfig::DEFAULT.fee_pct,
        slippage_bps: SimConfig::DEFAULT.slippage_bps,
        fill: SimConfig::DEFAULT.fill,
        allow_short: SimConfig::DEFAULT.allow_short,
        gap_policy: GapPolicy::Leave,
    };

    /// The checked constructor: defaults for what is missing, then every number against its
    /// range. The error names the field (`initial_capital`, `fee_pct` or `slippage_bps`)
    /// and says why in a sentence.
    pub fn new(input: SettingsInput) -> Result<Settings, SettingError> {
        let d = Settings::DEFAULT;
        let settings = Settings {
            initial_capital: input.initial_capital.unwrap_or(d.initial_capital),
            fee_pct: input.fee_pct.unwrap_or(d.fee_pct),
            slippage_bps: input.slippage_bps.unwrap_or(d.slippage_bps),
            fill: input.fill.unwrap_or(d.fill),
            allow_short: input.allow_short.unwrap_or(d.allow_short),
            gap_policy: match input.fill_gaps {
                Some(true) => GapPolicy::ForwardFill,
                Some(false) => GapPolicy::Leave,
                None => d.gap_policy,
            },
        };
        settings.sim().check()?;
        Ok(settings)
    }

    /// The simulator's part.
    pub fn sim(&self) -> SimConfig {
        SimConfig {
            initial_capital: self.initial_capital,
            fee_pct: self.fee_pct,
            slippage_bps: self.slippage_bps,
            fill: self.fill,
            allow_short: self.allow_short,
        }
    }

    /// The engine's configuration for a run with these settings.
    pub fn config(&self) -> BacktestConfig {
        BacktestConfig {
            sim: self.sim(),
            ..BacktestConfig::default()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::DEFAULT
    }
}

/// The defaults and ranges, as a form shows them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsRanges {
    pub defaults: Settings,
    /// Starting capital: `min` ≤ value ≤ `max`.
    pub initial_capital: Range,
    /// Fee percent: `min` ≤ value < `max`.
    pub fee_pct: Range,
    /// Slippage in basis points: `min` ≤ value < `max`.
    pub slippage_bps: Range,
    /// The fill rules, the default first.
    pub fills: Vec<FillRule>,
}

/// A numeric range; `max_exclusive` says whether `max` itself is refused.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Range {
    /// The smallest value accepted.
    pub min: f64,
    /// The largest value, accepted unless `max_exclusive`.
    pub max: f64,
    /// Whether `max` itself is refused.
    pub max_exclusive: bool,
}

impl SettingsRanges {
    pub fn get() -> SettingsRanges {
        SettingsRanges {
            defaults: Settings::DEFAULT,
            initial_capital: Range {
                min: MIN_CAPITAL,
                max: MAX_CAPITAL,
                max_exclusive: false,
            },
            fee_pct: Range {
                min: 0.0,
                max: MAX_FEE_PCT,
                max_exclusive: true,
            },
            slippage_bps: Range {
                min: 0.0,
                max: MAX_SLIPPAGE_BPS,
                max_exclusive: true,
            },
            fills: vec![FillRule::NextOpen, FillRule::SameClose],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_the_defaults() {
        assert_eq!(
            Settings::new(SettingsInput::default()),
            Ok(Settings::DEFAULT)
        );
        let s = Settings::new(SettingsInput {
            fee_pct: Some(0.0),
            fill: Some(FillRule::SameClose),
            fill_gaps: Some(true),
            ..SettingsInput::default()
        })
        .unwrap();
        assert_eq!(s.fee_pct, 0.0);
        assert_eq!(s.fill, FillRule::SameClose);
        assert_eq!(s.gap_policy, GapPolicy::ForwardFill);
        assert_eq!(s.initial_capital, 10_000.0);
    }

    #[test]
    fn out_of_range_names_the_field() {
        for (input, field) in [
            (
                SettingsInput {
                    initial_capital: Some(0.5),
                    ..SettingsInput::default()
                },
                "initial_capital",
            ),
            (
                SettingsInput {
                    fee_pct: Some(100.0),
                    ..SettingsInput::default()
                },
                "fee_pct",
            ),
            (
                SettingsInput {
                    slippage_bps: Some(f64::NAN),
                    ..SettingsInput::default()
                },
                "slippage_bps",
            ),
        ] {
            assert_eq!(Settings::new(input).unwrap_err().field, field);
        }
    }

    #[test]
    fn the_ranges_are_the_checks() {
        let r = SettingsRanges::get();
        let at = |capital, fee, slip| {
            Settings::new(SettingsInput {
                initial_capital: Some(capital),
                fee_pct: Some(fee),
                slippage_bps: Some(slip),
                ..SettingsInput::default()
            })
        };
        assert!(at(r.initial_capital.min, r.fee_pct.min, r.slippage_bps.min).is_ok());
        assert!(at(r.initial_capital.max, 0.1, 5.0).is_ok());
        assert!(at(r.initial_capital.max * 1.01, 0.1, 5.0).is_err());
        assert!(at(10_000.0, r.fee_pct.max, 5.0).is_err());
        assert!(at(10_000.0, 0.1, r.slippage_bps.max).is_err());
        assert_eq!(r.fills[0], r.defaults.fill);
    }
}
