//! Per-bar returns of the equity curve: the raw material of volatility, Sharpe and Sortino.
//!
//! **Per-bar return.** For every bar after the first: `equity at this bar's close / equity at
//! the previous bar's close − 1`, a simple (not logarithmic) return where `0.01` means +1 %.
//! A curve of `n` bars has `n − 1` returns; the first bar has no earlier equity to compare
//! with. Bars without a position count too (their return is usually 0).
//!
//! **Undefined returns.** A return is undefined when the previous equity is zero or negative
//! (the account is bust, so "percent of equity" means nothing) or when the result is not a
//! finite number. One undefined return makes volatility, Sharpe and Sortino undefined
//! (`None`) for the whole run.
//!
//! **Risk-free rate per bar.** The annual risk-free rate compounded down to one bar:
//! `(1 + annual rate)^(1 / bars per year) − 1`. It is exactly 0 when the annual rate is 0.
//!
//! [`ReturnStats`] summarises the returns in one pass without storing them, so the metrics
//! need no memory proportional to the number of bars.

/// Returns whose sample standard deviation is at most this are treated as not varying at
/// all. Real equity curves move far more (1e-12 is a millionth of a millionth per bar); below
/// it the "variation" is floating-point rounding, e.g. of a curve that compounds at a
/// constant rate, and a ratio divided by it would be meaningless.
pub const FLAT_STD: f64 = 1e-12;

/// The return of one bar, `current / previous − 1`; `None` when `previous` is not positive
/// or the result is not finite.
#[inline]
pub fn bar_return(previous: f64, current: f64) -> Option<f64> {
    if previous > 0.0 {
        let r = current / previous - 1.0;
        r.is_finite().then_some(r)
    } else {
        None
    }
}

/// An annual rate expressed per bar, with compounding: `(1 + annual)^(1 / periods) − 1`.
/// Returns `annual` unchanged when `periods_per_year` is not positive.
pub fn per_bar_rate(annual: f64, periods_per_year: f64) -> f64 {
    if annual == 0.0 || periods_per_year <= 0.0 {
        return annual;
    }
    (1.0 + annual).powf(1.0 / periods_per_year) - 1.0
}

/// Summary of the per-bar returns of an equity curve: count, mean, sample variance and
/// downside deviation below a per-bar risk-free rate, computed in one pass without storing
/// the returns.
///
/// Sums are taken of `return − first return` (the "shifted data" method), which keeps the
/// variance accurate even when the returns barely vary. The pass keeps several independent
/// partial sums so the compiler can vectorise it, which changes the result only at the
/// level of floating-point rounding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReturnStats {
    pub(crate) rf_bar: f64,
    pub(crate) count: usize,
    pub(crate) shift: f64,
    pub(crate) sum: f64,
    pub(crate) sum_sq: f64,
    pub(crate) downside_sq: f64,
    pub(crate) undefined: bool,
}

/// Partial sums kept side by side in [`ReturnStats::from_equity`]: four independent chains
/// of additions, so the pass is not held up by the latency of one.
pub(crate) const LANES: usize = 4;

impl ReturnStats {
    /// Statistics of all the per-bar returns of `equity`, with `rf_bar` the per-bar
    /// risk-free rate (see [`per_bar_rate`]).
    pub fn from_equity(equity: &[f64], rf_bar: f64) -> ReturnStats {
        let mut stats = ReturnStats {
            rf_bar,
            count: equity.len().saturating_sub(1),
            shift: 0.0,
            sum: 0.0,
            sum_sq: 0.0,
            downside_sq: 0.0,
            undefined: false,
        };
        if stats.count == 0 {
            return stats;
        }
        let Some(shift) = bar_return(equity[0], equity[1]) else {
            stats.undefined = true;
            return stats;
        };
        stats.shift = shift;

        let (previous, current) = (&equity[..stats.count], &equity[1..]);
        let mut sum = [0.0; LANES];
        let mut sum_sq = [0.0; LANES];
        let mut down = [0.0; LANES];
        let mut lowest = [f64::INFINITY; LANES];
        // Branch-free so the loop vectorises; undefined returns are detected after it from the
        // lowest previous equity and the finiteness of the sums. `growth − (1 + x)` is
        // `return − x` with one subtraction fewer.
        let (one_shift, one_rf) = (1.0 + shift, 1.0 + rf_bar);
        let mut add = |lane: usize, p: f64, c: f64| {
            let growth = c / p;
            let d = growth - one_shift;
            sum[lane] += d;
            sum_sq[lane] += d * d;
            let below = growth - one_rf;
            let below = if below < 0.0 { below } else { 0.0 };
            down[lane] += below * below;
            lowest[lane] = if p < lowest[lane] { p } else { lowest[lane] };
        };
        let p_chunks = previous.chunks_exact(LANES);
        let c_chunks = current.chunks_exact(LANES);
        let (p_rest, c_rest) = (p_chunks.remainder(), c_chunks.remainder());
        for (p, c) in p_chunks.zip(c_chunks) {
            for lane in 0..LANES {
                add(lane, p[lane], c[lane]);
            }
        }
        for (&p, &c) in p_rest.iter().zip(c_rest) {
            add(0, p, c);
        }

        stats.sum = sum.iter().sum();
        stats.sum_sq = sum_sq.iter().sum();
        stats.downside_sq = down.iter().sum();
        let lowest = lowest.iter().copied().fold(f64::INFINITY, f64::min);
        let finite =
            stats.sum.is_finite() && stats.sum_sq.is_finite() && stats.downside_sq.is_finite();
        stats.undefined = !(lowest > 0.0 && finite);
        stats
    }

    /// The per-bar risk-free rate the statistics were built with.
    pub fn rf_bar(&self) -> f64 {
        self.rf_bar
    }

    /// Number of returns seen (bars − 1), including undefined ones.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether every return seen was defined (see the module documentation).
    pub fn is_defined(&self) -> bool {
        !self.undefined
    }

    /// Arithmetic mean of the returns; `None` with no returns or an undefined one.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0 && !self.undefined).then(|| self.shift + self.sum / self.count as f64)
    }

    /// Sample standard deviation (divisor `count − 1`); `None` with fewer than two returns
    /// or an undefined one.
    pub fn sample_std(&self) -> Option<f64> {
        if self.count < 2 || self.undefined {
            return None;
        }
        let n = self.count as f64;
        let var = (self.sum_sq - self.sum * self.sum / n) / (n - 1.0);
        Some(var.max(0.0).sqrt())
    }

    /// Sample standard deviation when it exceeds [`FLAT_STD`]; `None` when the returns do not
    /// vary, are fewer than two or include an undefined one.
    pub fn varying_std(&self) -> Option<f64> {
        self.sample_std().filter(|&s| s > FLAT_STD)
    }

    /// Downside deviation: `sqrt(mean over all returns of min(0, return − rf_bar)²)`. Bars at
    /// or above the risk-free rate count as zero but stay in the average. `None` with no
    /// returns or an undefined one.
    pub fn downside_deviation(&self) -> Option<f64> {
        (self.count > 0 && !self.undefined).then(|| (self.downside_sq / self.count as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, check, close_enough};
    use proptest::prelude::*;

    #[test]
    fn bar_return_cases() {
        let cases: &[(&str, &[f64; 2], Option<f64>)] = &[
            ("gain", &[100.0, 110.0], Some(0.1)),
            ("loss", &[100.0, 75.0], Some(-0.25)),
            ("flat", &[100.0, 100.0], Some(0.0)),
            ("wiped out", &[100.0, 0.0], Some(-1.0)),
            ("from zero", &[0.0, 10.0], None),
            ("from negative", &[-5.0, 10.0], None),
            ("nan", &[100.0, f64::NAN], None),
        ];
        check(|&[a, b]: &[f64; 2]| bar_return(a, b), cases);
    }

    #[test]
    fn per_bar_rate_compounds_back_to_the_annual_rate() {
        assert_eq!(per_bar_rate(0.0, 8760.0), 0.0);
        let r = per_bar_rate(0.05, 365.0);
        assert!(close_enough((1.0 + r).powf(365.0), 1.05));
        assert_eq!(per_bar_rate(0.05, 0.0), 0.05);
    }

    #[test]
    fn statistics_of_a_known_series() {
        // Returns +10 %, -10 %, +10 %.
        let s = ReturnStats::from_equity(&[1000.0, 1100.0, 990.0, 1089.0], 0.0);
        assert_eq!(s.count(), 3);
        assert_close(s.mean(), Some(0.1 / 3.0));
        assert_close(s.sample_std(), Some((1.0f64 / 75.0).sqrt()));
        assert_close(s.downside_deviation(), Some((0.01f64 / 3.0).sqrt()));
    }

    #[test]
    fn edge_cases() {
        // (name, equity, mean, sample std, downside deviation)
        type Case = (
            &'static str,
            &'static [f64],
            Option<f64>,
            Option<f64>,
            Option<f64>,
        );
        let cases: &[Case] = &[
            ("no bars", &[], None, None, None),
            ("one bar", &[100.0], None, None, None),
            ("one return", &[100.0, 90.0], Some(-0.1), None, Some(0.1)),
            ("flat", &[100.0; 5], Some(0.0), Some(0.0), Some(0.0)),
            (
                "all losing",
                &[100.0, 90.0, 81.0],
                Some(-0.1),
                Some(0.0),
                Some(0.1),
            ),
            ("bust then recovers", &[100.0, 0.0, 50.0], None, None, None),
        ];
        for &(name, equity, mean, std, down) in cases {
            let s = ReturnStats::from_equity(equity, 0.0);
            assert_close(s.mean(), mean);
            assert_close(s.sample_std(), std);
            assert_close(s.downside_deviation(), down);
            assert_eq!(s.is_defined(), name != "bust then recovers", "{name}");
        }
    }

    #[test]
    fn compounding_at_a_constant_rate_does_not_vary() {
        let equity: Vec<f64> = (0..10_000).map(|i| 100.0 * 1.001f64.powi(i)).collect();
        let s = ReturnStats::from_equity(&equity, 0.0);
        assert!(s.sample_std().unwrap() < FLAT_STD);
        assert_eq!(s.varying_std(), None);
    }

    #[test]
    fn downside_counts_bars_below_the_risk_free_rate() {
        // A flat curve trails a positive risk-free rate on every bar.
        let s = ReturnStats::from_equity(&[100.0; 4], 0.001);
        assert_close(s.downside_deviation(), Some(0.001));
    }

    proptest! {
        #[test]
        fn matches_the_two_pass_formulas(
            rs in prop::collection::vec(-0.2f64..0.2, 2..300),
            rf in 0.0f64..0.001,
        ) {
            let mut equity = vec![1000.0];
            for r in &rs {
                equity.push(equity.last().unwrap() * (1.0 + r));
            }
            let s = ReturnStats::from_equity(&equity, rf);
            let rs: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
            let n = rs.len() as f64;
            let mean = rs.iter().sum::<f64>() / n;
            let var = rs.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let down = rs.iter().map(|r| (r - rf).min(0.0).powi(2)).sum::<f64>() / n;
            prop_assert_eq!(s.count(), rs.len());
            prop_assert!((s.mean().unwrap() - mean).abs() < 1e-12);
            prop_assert!((s.sample_std().unwrap() - var.sqrt()).abs() < 1e-12);
            prop_assert!((s.downside_deviation().unwrap() - down.sqrt()).abs() < 1e-12);
        }

        #[test]
        fn any_undefined_return_makes_the_run_undefined(
            len in 2usize..40,
            at in 0usize..40,
            bad in prop::sample::select(vec![0.0, -1.0, f64::NAN, f64::INFINITY]),
        ) {
            let mut equity = vec![100.0; len];
            let at = at % len;
            equity[at] = bad;
            let s = ReturnStats::from_equity(&equity, 0.0);
            // Exactly as if every return were checked on its own with `bar_return`.
            let direct = equity.windows(2).all(|w| bar_return(w[0], w[1]).is_some());
            prop_assert_eq!(s.is_defined(), direct);
            prop_assert!(at + 1 == len || !s.is_defined() || bad.is_infinite());
        }
    }
}
