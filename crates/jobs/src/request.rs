//! What a run was asked to do, as stored in the run's `config` (JSON). The API builds these
//! after checking them; the workers read them back.

use bb_backtest::sweep::{Axis, Constraint, SweepSpec};
use bb_backtest::{BacktestConfig, Settings};
use bb_domain::Timeframe;
use serde::{Deserialize, Serialize};

/// One backtest: which candles, which period, which settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacktestRequest {
    /// The stored dataset the candles come from.
    pub dataset_id: String,
    /// The bars the strategy runs on: the dataset's own timeframe or a multiple of it,
    /// e.g. "1h", "1d".
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub timeframe: Timeframe,
    /// Open time of the first candle, Unix ms; `null` for the dataset's first.
    pub from_ms: Option<i64>,
    /// Open time of the first candle left out, Unix ms; `null` for up to the last.
    pub to_ms: Option<i64>,
    #[serde(flatten)]
    pub settings: Settings,
}

impl BacktestRequest {
    /// The engine's settings for this request.
    pub fn config(&self) -> BacktestConfig {
        self.settings.config()
    }
}

/// A grid of parameter combinations over one backtest's data and settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepRequest {
    #[serde(flatten)]
    pub backtest: BacktestRequest,
    /// Swept parameters (`node.param` and values).
    pub axes: Vec<Axis>,
    /// Comparisons between swept parameters that every combination must satisfy.
    pub constraints: Vec<Constraint>,
    /// The metric rows are sorted by (best first).
    pub sort: String,
}

impl SweepRequest {
    pub fn spec(&self) -> SweepSpec {
        SweepSpec {
            axes: self.axes.clone(),
            constraints: self.constraints.clone(),
        }
    }
}

/// The robustness lab over one backtest's data and settings, with the parameters it varies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RobustnessRequest {
    #[serde(flatten)]
    pub backtest: BacktestRequest,
    /// Swept parameters (`node.param` and values).
    pub axes: Vec<Axis>,
    /// Comparisons between swept parameters that every combination must satisfy.
    pub constraints: Vec<Constraint>,
    /// The checks' settings: walk-forward, holdout, Monte Carlo, seed.
    pub lab: bb_robustness::lab::LabSpec,
}

impl RobustnessRequest {
    pub fn spec(&self) -> SweepSpec {
        SweepSpec {
            axes: self.axes.clone(),
            constraints: self.constraints.clone(),
        }
    }
}
