//! Moving averages.

pub mod dema;
pub mod ema;
pub mod kama;
pub mod sma;
pub mod tema;
pub mod wma;
