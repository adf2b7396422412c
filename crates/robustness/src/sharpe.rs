//! Sharpe-ratio inference: moments, PSR, MinTRL, expected maximum Sharpe and DSR.
//!
//! Sources: Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier", *Journal of
//! Risk* 15(2), 2012 (PSR, MinTRL); Bailey & López de Prado, "The Deflated Sharpe Ratio",
//! *Journal of Portfolio Management* 40(5), 2014 (expected maximum, DSR).
//!
//! Conventions (the traps of the reference notes): every Sharpe ratio is **per period** (per
//! bar or per trade, never annualised; convert a benchmark with `SR*/√q`), and kurtosis is
//! **non-excess** (a Normal has 3). The variance term under the square root is the 2012
//! form, evaluated at the observed SR̂: `1 − γ3·SR̂ + (γ4 − 1)/4·SR̂²`.

use bb_backtest::sweep::ReturnSums;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Euler–Mascheroni constant γ.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// The first four moments of a return series.
///
/// `std` is the sample standard deviation (divisor n − 1). `skew` and `kurtosis` are the
/// moment ratios `m3 / m2^1.5` and `m4 / m2²` of the central moments with divisor n (the
/// biased estimators of `scipy.stats.skew` and `scipy.stats.kurtosis(fisher=False)`, as in
/// the authors' listing); `kurtosis` is non-excess.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moments {
    /// Number of returns.
    pub n: usize,
    /// Mean return per period.
    pub mean: f64,
    /// Sample standard deviation of the returns (divisor n − 1).
    pub std: f64,
    /// Skewness γ3 (0 for a Normal).
    pub skew: f64,
    /// Non-excess kurtosis γ4 (3 for a Normal).
    pub kurtosis: f64,
}

impl Moments {
    /// The moments of `returns`; `None` with fewer than 2 returns, a non-finite return or
    /// no variation (the Sharpe ratio and the shape are then undefined).
    pub fn of(returns: &[f64]) -> Option<Moments> {
        let n = returns.len();
        if n < 2 || returns.iter().any(|r| !r.is_finite()) {
            return None;
        }
        let nf = n as f64;
        let mean = returns.iter().sum::<f64>() / nf;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for r in returns {
            let d = r - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        if m2 <= 0.0 {
            return None;
        }
        let std = (m2 / (nf - 1.0)).sqrt();
        let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
        Some(Moments {
            n,
            mean,
            std,
            skew: m3 / m2.powf(1.5),
            kurtosis: m4 / (m2 * m2),
        })
    }

    /// The per-period Sharpe ratio `mean / std` (no risk-free rate).
    pub fn sharpe(&self) -> f64 {
        self.mean / self.std
    }
}

/// The variance term `1 − γ3·SR + (γ4 − 1)/4·SR²`, when positive and finite.
fn variance_term(sr: f64, skew: f64, kurtosis: f64) -> Option<f64> {
    let v = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr;
    (v.is_finite() && v > 0.0).then_some(v)
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// Probabilistic Sharpe Ratio: the probability that the true Sharpe exceeds `sr_benchmark`,
/// `Φ[(SR̂ − SR*)·√(n − 1) / √(1 − γ3·SR̂ + (γ4 − 1)/4·SR̂²)]`.
///
/// `sr` and `sr_benchmark` per period, `n` the number of returns (a real number: the
/// formula accepts a fractional track record), `kurtosis` non-excess. `None` when `n < 2`,
/// an input is not finite or the variance term is ≤ 0 (large positive skew with a large
/// per-period Sharpe: the formula does not apply).
pub fn psr(sr: f64, sr_benchmark: f64, n: f64, skew: f64, kurtosis: f64) -> Option<f64> {
    if n.is_nan() || n < 2.0 || !sr.is_finite() || !sr_benchmark.is_finite() {
        return None;
    }
    let v = variance_term(sr, skew, kurtosis)?;
    let z = (sr - sr_benchmark) * (n - 1.0).sqrt() / v.sqrt();
    Some(standard_normal().cdf(z))
}

/// Minimum Track Record Length: the number of returns needed before PSR(`sr_benchmark`)
/// reaches `confidence`, `1 + (1 − γ3·SR̂ + (γ4 − 1)/4·SR̂²)·(Φ⁻¹(p) / (SR̂ − SR*))²`.
///
/// In periods of the returns' frequency. `None` unless `sr > sr_benchmark` and
/// `0 < confidence < 1`, or when the variance term is ≤ 0.
pub fn min_trl(
    sr: f64,
    sr_benchmark: f64,
    skew: f64,
    kurtosis: f64,
    confidence: f64,
) -> Option<f64> {
    let defined = sr > sr_benchmark && confidence > 0.0 && confidence < 1.0;
    if !defined {
        return None;
    }
    let v = variance_term(sr, skew, kurtosis)?;
    let z = standard_normal().inverse_cdf(confidence);
    let out = 1.0 + v * (z / (sr - sr_benchmark)).powi(2);
    out.is_finite().then_some(out)
}

/// Expected maximum Sharpe of `trials` independent zero-skill trials whose Sharpe
/// estimates have variance `variance` (per period²):
/// `√V·[(1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))]`; 0 for `trials ≤ 1` (or V ≤ 0).
pub fn expected_max_sharpe(trials: f64, variance: f64) -> f64 {
    if trials.is_nan() || trials <= 1.0 || variance.is_nan() || variance <= 0.0 {
        return 0.0;
    }
    let normal = standard_normal();
    let a = normal.inverse_cdf(1.0 - 1.0 / trials);
    let b = normal.inverse_cdf(1.0 - 1.0 / (trials * std::f64::consts::E));
    variance.sqrt() * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)
}

/// The Deflated Sharpe Ratio of the configuration selected among a sweep's trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeflatedSharpe {
    /// The selected configuration's Sharpe ratio, per period.
    pub sharpe: f64,
    /// Number of independent trials N the selection was made among.
    pub trials: usize,
    /// Variance of the trials' per-period Sharpe ratios.
    pub sharpe_variance: f64,
    /// SR0: the expected maximum per-period Sharpe of N zero-skill trials (the benchmark).
    pub expected_max: f64,
    /// DSR = PSR(SR0): probability that the true Sharpe exceeds what selection alone gives.
    pub dsr: f64,
    /// Number of returns of the selected configuration.
    pub n: usize,
}

/// DSR of `selected` among `trials` trials whose Sharpe ratios have variance
/// `sharpe_variance`: `PSR(SR0)` with SR0 = [`expected_max_sharpe`]. `None` when PSR is
/// undefined (see [`psr`]).
pub fn deflated_sharpe(
    selected: &Moments,
    trials: usize,
    sharpe_variance: f64,
) -> Option<DeflatedSharpe> {
    let sharpe = selected.sharpe();
    let expected_max = expected_max_sharpe(trials as f64, sharpe_variance);
    let dsr = psr(
        sharpe,
        expected_max,
        selected.n as f64,
        selected.skew,
        selected.kurtosis,
    )?;
    Some(DeflatedSharpe {
        sharpe,
        trials,
        sharpe_variance,
        expected_max,
        dsr,
        n: selected.n,
    })
}

/// Sample variance (divisor n − 1) of trials' Sharpe ratios; `None` with fewer than 2.
pub fn sharpe_variance(sharpes: &[f64]) -> Option<f64> {
    let n = sharpes.len();
    if n < 2 || sharpes.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let mean = sharpes.iter().sum::<f64>() / n as f64;
    Some(sharpes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64)
}

/// Count, sum and sum of squares of a union of blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sums {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Sums {
    pub fn add(&mut self, block: &ReturnSums) {
        self.n += u64::from(block.n);
        self.sum += block.sum;
        self.sum_sq += block.sum_sq;
    }

    /// Mean and sample variance (divisor n − 1); `None` with fewer than 2 returns.
    pub fn mean_var(&self) -> Option<(f64, f64)> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let mean = self.sum / n;
        let var = ((self.sum_sq - self.sum * mean) / (n - 1.0)).max(0.0);
        Some((mean, var))
    }
}

/// Per-period Sharpe ratio (sample std, divisor n − 1) of the union of `blocks`; `None`
/// with fewer than 2 returns or no variation.
pub fn sharpe_of_blocks(blocks: &[ReturnSums]) -> Option<f64> {
    let mut sums = Sums::default();
    blocks.iter().for_each(|b| sums.add(b));
    let (mean, var) = sums.mean_var()?;
    let out = mean / var.sqrt();
    (var > 0.0 && out.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn moments_of_a_small_series() {
        // numpy: mean 2.2, std(ddof=1) = sqrt(9.7) ... values checked by hand below.
        let m = Moments::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        close(m.mean, 2.5, 1e-15);
        close(m.std, (5.0f64 / 3.0).sqrt(), 1e-15);
        close(m.skew, 0.0, 1e-15);
        // m2 = 1.25, m4 = (2·5.0625 + 2·0.0625)/4 = 2.5625 → 2.5625 / 1.5625 = 1.64
        close(m.kurtosis, 1.64, 1e-12);
        // Skewed: [0, 0, 3]: mean 1, m2 = 2, m3 = (−1 −1 + 8)/3 = 2 → 2 / 2^1.5
        let s = Moments::of(&[0.0, 0.0, 3.0]).unwrap();
        close(s.skew, 2.0 / 2f64.powf(1.5), 1e-12);
        assert_eq!(Moments::of(&[1.0]), None);
        assert_eq!(Moments::of(&[1.0, 1.0]), None);
        assert_eq!(Moments::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn psr_reproduces_the_authors_listing() {
        let sr = 1.5 / 12f64.sqrt();
        let bench = 1.0 / 12f64.sqrt();
        let n = 59.895;
        close(psr(sr, bench, n, 0.0, 3.0).unwrap(), 0.8552, 5e-5);
        close(psr(sr, bench, n, -0.72, 3.0).unwrap(), 0.8249, 5e-5);
        close(psr(sr, bench, n, -0.72, 5.78).unwrap(), 0.8143, 5e-5);
        // The paper's likely example: annualised 2 on monthly data, n = 59.
        let sr2 = 2.0 / 12f64.sqrt();
        close(psr(sr2, bench, 59.0, -0.72, 3.0).unwrap(), 0.9597, 5e-5);
    }

    #[test]
    fn psr_is_undefined_outside_its_domain() {
        assert_eq!(psr(0.1, 0.0, 1.0, 0.0, 3.0), None);
        // 1 − 5·1 + 0 < 0
        assert_eq!(psr(1.0, 0.0, 100.0, 5.0, 1.0), None);
        assert_eq!(psr(f64::NAN, 0.0, 100.0, 0.0, 3.0), None);
        close(psr(0.0, 0.0, 100.0, 0.0, 3.0).unwrap(), 0.5, 1e-15);
    }

    #[test]
    fn min_trl_reproduces_the_reference() {
        let sr = 2.0 / 12f64.sqrt();
        let bench = 1.0 / 12f64.sqrt();
        close(min_trl(sr, bench, -0.72, 5.78, 0.95).unwrap(), 59.895, 5e-4);
        close(min_trl(sr, bench, -0.72, 3.0, 0.95).unwrap(), 52.3737, 5e-4);
        close(min_trl(sr, bench, 0.0, 3.0, 0.95).unwrap(), 38.9, 0.05);
        assert_eq!(min_trl(bench, sr, 0.0, 3.0, 0.95), None);
        assert_eq!(min_trl(sr, bench, 0.0, 3.0, 1.0), None);
        // PSR at the MinTRL is the confidence.
        let n = min_trl(sr, bench, -0.72, 5.78, 0.95).unwrap();
        close(psr(sr, bench, n, -0.72, 5.78).unwrap(), 0.95, 1e-9);
    }

    #[test]
    fn dsr_reproduces_the_papers_example() {
        let q = 250f64;
        let selected = Moments {
            n: 1250,
            mean: 2.5 / q.sqrt(),
            std: 1.0,
            skew: -3.0,
            kurtosis: 10.0,
        };
        let d = deflated_sharpe(&selected, 100, 0.5 / q).unwrap();
        close(d.expected_max, 0.1132, 5e-5);
        close(d.dsr, 0.9004, 5e-5);
        assert_eq!((d.trials, d.n), (100, 1250));
        close(d.sharpe, 2.5 / q.sqrt(), 1e-15);
    }

    #[test]
    fn expected_max_is_zero_for_one_trial_and_grows_with_trials() {
        assert_eq!(expected_max_sharpe(1.0, 1.0), 0.0);
        assert_eq!(expected_max_sharpe(0.0, 1.0), 0.0);
        // The bracket for N = 50 is 2.2763 (reference).
        close(expected_max_sharpe(50.0, 1.0), 2.2763, 5e-5);
        assert!(expected_max_sharpe(1000.0, 1.0) > expected_max_sharpe(50.0, 1.0));
        close(expected_max_sharpe(50.0, 4.0), 2.0 * 2.2763, 1e-4);
    }

    #[test]
    fn sharpe_of_blocks_matches_the_returns() {
        let returns = [0.01, -0.02, 0.03, 0.005, -0.01, 0.02];
        let blocks: Vec<ReturnSums> = returns
            .chunks(2)
            .map(|c| ReturnSums {
                n: c.len() as u32,
                sum: c.iter().sum(),
                sum_sq: c.iter().map(|r| r * r).sum(),
            })
            .collect();
        let m = Moments::of(&returns).unwrap();
        close(sharpe_of_blocks(&blocks).unwrap(), m.sharpe(), 1e-12);
        assert_eq!(sharpe_of_blocks(&blocks[..0]), None);
        let flat = [ReturnSums {
            n: 3,
            sum: 0.0,
            sum_sq: 0.0,
        }];
        assert_eq!(sharpe_of_blocks(&flat), None);
        close(sharpe_variance(&[1.0, 2.0, 3.0]).unwrap(), 1.0, 1e-15);
        assert_eq!(sharpe_variance(&[1.0]), None);
    }
}
