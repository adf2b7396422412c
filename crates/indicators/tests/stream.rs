//! Streaming = batch, bit for bit, for every indicator: one bar at a time, from no history,
//! including leading and interior missing values (where the stream supports them; where it
//! reports `Unsupported`, nothing after is compared).

use bb_indicators as ind;
use bb_indicators::stream::{DonchianStream, RollingVwapStream, Spec, TaStream, WindowDiffStream};
use proptest::prelude::*;

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn check(name: &str, batch: &[&[f64]], mut stream: impl FnMut(usize) -> Option<[f64; 3]>) {
    for i in 0..batch[0].len() {
        let Some(out) = stream(i) else { return };
        for (k, b) in batch.iter().enumerate() {
            assert!(
                same(out[k], b[i]),
                "{name} output {k} bar {i}: stream {} batch {}",
                out[k],
                b[i]
            );
        }
    }
}

fn series() -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec((-0.05f64..0.05, 0u8..30), 20..300),
        0usize..6,
        prop::sample::select(vec![1e-6, 1.0, 100.0, 1e7]),
    )
        .prop_map(|(steps, lead, scale)| {
            let mut p = scale;
            let mut v = vec![f64::NAN; lead];
            for (r, k) in steps {
                p *= 1.0 + r;
                v.push(match k {
                    0 => f64::NAN,
                    1 => 0.0,
                    2..=5 => v.last().copied().filter(|x| x.is_finite()).unwrap_or(p),
                    _ => p,
                });
            }
            v
        })
}

fn candles() -> impl Strategy<Value = [Vec<f64>; 4]> {
    (
        prop::collection::vec(
            (
                -0.05f64..0.05,
                0.0f64..0.03,
                0.0f64..0.03,
                0.0f64..100.0,
                0u8..10,
            ),
            20..300,
        ),
        prop::sample::select(vec![1e-6, 1.0, 100.0, 1e7]),
    )
        .prop_map(|(steps, scale)| {
            let mut c: [Vec<f64>; 4] = Default::default();
            let mut p = scale;
            for (r, up, dn, vol, flat) in steps {
                let o = p;
                if flat > 2 {
                    p *= 1.0 + r;
                }
                let (h, l) = if flat > 2 {
                    (o.max(p) * (1.0 + up), o.min(p) * (1.0 - dn))
                } else {
                    (p, p)
                };
                c[0].push(h);
                c[1].push(l);
                c[2].push(p);
                c[3].push(if flat == 0 { 0.0 } else { vol });
            }
            c
        })
}

fn single(spec: Spec, x: &[f64]) -> Vec<Vec<f64>> {
    match spec {
        Spec::Sma(p) => vec![ind::sma(x, p)],
        Spec::Ema(p) => vec![ind::ema(x, p)],
        Spec::Wma(p) => vec![ind::wma(x, p)],
        Spec::Dema(p) => vec![ind::dema(x, p)],
        Spec::Tema(p) => vec![ind::tema(x, p)],
        Spec::Kama(p) => vec![ind::kama(x, p)],
        Spec::Rsi(p) => vec![ind::rsi(x, p)],
        Spec::StochRsi(p, k, d) => {
            let s = ind::stoch_rsi(x, p, k, d);
            vec![s.k, s.d]
        }
        Spec::Macd(f, s, g) => {
            let m = ind::macd(x, f, s, g);
            vec![m.macd, m.signal, m.histogram]
        }
        Spec::Ppo(f, s) => vec![ind::ppo(x, f, s)],
        Spec::Bbands(p, d) => {
            let b = ind::bollinger(x, p, d);
            vec![b.upper, b.middle, b.lower]
        }
        Spec::StdDev(p, d) => vec![ind::stddev(x, p, d)],
        Spec::LinregSlope(p) => vec![ind::linreg_slope(x, p)],
        Spec::Max(p) => vec![ind::highest(x, p)],
        Spec::Min(p) => vec![ind::lowest(x, p)],
        _ => unreachable!(),
    }
}

fn hlcv(spec: Spec, [h, l, c, v]: &[Vec<f64>; 4]) -> Vec<Vec<f64>> {
    match spec {
        Spec::Atr(p) => vec![ind::atr(h, l, c, p)],
        Spec::Natr(p) => vec![ind::natr(h, l, c, p)],
        Spec::WilliamsR(p) => vec![ind::williams_r(h, l, c, p)],
        Spec::Cci(p) => vec![ind::cci(h, l, c, p)],
        Spec::Mfi(p) => vec![ind::mfi(h, l, c, v, p)],
        Spec::Adx(p) => vec![ind::adx(h, l, c, p).adx],
        Spec::PlusDi(p) => vec![ind::adx(h, l, c, p).plus_di],
        Spec::MinusDi(p) => vec![ind::adx(h, l, c, p).minus_di],
        Spec::Aroon(p) => {
            let a = ind::aroon(h, l, p);
            vec![a.down, a.up]
        }
        Spec::Sar(a, m) => vec![ind::parabolic_sar(h, l, a, m)],
        Spec::Obv => vec![ind::obv(c, v)],
        Spec::ChaikinAd => vec![ind::chaikin_ad(h, l, c, v)],
        Spec::Stoch(k, sk, sd) => {
            let s = ind::stoch(h, l, c, k, sk, sd);
            vec![s.k, s.d]
        }
        _ => unreachable!(),
    }
}

fn singles(p: usize, q: usize) -> Vec<Spec> {
    vec![
        Spec::Sma(p),
        Spec::Ema(p),
        Spec::Wma(p),
        Spec::Dema(p),
        Spec::Tema(p),
        Spec::Kama(p),
        Spec::Rsi(p),
        Spec::StochRsi(p, q, 3),
        Spec::Macd(p, p + q, q),
        Spec::Ppo(p, p + q),
        Spec::Bbands(p, 2.0),
        Spec::StdDev(p, 1.5),
        Spec::LinregSlope(p),
        Spec::Max(p),
        Spec::Min(p),
    ]
}

fn many(p: usize, q: usize) -> Vec<Spec> {
    vec![
        Spec::Atr(p),
        Spec::Natr(p),
        Spec::WilliamsR(p),
        Spec::Cci(p),
        Spec::Mfi(p),
        Spec::Adx(p),
        Spec::PlusDi(p),
        Spec::MinusDi(p),
        Spec::Aroon(p),
        Spec::Sar(0.02, 0.2),
        Spec::Obv,
        Spec::ChaikinAd,
        Spec::Stoch(p, q, 3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn single_input_streams_equal_batch(x in series(), p in 2usize..20, q in 1usize..8) {
        for spec in singles(p, q) {
            let batch = single(spec, &x);
            let refs: Vec<&[f64]> = batch.iter().map(Vec::as_slice).collect();
            let mut s = TaStream::new(spec);
            check(&format!("{spec:?}"), &refs, |i| s.push([x[i], 0.0, 0.0, 0.0]).ok());
        }
        let mom = ind::momentum(&x, p);
        let mut s = WindowDiffStream::momentum(p);
        check("mom", &[&mom], |i| Some([s.push(x[i]); 3]));
        let roc = ind::roc(&x, p);
        let mut s = WindowDiffStream::rate_of_change(p);
        check("roc", &[&roc], |i| Some([s.push(x[i]); 3]));
    }

    #[test]
    fn candle_streams_equal_batch(c in candles(), p in 2usize..20, q in 1usize..8) {
        for spec in many(p, q) {
            let batch = hlcv(spec, &c);
            let refs: Vec<&[f64]> = batch.iter().map(Vec::as_slice).collect();
            let mut s = TaStream::new(spec);
            check(&format!("{spec:?}"), &refs, |i| s.push([c[0][i], c[1][i], c[2][i], c[3][i]]).ok());
        }
        let vwap = ind::rolling_vwap(&c[0], &c[1], &c[2], &c[3], p);
        let mut s = RollingVwapStream::new(p);
        check("vwap", &[&vwap], |i| Some([s.push(c[0][i], c[1][i], c[2][i], c[3][i]); 3]));
        let d = ind::donchian(&c[0], &c[1], p);
        let mut s = DonchianStream::new(p);
        check("donchian", &[&d.upper, &d.lower, &d.middle], |i| Some(s.push(c[0][i], c[1][i])));
    }
}
