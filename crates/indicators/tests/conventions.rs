//! The API conventions every indicator follows: output length, lookback, the
//! leading-NaN rule, and no panics on short, empty or invalid input.

mod common;

use bb_indicators as ind;
use common::{Ohlcv, leading_nans, same};

#[test]
fn lookback_is_the_number_of_leading_nans() {
    let d = Ohlcv::synthetic(300);
    for indicator in common::all() {
        let lines = (indicator.run)(&d);
        assert_eq!(lines.len(), indicator.lookbacks.len(), "{}", indicator.name);
        for (k, (line, &lookback)) in lines.iter().zip(&indicator.lookbacks).enumerate() {
            assert_eq!(line.len(), d.len(), "{} line {k}: length", indicator.name);
            assert_eq!(
                leading_nans(line),
                lookback,
                "{} line {k}: leading NaNs",
                indicator.name
            );
            assert!(
                line[lookback..].iter().all(|v| v.is_finite()),
                "{} line {k}: NaN after the warm-up",
                indicator.name
            );
        }
    }
}

#[test]
fn leading_nans_are_skipped_and_shift_the_output() {
    let d = Ohlcv::synthetic(120);
    for k in [1, 3, 17] {
        let padded = d.with_leading_nans(k);
        for indicator in common::all() {
            let plain = (indicator.run)(&d);
            let shifted = (indicator.run)(&padded);
            for (line, (p, s)) in plain.iter().zip(&shifted).enumerate() {
                let mut expected = vec![f64::NAN; k];
                expected.extend_from_slice(p);
                assert!(
                    same(s, &expected),
                    "{} line {line} with {k} leading NaNs",
                    indicator.name
                );
            }
        }
    }
}

#[test]
fn sma_of_a_series_with_leading_nans() {
    let x = [f64::NAN, f64::NAN, f64::NAN, 1.0, 2.0, 3.0, 4.0, 5.0];
    let expected = [f64::NAN, f64::NAN, f64::NAN, f64::NAN, 1.5, 2.5, 3.5, 4.5];
    assert!(same(&ind::sma(&x, 2), &expected));
    let rest = ind::sma(&x[3..], 2);
    assert!(same(&ind::sma(&x, 2)[3..], &rest));
}

#[test]
fn warm_ups_compose_additively() {
    let d = Ohlcv::synthetic(200);
    let rsi = ind::rsi(&d.close, 14);
    let smoothed = ind::sma(&rsi, 5);
    assert_eq!(leading_nans(&rsi), 14);
    assert_eq!(
        leading_nans(&smoothed),
        ind::rsi_lookback(14) + ind::sma_lookback(5)
    );
    assert_eq!(leading_nans(&smoothed), 18);
    assert!(same(&smoothed[14..], &ind::sma(&rsi[14..], 5)));

    let ema_of_macd = ind::ema(&ind::macd(&d.close, 12, 26, 9).histogram, 3);
    assert_eq!(leading_nans(&ema_of_macd), 33 + 2);
}

#[test]
fn a_nan_in_any_input_counts_as_leading() {
    let d = Ohlcv::synthetic(80);
    let mut close = d.close.clone();
    close[..3].fill(f64::NAN);
    let mut volume = d.volume.clone();
    volume[..5].fill(f64::NAN);

    let atr = ind::atr(&d.high, &d.low, &close, 5);
    let tail = ind::atr(&d.high[3..], &d.low[3..], &d.close[3..], 5);
    assert!(same(&atr[3..], &tail));
    assert_eq!(leading_nans(&atr), 3 + ind::atr_lookback(5));

    let mfi = ind::mfi(&d.high, &d.low, &close, &volume, 4);
    let tail = ind::mfi(&d.high[5..], &d.low[5..], &d.close[5..], &d.volume[5..], 4);
    assert!(same(&mfi[5..], &tail));
    assert_eq!(leading_nans(&mfi), 5 + 4);
}

#[test]
fn empty_short_and_all_nan_inputs_give_all_nan() {
    let d = Ohlcv::synthetic(60);
    for indicator in common::all() {
        let max_lookback = indicator.lookbacks.iter().copied().max().unwrap_or(0);
        for n in 0..=max_lookback.min(d.len()) {
            let lines = (indicator.run)(&d.prefix(n));
            for (k, (line, &lookback)) in lines.iter().zip(&indicator.lookbacks).enumerate() {
                assert_eq!(line.len(), n, "{} line {k}, n = {n}", indicator.name);
                if n <= lookback {
                    assert!(
                        line.iter().all(|v| v.is_nan()),
                        "{} line {k}, n = {n}",
                        indicator.name
                    );
                }
            }
        }
        let nan = Ohlcv::synthetic(30).with_leading_nans(30).prefix(30);
        for line in (indicator.run)(&nan) {
            assert_eq!(line.len(), 30, "{}", indicator.name);
            assert!(line.iter().all(|v| v.is_nan()), "{}", indicator.name);
        }
    }
}

/// Asserts that every line has length `n` and is all NaN.
fn all_nan(what: &str, n: usize, lines: &[&[f64]]) {
    for line in lines {
        assert_eq!(line.len(), n, "{what}");
        assert!(line.iter().all(|v| v.is_nan()), "{what}: {line:?}");
    }
}

#[test]
fn invalid_parameters_give_all_nan_and_a_max_lookback() {
    let d = Ohlcv::synthetic(50);
    let (h, l, c, v) = (&d.high[..], &d.low[..], &d.close[..], &d.volume[..]);
    let n = d.len();
    for p in [0, usize::MAX, 1 << 40] {
        all_nan("sma", n, &[&ind::sma(c, p)]);
        all_nan("ema", n, &[&ind::ema(c, p)]);
        all_nan("wma", n, &[&ind::wma(c, p)]);
        all_nan("dema", n, &[&ind::dema(c, p)]);
        all_nan("tema", n, &[&ind::tema(c, p)]);
        all_nan("kama", n, &[&ind::kama(c, p)]);
        all_nan("rsi", n, &[&ind::rsi(c, p)]);
        let s = ind::stoch(h, l, c, p, 3, 3);
        all_nan("stoch", n, &[&s.k, &s.d]);
        let s = ind::stoch(h, l, c, 5, p, 3);
        all_nan("stoch slowk", n, &[&s.k, &s.d]);
        let s = ind::stoch_rsi(c, 14, 5, p);
        all_nan("stoch_rsi", n, &[&s.k, &s.d]);
        let m = ind::macd(c, 12, p, 9);
        all_nan("macd", n, &[&m.macd, &m.signal, &m.histogram]);
        all_nan("ppo", n, &[&ind::ppo(c, p, 26)]);
        all_nan("roc", n, &[&ind::roc(c, p)]);
        all_nan("momentum", n, &[&ind::momentum(c, p)]);
        all_nan("williams_r", n, &[&ind::williams_r(h, l, c, p)]);
        all_nan("cci", n, &[&ind::cci(h, l, c, p)]);
        all_nan("mfi", n, &[&ind::mfi(h, l, c, v, p)]);
        let a = ind::adx(h, l, c, p);
        all_nan("adx", n, &[&a.adx, &a.plus_di, &a.minus_di]);
        let a = ind::aroon(h, l, p);
        all_nan("aroon", n, &[&a.up, &a.down]);
        all_nan("aroon_oscillator", n, &[&ind::aroon_oscillator(h, l, p)]);
        let b = ind::bollinger(c, p, 2.0);
        all_nan(
            "bollinger",
            n,
            &[&b.upper, &b.middle, &b.lower, &b.percent_b, &b.width],
        );
        all_nan("atr", n, &[&ind::atr(h, l, c, p)]);
        all_nan("natr", n, &[&ind::natr(h, l, c, p)]);
        all_nan("stddev", n, &[&ind::stddev(c, p, 1.0)]);
        all_nan("linreg_slope", n, &[&ind::linreg_slope(c, p)]);
        all_nan("highest", n, &[&ind::highest(c, p)]);
        all_nan("lowest", n, &[&ind::lowest(c, p)]);
        all_nan("rolling_vwap", n, &[&ind::rolling_vwap(h, l, c, v, p)]);
        let dc = ind::donchian(h, l, p);
        all_nan("donchian", n, &[&dc.upper, &dc.lower, &dc.middle]);

        for lookback in [
            ind::sma_lookback(p),
            ind::ema_lookback(p),
            ind::wma_lookback(p),
            ind::dema_lookback(p),
            ind::tema_lookback(p),
            ind::kama_lookback(p),
            ind::rsi_lookback(p),
            ind::stoch_lookback(p, 3, 3),
            ind::stoch_rsi_lookback(14, p, 3),
            ind::macd_lookback(p, 26, 9),
            ind::ppo_lookback(12, p),
            ind::roc_lookback(p),
            ind::momentum_lookback(p),
            ind::williams_r_lookback(p),
            ind::cci_lookback(p),
            ind::mfi_lookback(p),
            ind::adx_lookback(p),
            ind::plus_di_lookback(p),
            ind::minus_di_lookback(p),
            ind::aroon_lookback(p),
            ind::aroon_oscillator_lookback(p),
            ind::bollinger_lookback(p, 2.0),
            ind::atr_lookback(p),
            ind::natr_lookback(p),
            ind::stddev_lookback(p, 1.0),
            ind::linreg_slope_lookback(p),
            ind::highest_lookback(p),
            ind::lowest_lookback(p),
        ] {
            assert_eq!(lookback, usize::MAX, "period {p}");
        }
    }
    assert_eq!(ind::rolling_vwap_lookback(0), usize::MAX);
    assert_eq!(ind::donchian_lookback(0), usize::MAX);

    // Real parameters out of TA-Lib's range (NaN, infinite, negative where not allowed,
    // TA-Lib's "use the default" sentinel).
    for bad in [f64::NAN, f64::INFINITY, -4e37] {
        let b = ind::bollinger(c, 20, bad);
        all_nan(
            "bollinger deviations",
            n,
            &[&b.upper, &b.percent_b, &b.width],
        );
        assert_eq!(ind::bollinger_lookback(20, bad), usize::MAX);
        all_nan("stddev deviations", n, &[&ind::stddev(c, 5, bad)]);
        assert_eq!(ind::stddev_lookback(5, bad), usize::MAX);
    }
    for bad in [f64::NAN, f64::INFINITY, -4e37, -0.5] {
        all_nan(
            "sar acceleration",
            n,
            &[&ind::parabolic_sar(h, l, bad, 0.2)],
        );
        all_nan("sar maximum", n, &[&ind::parabolic_sar(h, l, 0.02, bad)]);
        assert_eq!(ind::parabolic_sar_lookback(bad, 0.2), usize::MAX);
    }
}

#[test]
fn period_one_follows_talib() {
    let d = Ohlcv::synthetic(40);
    let (h, l, c, v) = (&d.high[..], &d.low[..], &d.close[..], &d.volume[..]);
    // Accepted by TA-Lib: period 1.
    assert!(same(&ind::sma(c, 1), c));
    assert!(same(&ind::ema(c, 1), c));
    assert!(same(&ind::wma(c, 1), c));
    assert_eq!(ind::kama_lookback(1), 0);
    assert_eq!(ind::roc_lookback(1), 1);
    assert_eq!(ind::momentum_lookback(1), 1);
    assert_eq!(ind::atr_lookback(1), 1);
    assert_eq!(ind::plus_di_lookback(1), 1);
    assert_eq!(ind::stoch_lookback(1, 1, 1), 0);
    let dc = ind::donchian(h, l, 1);
    assert!(same(&dc.upper, h) && same(&dc.lower, l));
    let _ = ind::dema(c, 1);
    let _ = ind::tema(c, 1);
    let _ = ind::natr(h, l, c, 1);
    let _ = ind::rolling_vwap(h, l, c, v, 1);
    // Rejected by TA-Lib (minimum 2): all NaN.
    let n = d.len();
    all_nan("rsi", n, &[&ind::rsi(c, 1)]);
    all_nan("williams_r", n, &[&ind::williams_r(h, l, c, 1)]);
    all_nan("cci", n, &[&ind::cci(h, l, c, 1)]);
    all_nan("mfi", n, &[&ind::mfi(h, l, c, v, 1)]);
    all_nan("aroon", n, &[&ind::aroon(h, l, 1).up]);
    all_nan("stddev", n, &[&ind::stddev(c, 1, 1.0)]);
    all_nan("bollinger", n, &[&ind::bollinger(c, 1, 2.0).middle]);
    all_nan("linreg_slope", n, &[&ind::linreg_slope(c, 1)]);
    all_nan("highest", n, &[&ind::highest(c, 1)]);
    all_nan("lowest", n, &[&ind::lowest(c, 1)]);
    all_nan("macd", n, &[&ind::macd(c, 1, 26, 9).macd]);
    all_nan("ppo", n, &[&ind::ppo(c, 1, 26)]);
    // ADX needs 2, the directional indicators accept 1.
    let a = ind::adx(h, l, c, 1);
    all_nan("adx", n, &[&a.adx]);
    assert_eq!(ind::adx_lookback(1), usize::MAX);
    assert_eq!(leading_nans(&a.plus_di), 1);
}

#[test]
fn mismatched_input_lengths_do_not_panic() {
    let d = Ohlcv::synthetic(30);
    let short = &d.low[..20];
    let atr = ind::atr(&d.high, short, &d.close, 5);
    assert_eq!(atr.len(), 30);
    assert!(atr[20..].iter().all(|v| v.is_nan()));
    assert!(same(
        &atr[..20],
        &ind::atr(&d.high[..20], short, &d.close[..20], 5)
    ));
    let dc = ind::donchian(short, &d.low, 3);
    assert_eq!(dc.upper.len(), 20);
    let vwap = ind::rolling_vwap(&d.high, &d.low, &d.close, &d.volume[..3], 2);
    assert_eq!(vwap.len(), 30);
    assert!(vwap[3..].iter().all(|v| v.is_nan()));
}
