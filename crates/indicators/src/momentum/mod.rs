//! Momentum oscillators.

pub mod cci;
pub mod macd;
pub mod mfi;
pub mod mom;
pub mod ppo;
pub mod roc;
pub mod rsi;
pub mod stoch;
pub mod stoch_rsi;
pub mod williams_r;
