//! Shared by the integration tests: every indicator behind one uniform signature,
//! and a deterministic synthetic OHLCV generator.

#![allow(dead_code)] // each test binary uses a different part

use bb_indicators as ind;

/// OHLCV columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ohlcv {
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Ohlcv {
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// The first `n` bars.
    pub fn prefix(&self, n: usize) -> Ohlcv {
        Ohlcv {
            high: self.high[..n].to_vec(),
            low: self.low[..n].to_vec(),
            close: self.close[..n].to_vec(),
            volume: self.volume[..n].to_vec(),
        }
    }

    /// `k` all-NaN bars followed by these bars.
    pub fn with_leading_nans(&self, k: usize) -> Ohlcv {
        let pad = |v: &[f64]| {
            let mut out = vec![f64::NAN; k];
            out.extend_from_slice(v);
            out
        };
        Ohlcv {
            high: pad(&self.high),
            low: pad(&self.low),
            close: pad(&self.close),
            volume: pad(&self.volume),
        }
    }

    /// A plausible random walk built from `steps` (each in -1..1) and `spreads`
    /// (each in 0..1); deterministic for given inputs.
    pub fn from_steps(steps: &[(f64, f64, f64)]) -> Ohlcv {
        let mut bars = Ohlcv::default();
        let mut price = 100.0_f64;
        for &(step, spread, vol) in steps {
            let open = price;
            price = (price * (1.0 + 0.05 * step)).max(0.01);
            let top = open.max(price);
            let bottom = open.min(price);
            bars.high.push(top * (1.0 + 0.02 * spread));
            bars.low.push(bottom * (1.0 - 0.02 * (1.0 - spread)));
            bars.close.push(price);
            bars.volume.push((vol * 1000.0).floor());
        }
        bars
    }

    /// A fixed pseudo-random series of `n` bars (a linear congruential generator, so
    /// no dependency and no randomness across runs).
    pub fn synthetic(n: usize) -> Ohlcv {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let steps: Vec<(f64, f64, f64)> = (0..n)
            .map(|_| (2.0 * next() - 1.0, next(), next()))
            .collect();
        Ohlcv::from_steps(&steps)
    }
}

/// An indicator with fixed parameters: name, all its output lines, and the lookback
/// of each line.
pub struct Indicator {
    pub name: &'static str,
    pub run: fn(&Ohlcv) -> Vec<Vec<f64>>,
    pub lookbacks: Vec<usize>,
}

/// Every public indicator with typical (valid) parameters.
pub fn all() -> Vec<Indicator> {
    fn i(name: &'static str, run: fn(&Ohlcv) -> Vec<Vec<f64>>, lookbacks: Vec<usize>) -> Indicator {
        Indicator {
            name,
            run,
            lookbacks,
        }
    }
    vec![
        i(
            "sma",
            |d| vec![ind::sma(&d.close, 5)],
            vec![ind::sma_lookback(5)],
        ),
        i(
            "ema",
            |d| vec![ind::ema(&d.close, 5)],
            vec![ind::ema_lookback(5)],
        ),
        i(
            "wma",
            |d| vec![ind::wma(&d.close, 5)],
            vec![ind::wma_lookback(5)],
        ),
        i(
            "dema",
            |d| vec![ind::dema(&d.close, 5)],
            vec![ind::dema_lookback(5)],
        ),
        i(
            "tema",
            |d| vec![ind::tema(&d.close, 4)],
            vec![ind::tema_lookback(4)],
        ),
        i(
            "kama",
            |d| vec![ind::kama(&d.close, 6)],
            vec![ind::kama_lookback(6)],
        ),
        i(
            "rsi",
            |d| vec![ind::rsi(&d.close, 6)],
            vec![ind::rsi_lookback(6)],
        ),
        i(
            "stoch",
            |d| {
                let s = ind::stoch(&d.high, &d.low, &d.close, 5, 3, 3);
                vec![s.k, s.d]
            },
            vec![ind::stoch_lookback(5, 3, 3); 2],
        ),
        i(
            "stoch_rsi",
            |d| {
                let s = ind::stoch_rsi(&d.close, 6, 5, 3);
                vec![s.k, s.d]
            },
            vec![ind::stoch_rsi_lookback(6, 5, 3); 2],
        ),
        i(
            "macd",
            |d| {
                let m = ind::macd(&d.close, 4, 9, 3);
                vec![m.macd, m.signal, m.histogram]
            },
            vec![ind::macd_lookback(4, 9, 3); 3],
        ),
        i(
            "ppo",
            |d| vec![ind::ppo(&d.close, 4, 9)],
            vec![ind::ppo_lookback(4, 9)],
        ),
        i(
            "roc",
            |d| vec![ind::roc(&d.close, 3)],
            vec![ind::roc_lookback(3)],
        ),
        i(
            "momentum",
            |d| vec![ind::momentum(&d.close, 3)],
            vec![ind::momentum_lookback(3)],
        ),
        i(
            "williams_r",
            |d| vec![ind::williams_r(&d.high, &d.low, &d.close, 5)],
            vec![ind::williams_r_lookback(5)],
        ),
        i(
            "cci",
            |d| vec![ind::cci(&d.high, &d.low, &d.close, 5)],
            vec![ind::cci_lookback(5)],
        ),
        i(
            "mfi",
            |d| vec![ind::mfi(&d.high, &d.low, &d.close, &d.volume, 5)],
            vec![ind::mfi_lookback(5)],
        ),
        i(
            "adx",
            |d| {
                let a = ind::adx(&d.high, &d.low, &d.close, 5);
                vec![a.adx, a.plus_di, a.minus_di]
            },
            vec![
                ind::adx_lookback(5),
                ind::plus_di_lookback(5),
                ind::minus_di_lookback(5),
            ],
        ),
        i(
            "aroon",
            |d| {
                let a = ind::aroon(&d.high, &d.low, 5);
                vec![a.up, a.down]
            },
            vec![ind::aroon_lookback(5); 2],
        ),
        i(
            "aroon_oscillator",
            |d| vec![ind::aroon_oscillator(&d.high, &d.low, 5)],
            vec![ind::aroon_oscillator_lookback(5)],
        ),
        i(
            "bollinger",
            |d| {
                let b = ind::bollinger(&d.close, 5, 2.0);
                vec![b.upper, b.middle, b.lower, b.percent_b, b.width]
            },
            vec![ind::bollinger_lookback(5, 2.0); 5],
        ),
        i(
            "atr",
            |d| vec![ind::atr(&d.high, &d.low, &d.close, 5)],
            vec![ind::atr_lookback(5)],
        ),
        i(
            "natr",
            |d| vec![ind::natr(&d.high, &d.low, &d.close, 5)],
            vec![ind::natr_lookback(5)],
        ),
        i(
            "stddev",
            |d| vec![ind::stddev(&d.close, 5, 1.0)],
            vec![ind::stddev_lookback(5, 1.0)],
        ),
        i(
            "parabolic_sar",
            |d| vec![ind::parabolic_sar(&d.high, &d.low, 0.02, 0.2)],
            vec![ind::parabolic_sar_lookback(0.02, 0.2)],
        ),
        i(
            "obv",
            |d| vec![ind::obv(&d.close, &d.volume)],
            vec![ind::obv_lookback()],
        ),
        i(
            "chaikin_ad",
            |d| vec![ind::chaikin_ad(&d.high, &d.low, &d.close, &d.volume)],
            vec![ind::chaikin_ad_lookback()],
        ),
        i(
            "linreg_slope",
            |d| vec![ind::linreg_slope(&d.close, 5)],
            vec![ind::linreg_slope_lookback(5)],
        ),
        i(
            "highest",
            |d| vec![ind::highest(&d.close, 5)],
            vec![ind::highest_lookback(5)],
        ),
        i(
            "lowest",
            |d| vec![ind::lowest(&d.close, 5)],
            vec![ind::lowest_lookback(5)],
        ),
        i(
            "rolling_vwap",
            |d| vec![ind::rolling_vwap(&d.high, &d.low, &d.close, &d.volume, 4)],
            vec![ind::rolling_vwap_lookback(4)],
        ),
        i(
            "donchian",
            |d| {
                let c = ind::donchian(&d.high, &d.low, 4);
                vec![c.upper, c.lower, c.middle]
            },
            vec![ind::donchian_lookback(4); 3],
        ),
    ]
}

/// Equal as series: same length, NaN where the other is NaN, equal bits elsewhere.
pub fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits())
}

/// Number of leading NaNs.
pub fn leading_nans(x: &[f64]) -> usize {
    x.iter().take_while(|v| v.is_nan()).count()
}
