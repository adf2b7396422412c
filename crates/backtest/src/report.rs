//! The backtest report: what the API stores and serves and the CLI prints.

use bb_domain::Trade;
use bb_metrics::{Metrics, MonthlyReturn};
use serde::{Deserialize, Serialize};

use crate::assumptions::Assumptions;
use crate::equity::EquityPoint;
use crate::warnings::Warning;

/// Everything a trader needs to read, question and trust a backtest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacktestReport {
    /// The strategy's name.
    pub strategy: String,
    pub metrics: Metrics,
    /// How the numbers were produced: always shown next to them.
    pub assumptions: Assumptions,
    /// Plain-language cautions about these results.
    pub warnings: Vec<Warning>,
    /// Equity and drawdown at bar closes; downsampled for display unless the full series was
    /// requested (see [`crate::BacktestConfig::equity_points`]).
    pub equity: Vec<EquityPoint>,
    /// Every closed trade, in order.
    pub trades: Vec<Trade>,
    /// Return of each calendar month (UTC).
    pub monthly_returns: Vec<MonthlyReturn>,
    pub counters: Counters,
}

/// Counts that explain what the simulator did with the signals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counters {
    /// Bars on which an entry action fired.
    pub entry_signals: usize,
    /// Bars on which an exit action fired.
    pub exit_signals: usize,
    /// Entry signals ignored because a position was already open.
    pub ignored_signals: usize,
    /// Entries skipped (no cash, a size of zero, or an ATR not yet warm).
    pub skipped_entries: usize,
    /// Bars where a stop and a target were both inside the bar's range, so the intrabar path
    /// decided which filled.
    pub stop_and_target_same_bar: usize,
}
