//! Technical indicators over `&[f64]` slices for Blockbuilders.
//!
//! Pure: depends on nothing but ta-lib (the official pure-Rust TA-Lib port) — no IO,
//! no clock, no randomness. Most indicators are thin wrappers over `ta_lib::Core`
//! and match TA-Lib's C core to 1e-9 (see `tests/talib_parity.rs`); a few are our own
//! ([`rolling_vwap`], [`donchian`], and the `percent_b`/`width` lines of
//! [`bollinger`]).
//!
//! # Conventions
//!
//! * Every function returns output(s) as long as its (first) input, with `f64::NAN`
//!   for warm-up bars. Multi-input functions expect inputs of equal length; bars past
//!   the shortest input are NaN.
//! * Every function `f` has an `f_lookback(params) -> usize`: the number of leading
//!   NaN bars for an input that starts with finite values (TA-Lib's lookback), or
//!   `usize::MAX` when the parameters are invalid (the function then returns all
//!   NaN).
//! * **Leading-NaN rule**: the leading run of bars where any input is NaN is skipped
//!   and the indicator is computed on the rest, so warm-ups compose additively: the
//!   SMA(5) of an RSI(14) has `14 + 4` leading NaNs. NaNs after the first valid bar are
//!   passed to the computation (TA-Lib usually propagates them).
//! * Parameters are validated by the caller; invalid ones (e.g. period 0, or a period
//!   below TA-Lib's minimum) give all NaN, never a panic. Neither does any input
//!   length, including 0 (TA-Lib-backed functions give all NaN beyond TA-Lib's limit
//!   of 100,000,000 bars).

mod common;

pub mod channel;
pub mod momentum;
pub mod moving_average;
pub mod statistic;
pub mod stream;
pub mod trend;
pub mod volatility;
pub mod volume;

pub use channel::bollinger::{Bollinger, bollinger, bollinger_lookback};
pub use channel::donchian::{Donchian, donchian, donchian_lookback};
pub use momentum::cci::{cci, cci_lookback};
pub use momentum::macd::{Macd, macd, macd_lookback};
pub use momentum::mfi::{mfi, mfi_lookback};
pub use momentum::mom::{momentum, momentum_lookback};
pub use momentum::ppo::{ppo, ppo_lookback};
pub use momentum::roc::{roc, roc_lookback};
pub use momentum::rsi::{rsi, rsi_lookback};
pub use momentum::stoch::{Stochastic, stoch, stoch_lookback};
pub use momentum::stoch_rsi::{stoch_rsi, stoch_rsi_lookback};
pub use momentum::williams_r::{williams_r, williams_r_lookback};
pub use moving_average::dema::{dema, dema_lookback};
pub use moving_average::ema::{ema, ema_lookback};
pub use moving_average::kama::{kama, kama_lookback};
pub use moving_average::sma::{sma, sma_lookback};
pub use moving_average::tema::{tema, tema_lookback};
pub use moving_average::wma::{wma, wma_lookback};
pub use statistic::highest::{highest, highest_lookback};
pub use statistic::linreg_slope::{linreg_slope, linreg_slope_lookback};
pub use statistic::lowest::{lowest, lowest_lookback};
pub use statistic::stddev::{stddev, stddev_lookback};
pub use trend::adx::{Adx, adx, adx_lookback, minus_di_lookback, plus_di_lookback};
pub use trend::aroon::{Aroon, aroon, aroon_lookback};
pub use trend::aroon_oscillator::{aroon_oscillator, aroon_oscillator_lookback};
pub use trend::parabolic_sar::{parabolic_sar, parabolic_sar_lookback};
pub use volatility::atr::{atr, atr_lookback};
pub use volatility::natr::{natr, natr_lookback};
pub use volume::chaikin_ad::{chaikin_ad, chaikin_ad_lookback};
pub use volume::obv::{obv, obv_lookback};
pub use volume::rolling_vwap::{rolling_vwap, rolling_vwap_lookback};
