//! What a run was asked to do, as stored in the run's `config` (JSON). The API builds these
//! after checking them; the workers read them back.

use bb_backtest::BacktestConfig;
use bb_backtest::sweep::{Axis, Constraint, SweepSpec};
use bb_data::GapPolicy;
use bb_domain::Timeframe;
use bb_simulator::{FillRule, SimConfig};
use serde::{Deserialize, Serialize};

/// One backtest: which candles, which period, which costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BacktestRequest {
    /// The stored dataset the candles come from.
    pub dataset_id: String,
    /// The bars the strategy runs on: the dataset's own timeframe or a multiple of it.
    pub timeframe: Timeframe,
    /// Open time of the first and (exclusive) last candle, Unix ms; `None` for all.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub initial_capital: f64,
    /// Fee per fill, % of notional.
    pub fee_pct: f64,
    /// Slippage per fill, basis points against the trader.
    pub slippage_bps: f64,
    pub fill: FillRule,
    pub allow_short: bool,
    /// Leave gaps, or forward-fill missing candles.
    pub gap_policy: GapPolicy,
}

impl BacktestRequest {
    /// The engine's settings for this request.
    pub fn config(&self) -> BacktestConfig {
        BacktestConfig {
            sim: SimConfig {
                initial_capital: self.initial_capital,
                fee_pct: self.fee_pct,
                slippage_bps: self.slippage_bps,
                fill: self.fill,
                allow_short: self.allow_short,
            },
            ..BacktestConfig::default()
        }
    }
}

/// A grid of parameter combinations over one backtest's data and costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
