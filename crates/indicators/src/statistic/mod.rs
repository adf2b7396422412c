//! Rolling statistics.

pub mod highest;
pub mod linreg_slope;
pub mod lowest;
pub mod stddev;
