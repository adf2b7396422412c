//! A sweep's stored report: every combination's metrics, sorted, with the settings they
//! share.

use bb_data::GapPolicy;
use bb_simulator::FillRule;
use serde::{Deserialize, Serialize};

use crate::assumptions::DataProvenance;
use crate::settings::Settings;
use crate::sweep::{SweepResult, SweepRow};

/// Everything a sweep found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepReport {
    /// `node.param` of each swept parameter, in the order of each row's `values`.
    pub axes: Vec<String>,
    /// Cells in the grid before constraints.
    pub grid_size: usize,
    /// Combinations run (the rows).
    pub combinations: usize,
    /// The metric the rows are sorted by, best first.
    pub sort: String,
    pub rows: Vec<SweepRow>,
    /// The settings every combination shared.
    pub assumptions: SweepAssumptions,
}

/// The settings of every combination of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepAssumptions {
    /// Starting cash, quote currency.
    pub initial_capital: f64,
    /// Fee per fill, percent of notional.
    pub fee_pct: f64,
    /// Slippage per fill, basis points against the trader.
    pub slippage_bps: f64,
    pub fill_rule: FillRule,
    /// Whether enter-short signals opened short positions.
    pub shorts_allowed: bool,
    pub gap_policy: GapPolicy,
    #[serde(default)]
    pub data: DataProvenance,
}

impl SweepAssumptions {
    /// The settings of runs over many combinations, and their data's provenance.
    pub fn new(settings: &Settings, data: DataProvenance) -> SweepAssumptions {
        SweepAssumptions {
            initial_capital: settings.initial_capital,
            fee_pct: settings.fee_pct,
            slippage_bps: settings.slippage_bps,
            fill_rule: settings.fill,
            shorts_allowed: settings.allow_short,
            gap_policy: settings.gap_policy,
            data,
        }
    }
}

impl SweepReport {
    /// The report of a sorted sweep result.
    pub fn new(
        result: SweepResult,
        sort: &str,
        settings: &Settings,
        data: DataProvenance,
    ) -> SweepReport {
        SweepReport {
            combinations: result.rows.len(),
            axes: result.axes,
            grid_size: result.grid_size,
            sort: sort.to_owned(),
            rows: result.rows,
            assumptions: SweepAssumptions::new(settings, data),
        }
    }

    /// The best row with metrics (rows are sorted best first).
    pub fn best(&self) -> Option<&SweepRow> {
        self.rows.iter().find(|r| r.metrics.is_some())
    }
}
