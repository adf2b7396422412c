//! One module per subcommand.

pub mod audit;
pub mod backtest;
pub mod backup;
pub mod blocks;
pub mod data;
mod format;
pub mod inspect;
mod report_text;
pub mod robustness;
pub mod screener;
pub mod serve;
pub mod sweep;
pub mod users;
pub mod validate;
