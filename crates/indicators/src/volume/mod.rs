//! Volume indicators.

pub mod chaikin_ad;
pub mod obv;
pub mod rolling_vwap;
