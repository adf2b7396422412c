//! Backtests end to end: a compiled plan and candles in, an explainable [`BacktestReport`]
//! out (metrics, equity and drawdown, every trade, monthly returns, the assumptions card and
//! beginner warnings); and parameter [`sweep`]s over any numeric block parameters.
//!
//! Architecture Invariant: pure. No IO, no clock; sweeps use scoped OS threads, never an
//! async runtime. Depends on the engine crates only.

pub mod alerts;
mod assumptions;
mod basket;
mod equity;
pub mod paper;
mod report;
mod run;
mod settings;
pub mod sweep;
mod sweep_report;
pub mod walk_forward;
mod warnings;

pub use assumptions::{Assumptions, DataGap, DataProvenance, DataQuality, DataSummary};
pub use basket::{BasketInput, BasketReport, MemberReport, backtest_basket};
pub use equity::EquityPoint;
pub use report::{BacktestReport, Counters};
pub use run::{BacktestConfig, BacktestError, backtest};
pub use settings::{Range, SettingError, Settings, SettingsInput, SettingsRanges};
pub use sweep_report::{SweepAssumptions, SweepReport};
pub use warnings::{Warning, WarningCode};
