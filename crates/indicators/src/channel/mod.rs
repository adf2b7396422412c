//! Price channels and bands.

pub mod bollinger;
pub mod donchian;
