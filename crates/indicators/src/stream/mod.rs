//! Streaming forms of the indicators: one bar in, that bar's outputs out, bit-identical to
//! the batch functions of this crate on the same series, with bounded state (no history is
//! kept beyond an indicator's own window).
//!
//! The leading-NaN rule holds as in batch: bars before the first one where every input has a
//! value give NaN and are not counted. After that, a missing or infinite input is handled the
//! way the batch computation handles it where that is known exactly:
//!
//! * the running-sum and recursive averages (SMA, EMA, DEMA, TEMA, KAMA, MACD, PPO, Bollinger
//!   bands) have no value from that bar on, for ever, exactly as in batch;
//! * momentum, rate of change, rolling VWAP and Donchian channels are computed here over a
//!   window and follow the value through it;
//! * every other TA-Lib indicator (whose batch form resynchronises or skips missing values in
//!   ways not reproduced here) reports [`Unsupported`] instead of a value that could differ.
//!
//! Infinite inputs are [`Unsupported`] for every TA-Lib indicator.

mod own;
mod talib;

pub use own::{DonchianStream, RollingVwapStream, WindowDiffStream};
pub use talib::{Spec, TaStream};

/// A streamed input the batch computation would handle in a way this stream cannot
/// reproduce exactly (a missing or infinite value after the first value, for an indicator
/// whose batch form does not simply propagate it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a missing or infinite input value after the first one")
    }
}

impl std::error::Error for Unsupported {}
