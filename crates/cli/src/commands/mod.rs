//! One module per subcommand.

pub mod backtest;
pub mod blocks;
mod format;
pub mod inspect;
pub mod sweep;
pub mod validate;
