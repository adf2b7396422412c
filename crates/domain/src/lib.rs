//! Domain types shared by the engine crates: candles (columnar), timeframes, resampling,
//! the per-bar signals a strategy produces and the risk rules it carries.
//!
//! Architecture Invariant: this crate does no IO, reads no clock and has no randomness.
//! It depends on nothing but `serde` and `thiserror`.

pub mod calendar;
mod candles;
mod resample;
mod signals;
pub mod synthetic;
mod timeframe;
mod trade;

pub use candles::{CandleError, Candles};
pub use resample::resample;
pub use signals::{RiskRules, Signals, Sizing, StopRule, TargetRule, TrailingRule};
pub use timeframe::{Timeframe, TimeframeError};
pub use trade::{ExitReason, Side, Trade};
