//! TA-Lib-backed indicators in their streaming form: the inputs of the first
//! `lookback + 1` bars (after any leading NaNs) open a `ta-lib` stream, which then takes one
//! bar at a time.

use ta_lib::{
    AdStream, AdxStream, AroonStream, AtrStream, BbandsStream, CciStream, DemaStream, EmaStream,
    KamaStream, LinearregSlopeStream, MAType, MacdStream, MaxStream, MfiStream, MinStream,
    MinusDiStream, NatrStream, ObvStream, PlusDiStream, PpoStream, RetCode, RsiStream, SarStream,
    SmaStream, StddevStream, StochStream, StochrsiStream, TemaStream, WillrStream, WmaStream,
};

use super::Unsupported;
use crate::common::{CORE, real, ta_period};

/// A TA-Lib indicator and its parameters, as the batch wrappers of this crate call it.
/// Inputs are passed as `[f64; 4]`: one value (`[x, ..]`) for single-input indicators, else
/// `[high, low, close, volume]` (OBV reads close and volume).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spec {
    Sma(usize),
    Ema(usize),
    Wma(usize),
    Dema(usize),
    Tema(usize),
    Kama(usize),
    Rsi(usize),
    StochRsi(usize, usize, usize),
    Macd(usize, usize, usize),
    Ppo(usize, usize),
    Bbands(usize, f64),
    StdDev(usize, f64),
    LinregSlope(usize),
    Max(usize),
    Min(usize),
    Atr(usize),
    Natr(usize),
    WilliamsR(usize),
    Cci(usize),
    Mfi(usize),
    Adx(usize),
    PlusDi(usize),
    MinusDi(usize),
    Aroon(usize),
    Sar(f64, f64),
    Obv,
    ChaikinAd,
    Stoch(usize, usize, usize),
}

#[derive(Clone, Debug)]
enum Handle {
    Sma(SmaStream),
    Ema(EmaStream),
    Wma(WmaStream),
    Dema(DemaStream),
    Tema(TemaStream),
    Kama(KamaStream),
    Rsi(RsiStream),
    StochRsi(StochrsiStream),
    Macd(MacdStream),
    Ppo(PpoStream),
    Bbands(BbandsStream),
    StdDev(StddevStream),
    LinregSlope(LinearregSlopeStream),
    Max(MaxStream),
    Min(MinStream),
    Atr(AtrStream),
    Natr(NatrStream),
    WilliamsR(WillrStream),
    Cci(CciStream),
    Mfi(MfiStream),
    Adx(AdxStream),
    PlusDi(PlusDiStream),
    MinusDi(MinusDiStream),
    Aroon(AroonStream),
    Sar(SarStream),
    Obv(ObvStream),
    ChaikinAd(AdStream),
    Stoch(StochStream),
}

#[derive(Clone, Debug)]
enum State {
    /// No bar with every input yet.
    Leading,
    /// Bars since the first valid one, until there are `lookback + 1` of them.
    Warming(Vec<[f64; 4]>),
    Running(Box<Handle>),
    /// No value from here on (an invalid parameter, or a missing value the batch form
    /// propagates for ever).
    Nothing,
    Failed,
}

/// A streaming TA-Lib indicator; outputs are in the order of this crate's batch function
/// (unused outputs NaN).
#[derive(Clone, Debug)]
pub struct TaStream {
    spec: Spec,
    lookback: usize,
    state: State,
}

const NONE: [f64; 3] = [f64::NAN; 3];

impl TaStream {
    pub fn new(spec: Spec) -> Self {
        let lookback = spec.lookback();
        let state = if lookback == usize::MAX {
            State::Nothing
        } else {
            State::Leading
        };
        TaStream {
            spec,
            lookback,
            state,
        }
    }

    /// The outputs for the next bar.
    pub fn push(&mut self, input: [f64; 4]) -> Result<[f64; 3], Unsupported> {
        let used = &input[..self.spec.inputs()];
        match &mut self.state {
            State::Nothing => return Ok(NONE),
            State::Failed => return Err(Unsupported),
            State::Leading if used.iter().any(|x| x.is_nan()) => return Ok(NONE),
            _ => {}
        }
        if used.iter().any(|x| !x.is_finite()) {
            // After the first value: only a NaN into an indicator that propagates it for
            // ever is known exactly.
            if self.spec.nan_poisons() && used.iter().all(|x| x.is_finite() || x.is_nan()) {
                self.state = State::Nothing;
                return Ok(NONE);
            }
            self.state = State::Failed;
            return Err(Unsupported);
        }
        match &mut self.state {
            State::Leading => {
                self.state = State::Warming(Vec::new());
                self.push(input)
            }
            State::Warming(bars) => {
                bars.push(input);
                if bars.len() <= self.lookback {
                    return Ok(NONE);
                }
                match self.spec.open(bars) {
                    Ok((handle, out)) => {
                        self.state = State::Running(Box::new(handle));
                        Ok(out)
                    }
                    Err(_) => {
                        self.state = State::Nothing;
                        Ok(NONE)
                    }
                }
            }
            State::Running(handle) => Ok(handle.update(input).unwrap_or(NONE)),
            State::Nothing => Ok(NONE),
            State::Failed => Err(Unsupported),
        }
    }
}

fn col(bars: &[[f64; 4]], k: usize) -> Vec<f64> {
    bars.iter().map(|b| b[k]).collect()
}

fn one(x: f64) -> [f64; 3] {
    [x, f64::NAN, f64::NAN]
}

fn two((a, b): (f64, f64)) -> [f64; 3] {
    [a, b, f64::NAN]
}

fn three((a, b, c): (f64, f64, f64)) -> [f64; 3] {
    [a, b, c]
}

impl Spec {
    fn inputs(&self) -> usize {
        use Spec as S;
        match self {
            S::Sma(_)
            | S::Ema(_)
            | S::Wma(_)
            | S::Dema(_)
            | S::Tema(_)
            | S::Kama(_)
            | S::Rsi(_)
            | S::StochRsi(..)
            | S::Macd(..)
            | S::Ppo(..)
            | S::Bbands(..)
            | S::StdDev(..)
            | S::LinregSlope(_)
            | S::Max(_)
            | S::Min(_) => 1,
            S::Aroon(_) | S::Sar(..) => 2,
            S::Atr(_)
            | S::Natr(_)
            | S::WilliamsR(_)
            | S::Cci(_)
            | S::Adx(_)
            | S::PlusDi(_)
            | S::MinusDi(_)
            | S::Stoch(..) => 3,
            S::Mfi(_) | S::ChaikinAd | S::Obv => 4,
        }
    }

    /// Whether the batch form gives no value from a missing input on, for ever (checked
    /// against the batch functions by `tests/stream.rs`).
    fn nan_poisons(&self) -> bool {
        matches!(
            self,
            Spec::Sma(_)
                | Spec::Ema(_)
                | Spec::Dema(_)
                | Spec::Tema(_)
                | Spec::Kama(_)
                | Spec::Macd(..)
                | Spec::Ppo(..)
                | Spec::Bbands(..)
        )
    }

    /// TA-Lib's lookback, as the batch wrappers report it.
    pub fn lookback(&self) -> usize {
        use crate as ind;
        use Spec as S;
        match *self {
            S::Sma(p) => ind::sma_lookback(p),
            S::Ema(p) => ind::ema_lookback(p),
            S::Wma(p) => ind::wma_lookback(p),
            S::Dema(p) => ind::dema_lookback(p),
            S::Tema(p) => ind::tema_lookback(p),
            S::Kama(p) => ind::kama_lookback(p),
            S::Rsi(p) => ind::rsi_lookback(p),
            S::StochRsi(p, k, d) => ind::stoch_rsi_lookback(p, k, d),
            S::Macd(f, s, g) => ind::macd_lookback(f, s, g),
            S::Ppo(f, s) => ind::ppo_lookback(f, s),
            S::Bbands(p, d) => ind::bollinger_lookback(p, d),
            S::StdDev(p, d) => ind::stddev_lookback(p, d),
            S::LinregSlope(p) => ind::linreg_slope_lookback(p),
            S::Max(p) => ind::highest_lookback(p),
            S::Min(p) => ind::lowest_lookback(p),
            S::Atr(p) => ind::atr_lookback(p),
            S::Natr(p) => ind::natr_lookback(p),
            S::WilliamsR(p) => ind::williams_r_lookback(p),
            S::Cci(p) => ind::cci_lookback(p),
            S::Mfi(p) => ind::mfi_lookback(p),
            S::Adx(p) => ind::adx_lookback(p),
            S::PlusDi(p) => ind::plus_di_lookback(p),
            S::MinusDi(p) => ind::minus_di_lookback(p),
            S::Aroon(p) => ind::aroon_lookback(p),
            S::Sar(a, m) => ind::parabolic_sar_lookback(a, m),
            S::Obv => ind::obv_lookback(),
            S::ChaikinAd => ind::chaikin_ad_lookback(),
            S::Stoch(k, sk, sd) => ind::stoch_lookback(k, sk, sd),
        }
    }

    fn open(&self, bars: &[[f64; 4]]) -> Result<(Handle, [f64; 3]), RetCode> {
        use Spec as S;
        let c = &*CORE;
        let p = ta_period;
        let (x, h, l, cl, v) = if self.inputs() == 1 {
            (col(bars, 0), vec![], vec![], vec![], vec![])
        } else {
            (
                vec![],
                col(bars, 0),
                col(bars, 1),
                col(bars, 2),
                col(bars, 3),
            )
        };
        Ok(match *self {
            S::Sma(n) => c
                .sma_open(&x, p(n))
                .map(|(s, o)| (Handle::Sma(s), one(o)))?,
            S::Ema(n) => c
                .ema_open(&x, p(n))
                .map(|(s, o)| (Handle::Ema(s), one(o)))?,
            S::Wma(n) => c
                .wma_open(&x, p(n))
                .map(|(s, o)| (Handle::Wma(s), one(o)))?,
            S::Dema(n) => c
                .dema_open(&x, p(n))
                .map(|(s, o)| (Handle::Dema(s), one(o)))?,
            S::Tema(n) => c
                .tema_open(&x, p(n))
                .map(|(s, o)| (Handle::Tema(s), one(o)))?,
            S::Kama(n) => c
                .kama_open(&x, p(n))
                .map(|(s, o)| (Handle::Kama(s), one(o)))?,
            S::Rsi(n) => c
                .rsi_open(&x, p(n))
                .map(|(s, o)| (Handle::Rsi(s), one(o)))?,
            S::StochRsi(n, k, d) => c
                .stochrsi_open(&x, p(n), p(k), p(d), MAType::SMA)
                .map(|(s, o)| (Handle::StochRsi(s), two(o)))?,
            S::Macd(f, s, g) => c
                .macd_open(&x, p(f), p(s), p(g))
                .map(|(s, o)| (Handle::Macd(s), three(o)))?,
            S::Ppo(f, s) => c
                .ppo_open(&x, p(f), p(s), MAType::EMA)
                .map(|(s, o)| (Handle::Ppo(s), one(o)))?,
            S::Bbands(n, d) => c
                .bbands_open(&x, p(n), real(d), real(d), MAType::SMA)
                .map(|(s, o)| (Handle::Bbands(s), three(o)))?,
            S::StdDev(n, d) => c
                .stddev_open(&x, p(n), real(d))
                .map(|(s, o)| (Handle::StdDev(s), one(o)))?,
            S::LinregSlope(n) => c
                .linearreg_slope_open(&x, p(n))
                .map(|(s, o)| (Handle::LinregSlope(s), one(o)))?,
            S::Max(n) => c
                .max_open(&x, p(n))
                .map(|(s, o)| (Handle::Max(s), one(o)))?,
            S::Min(n) => c
                .min_open(&x, p(n))
                .map(|(s, o)| (Handle::Min(s), one(o)))?,
            S::Atr(n) => c
                .atr_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::Atr(s), one(o)))?,
            S::Natr(n) => c
                .natr_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::Natr(s), one(o)))?,
            S::WilliamsR(n) => c
                .willr_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::WilliamsR(s), one(o)))?,
            S::Cci(n) => c
                .cci_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::Cci(s), one(o)))?,
            S::Mfi(n) => c
                .mfi_open(&h, &l, &cl, &v, p(n))
                .map(|(s, o)| (Handle::Mfi(s), one(o)))?,
            S::Adx(n) => c
                .adx_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::Adx(s), one(o)))?,
            S::PlusDi(n) => c
                .plus_di_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::PlusDi(s), one(o)))?,
            S::MinusDi(n) => c
                .minus_di_open(&h, &l, &cl, p(n))
                .map(|(s, o)| (Handle::MinusDi(s), one(o)))?,
            S::Aroon(n) => c
                .aroon_open(&h, &l, p(n))
                .map(|(s, o)| (Handle::Aroon(s), two(o)))?,
            S::Sar(a, m) => c
                .sar_open(&h, &l, real(a), real(m))
                .map(|(s, o)| (Handle::Sar(s), one(o)))?,
            S::Obv => c.obv_open(&cl, &v).map(|(s, o)| (Handle::Obv(s), one(o)))?,
            S::ChaikinAd => c
                .ad_open(&h, &l, &cl, &v)
                .map(|(s, o)| (Handle::ChaikinAd(s), one(o)))?,
            S::Stoch(k, sk, sd) => c
                .stoch_open(&h, &l, &cl, p(k), p(sk), MAType::SMA, p(sd), MAType::SMA)
                .map(|(s, o)| (Handle::Stoch(s), two(o)))?,
        })
    }
}

impl Handle {
    fn update(&mut self, i: [f64; 4]) -> Result<[f64; 3], RetCode> {
        let [h, l, c, v] = i;
        let x = i[0];
        use Handle as H;
        Ok(match self {
            H::Sma(s) => one(s.update(x)?),
            H::Ema(s) => one(s.update(x)?),
            H::Wma(s) => one(s.update(x)?),
            H::Dema(s) => one(s.update(x)?),
            H::Tema(s) => one(s.update(x)?),
            H::Kama(s) => one(s.update(x)?),
            H::Rsi(s) => one(s.update(x)?),
            H::StochRsi(s) => two(s.update(x)?),
            H::Macd(s) => three(s.update(x)?),
            H::Ppo(s) => one(s.update(x)?),
            H::Bbands(s) => three(s.update(x)?),
            H::StdDev(s) => one(s.update(x)?),
            H::LinregSlope(s) => one(s.update(x)?),
            H::Max(s) => one(s.update(x)?),
            H::Min(s) => one(s.update(x)?),
            H::Atr(s) => one(s.update(h, l, c)?),
            H::Natr(s) => one(s.update(h, l, c)?),
            H::WilliamsR(s) => one(s.update(h, l, c)?),
            H::Cci(s) => one(s.update(h, l, c)?),
            H::Mfi(s) => one(s.update(h, l, c, v)?),
            H::Adx(s) => one(s.update(h, l, c)?),
            H::PlusDi(s) => one(s.update(h, l, c)?),
            H::MinusDi(s) => one(s.update(h, l, c)?),
            H::Aroon(s) => two(s.update(h, l)?),
            H::Sar(s) => one(s.update(h, l)?),
            H::Obv(s) => one(s.update(c, v)?),
            H::ChaikinAd(s) => one(s.update(h, l, c, v)?),
            H::Stoch(s) => two(s.update(h, l, c)?),
        })
    }
}
