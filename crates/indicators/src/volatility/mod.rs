//! Volatility indicators.

pub mod atr;
pub mod natr;
