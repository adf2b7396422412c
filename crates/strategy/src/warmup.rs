//! Warm-up of each operation on its own: bars before its first value when its inputs have
//! values from the first bar. The compiler adds up warm-ups along every path.

use crate::plan::{Indicator, Op, Window};
use bb_indicators as ind;

/// Warm-up of each output of `op`.
pub(crate) fn own_warmup(op: &Op, outputs: usize) -> Vec<usize> {
    let same = |w: usize| vec![w; outputs];
    match *op {
        Op::Indicator(Indicator::Adx(p)) => vec![
            ind::adx_lookback(p),
            ind::plus_di_lookback(p),
            ind::minus_di_lookback(p),
        ],
        Op::Indicator(i) => same(indicator(i)),
        Op::Window(Window::BarsAgo | Window::PercentChange, n) => same(n),
        Op::Window(Window::Highest | Window::Lowest, n) => same(n.saturating_sub(1)),
        Op::Cross(_) => same(1),
        Op::Trend(_, n) => same(n),
        // Higher-timeframe warm-up depends on the data timeframe; the compiler computes it.
        Op::HigherTimeframe(_) => same(0),
        Op::Field(_)
        | Op::Constant(_)
        | Op::Arithmetic(_)
        | Op::Absolute
        | Op::Compare(_)
        | Op::Between
        | Op::And
        | Op::Or
        | Op::Not => same(0),
    }
}

fn indicator(i: Indicator) -> usize {
    match i {
        Indicator::Sma(p) => ind::sma_lookback(p),
        Indicator::Ema(p) => ind::ema_lookback(p),
        Indicator::Wma(p) => ind::wma_lookback(p),
        Indicator::Dema(p) => ind::dema_lookback(p),
        Indicator::Tema(p) => ind::tema_lookback(p),
        Indicator::Kama(p) => ind::kama_lookback(p),
        Indicator::Rsi(p) => ind::rsi_lookback(p),
        Indicator::Stochastic {
            fastk,
            slowk,
            slowd,
        } => ind::stoch_lookback(fastk, slowk, slowd),
        Indicator::StochasticRsi {
            period,
            fastk,
            fastd,
        } => ind::stoch_rsi_lookback(period, fastk, fastd),
        Indicator::Macd { fast, slow, signal } => ind::macd_lookback(fast, slow, signal),
        Indicator::Ppo { fast, slow } => ind::ppo_lookback(fast, slow),
        Indicator::Roc(p) => ind::roc_lookback(p),
        Indicator::Momentum(p) => ind::momentum_lookback(p),
        Indicator::WilliamsR(p) => ind::williams_r_lookback(p),
        Indicator::Cci(p) => ind::cci_lookback(p),
        Indicator::Mfi(p) => ind::mfi_lookback(p),
        Indicator::Adx(p) => ind::adx_lookback(p),
        Indicator::Aroon(p) => ind::aroon_lookback(p),
        Indicator::Bollinger { period, deviations } => ind::bollinger_lookback(period, deviations),
        Indicator::Atr(p) => ind::atr_lookback(p),
        Indicator::Natr(p) => ind::natr_lookback(p),
        Indicator::StdDev { period, deviations } => ind::stddev_lookback(period, deviations),
        Indicator::ParabolicSar {
            acceleration,
            maximum,
        } => ind::parabolic_sar_lookback(acceleration, maximum),
        Indicator::Obv => ind::obv_lookback(),
        Indicator::ChaikinAd => ind::chaikin_ad_lookback(),
        Indicator::Vwap(p) => ind::rolling_vwap_lookback(p),
        Indicator::Donchian(p) => ind::donchian_lookback(p),
        Indicator::LinregSlope(p) => ind::linreg_slope_lookback(p),
    }
}
