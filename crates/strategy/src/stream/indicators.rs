//! Indicator steps streamed through `bb_indicators::stream`, with their outputs in the
//! order of the batch evaluation (`crate::evaluate`).

use bb_indicators::stream::{
    DonchianStream, RollingVwapStream, Spec, TaStream, Unsupported, WindowDiffStream,
};

use super::Bar;
use crate::plan::Indicator;

#[derive(Clone, Debug)]
pub(super) enum IndicatorState {
    Ta(TaStream),
    Adx(Box<[TaStream; 3]>),
    Diff(WindowDiffStream),
    Vwap(RollingVwapStream),
    Donchian(DonchianStream),
}

impl IndicatorState {
    pub(super) fn new(i: Indicator) -> Self {
        use Indicator as I;
        let ta = |s| IndicatorState::Ta(TaStream::new(s));
        match i {
            I::Sma(p) => ta(Spec::Sma(p)),
            I::Ema(p) => ta(Spec::Ema(p)),
            I::Wma(p) => ta(Spec::Wma(p)),
            I::Dema(p) => ta(Spec::Dema(p)),
            I::Tema(p) => ta(Spec::Tema(p)),
            I::Kama(p) => ta(Spec::Kama(p)),
            I::Rsi(p) => ta(Spec::Rsi(p)),
            I::Stochastic {
                fastk,
                slowk,
                slowd,
            } => ta(Spec::Stoch(fastk, slowk, slowd)),
            I::StochasticRsi {
                period,
                fastk,
                fastd,
            } => ta(Spec::StochRsi(period, fastk, fastd)),
            I::Macd { fast, slow, signal } => ta(Spec::Macd(fast, slow, signal)),
            I::Ppo { fast, slow } => ta(Spec::Ppo(fast, slow)),
            I::Roc(p) => IndicatorState::Diff(WindowDiffStream::rate_of_change(p)),
            I::Momentum(p) => IndicatorState::Diff(WindowDiffStream::momentum(p)),
            I::WilliamsR(p) => ta(Spec::WilliamsR(p)),
            I::Cci(p) => ta(Spec::Cci(p)),
            I::Mfi(p) => ta(Spec::Mfi(p)),
            I::Adx(p) => IndicatorState::Adx(Box::new([
                TaStream::new(Spec::Adx(p)),
                TaStream::new(Spec::PlusDi(p)),
                TaStream::new(Spec::MinusDi(p)),
            ])),
            I::Aroon(p) => ta(Spec::Aroon(p)),
            I::Bollinger { period, deviations } => ta(Spec::Bbands(period, deviations)),
            I::Atr(p) => ta(Spec::Atr(p)),
            I::Natr(p) => ta(Spec::Natr(p)),
            I::StdDev { period, deviations } => ta(Spec::StdDev(period, deviations)),
            I::ParabolicSar {
                acceleration,
                maximum,
            } => ta(Spec::Sar(acceleration, maximum)),
            I::Obv => ta(Spec::Obv),
            I::ChaikinAd => ta(Spec::ChaikinAd),
            I::Vwap(p) => IndicatorState::Vwap(RollingVwapStream::new(p)),
            I::Donchian(p) => IndicatorState::Donchian(DonchianStream::new(p)),
            I::LinregSlope(p) => ta(Spec::LinregSlope(p)),
        }
    }

    /// The outputs for the next bar: `x` is the step's input (for indicators of a series),
    /// `bar` its context's candle.
    pub(super) fn push(
        &mut self,
        i: Indicator,
        x: f64,
        bar: &Bar,
        out: &mut [f64],
    ) -> Result<(), Unsupported> {
        let candle = [bar.high, bar.low, bar.close, bar.volume];
        let input = if reads_candles(i) {
            candle
        } else {
            [x, 0.0, 0.0, 0.0]
        };
        match self {
            IndicatorState::Diff(s) => out[0] = s.push(x),
            IndicatorState::Vwap(s) => out[0] = s.push(bar.high, bar.low, bar.close, bar.volume),
            IndicatorState::Donchian(s) => fill(out, &s.push(bar.high, bar.low)),
            IndicatorState::Adx(s) => {
                for (o, s) in out.iter_mut().zip(s.iter_mut()) {
                    *o = s.push(input)?[0];
                }
            }
            IndicatorState::Ta(s) => {
                let v = s.push(input)?;
                match i {
                    Indicator::Aroon(_) => {
                        let [down, up, _] = v;
                        fill(out, &[up, down, up - down]);
                    }
                    Indicator::Bollinger { .. } => {
                        let [u, m, l] = v;
                        fill(out, &[u, m, l, ratio(x - l, u - l), ratio(u - l, m)]);
                    }
                    _ => fill(out, &v),
                }
            }
        }
        Ok(())
    }
}

fn fill(out: &mut [f64], values: &[f64]) {
    for (o, v) in out.iter_mut().zip(values) {
        *o = *v;
    }
}

/// `num / den`, NaN when `den` is 0 (as `bb_indicators::bollinger` computes %B and width).
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { f64::NAN } else { num / den }
}

/// Whether the indicator reads its context's candles rather than an input series.
fn reads_candles(i: Indicator) -> bool {
    use Indicator as I;
    matches!(
        i,
        I::Stochastic { .. }
            | I::WilliamsR(_)
            | I::Cci(_)
            | I::Mfi(_)
            | I::Adx(_)
            | I::Aroon(_)
            | I::Atr(_)
            | I::Natr(_)
            | I::ParabolicSar { .. }
            | I::Obv
            | I::ChaikinAd
            | I::Vwap(_)
            | I::Donchian(_)
    )
}
