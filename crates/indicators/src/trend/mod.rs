//! Trend indicators.

pub mod adx;
pub mod aroon;
pub mod aroon_oscillator;
pub mod parabolic_sar;
