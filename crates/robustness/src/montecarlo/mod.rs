//! Monte Carlo on a backtest's returns: what other orders and draws of the same trades or
//! bars would have given.
//!
//! Sources: reshuffling and the IID bootstrap are the common practitioner tests (reference
//! notes, Part 3 §6); the stationary bootstrap is Politis & Romano, "The Stationary
//! Bootstrap", *JASA* 89(428), 1994.
//!
//! Every method is seeded: run `k` draws from its own ChaCha8 generator keyed by
//! (seed, k), so a result depends only on its inputs, `runs` and `seed`.
//!
//! Each path starts at `capital` and compounds its returns (`E·(1 + r)`, a return being the
//! fraction of equity gained by a trade or a bar). The path is computed from a fixed-point
//! sum of the log growth factors `ln(1 + r)` (resolution 2⁻⁶⁴ per return, far below f64
//! rounding of the equity itself): integer addition is exact and commutative, so **every
//! reordering of the same returns ends at bit-for-bit the same final equity**. A return of
//! −100% or worse ruins the path: equity 0 from there on, drawdown 1.

mod bars;
pub mod random_entry;
mod trades;

pub use bars::{block_bootstrap_bars, default_block_len};
pub use trades::{bootstrap_trades, reshuffle_trades};

use serde::{Deserialize, Serialize};

use crate::quantiles::Distribution;

/// The losses (percent of starting capital) whose probabilities are reported.
pub const LOSS_THRESHOLDS_PCT: [f64; 3] = [10.0, 25.0, 50.0];

/// How the simulated paths were drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Resampling {
    /// The trades in a random order (without replacement): final equity is unchanged,
    /// only the path (drawdowns) varies.
    ReshuffleTrades,
    /// As many trades drawn at random with replacement (IID bootstrap).
    BootstrapTrades,
    /// Bar returns redrawn in blocks of random (geometric) length, wrapping around
    /// (stationary bootstrap): keeps short-range dependence such as volatility clusters.
    StationaryBootstrapBars,
}

/// The probability of losing more than a given share of the starting capital.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LossProbability {
    /// The loss, in percent of starting capital (10 = losing more than 10%).
    pub loss_pct: f64,
    /// Share of simulated paths whose final equity is below capital × (1 − loss_pct/100).
    pub probability: f64,
}

/// The distribution of simulated paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonteCarlo {
    /// How the paths were drawn.
    pub method: Resampling,
    /// Number of simulated paths.
    pub runs: usize,
    /// The seed: the same inputs, runs and seed give the same result.
    pub seed: u64,
    /// Number of returns (trades or bars) in the original and in each path.
    pub samples: usize,
    /// Mean block length in bars (stationary bootstrap only).
    pub block_len: Option<usize>,
    /// Starting equity of every path.
    pub capital: f64,
    /// Final equity of the original order.
    pub original_final_equity: f64,
    /// Maximum drawdown of the original order, as a fraction of the peak (0.25 = 25%).
    pub original_max_drawdown: f64,
    /// Percentile (0–100) of the original's maximum drawdown among the simulated ones: the
    /// share of paths with a smaller drawdown, ties counting half. 90 means the actual
    /// order was worse than 90% of the simulated ones.
    pub original_drawdown_percentile: f64,
    /// Maximum drawdown of the simulated paths (fraction of the peak).
    pub max_drawdown: Distribution,
    /// Final equity of the simulated paths.
    pub final_equity: Distribution,
    /// Probability of losing more than 10%, 25% and 50% of the capital.
    pub loss_probabilities: Vec<LossProbability>,
}

/// Why a simulation cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MonteCarloError {
    #[error("no returns to resample")]
    NoReturns,
    #[error("at least one run is needed")]
    NoRuns,
    #[error("the starting capital must be positive and finite, got {0}")]
    Capital(f64),
    #[error("return {index} is not finite")]
    NonFinite { index: usize },
    #[error("the block length must be at least 1")]
    BlockLen,
}

pub(crate) fn check_inputs(
    returns: &[f64],
    capital: f64,
    runs: usize,
) -> Result<(), MonteCarloError> {
    if returns.is_empty() {
        return Err(MonteCarloError::NoReturns);
    }
    if runs == 0 {
        return Err(MonteCarloError::NoRuns);
    }
    if !(capital.is_finite() && capital > 0.0) {
        return Err(MonteCarloError::Capital(capital));
    }
    match returns.iter().position(|r| !r.is_finite()) {
        Some(index) => Err(MonteCarloError::NonFinite { index }),
        None => Ok(()),
    }
}

/// 2⁶⁴: the fixed-point scale of log growth factors.
const SCALE: f64 = 18_446_744_073_709_551_616.0;

/// A return as a fixed-point log growth factor, or `None` for ruin (r ≤ −1).
pub(crate) fn log_growth(r: f64) -> Option<i128> {
    (r > -1.0).then(|| (r.ln_1p() * SCALE).round() as i128)
}

/// Final equity and maximum drawdown of a path, accumulated one return at a time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PathStats {
    cum: i128,
    peak: i128,
    deepest: i128,
    ruined: bool,
}

impl PathStats {
    /// Adds one return given as [`log_growth`].
    pub fn push(&mut self, growth: Option<i128>) {
        match growth {
            None => self.ruined = true,
            Some(g) if !self.ruined => {
                self.cum += g;
                self.peak = self.peak.max(self.cum);
                self.deepest = self.deepest.max(self.peak - self.cum);
            }
            Some(_) => {}
        }
    }

    /// (final equity, maximum drawdown as a fraction of the peak).
    pub fn finish(&self, capital: f64) -> (f64, f64) {
        if self.ruined {
            return (0.0, 1.0);
        }
        let equity = capital * (self.cum as f64 / SCALE).exp();
        let drawdown = -(-(self.deepest as f64) / SCALE).exp_m1();
        (equity, drawdown)
    }
}

/// Assembles the result from the original path and the simulated ones.
pub(crate) fn summarise(
    method: Resampling,
    seed: u64,
    samples: usize,
    block_len: Option<usize>,
    capital: f64,
    original: (f64, f64),
    mut paths: Vec<(f64, f64)>,
) -> MonteCarlo {
    let runs = paths.len();
    let (orig_equity, orig_dd) = original;
    let smaller = paths.iter().filter(|p| p.1 < orig_dd).count();
    let equal = paths.iter().filter(|p| p.1 == orig_dd).count();
    let loss_probabilities = LOSS_THRESHOLDS_PCT
        .iter()
        .map(|&loss_pct| {
            let floor = capital * (1.0 - loss_pct / 100.0);
            let below = paths.iter().filter(|p| p.0 < floor).count();
            LossProbability {
                loss_pct,
                probability: below as f64 / runs as f64,
            }
        })
        .collect();
    let mut drawdowns: Vec<f64> = paths.iter().map(|p| p.1).collect();
    let mut equities: Vec<f64> = paths.drain(..).map(|p| p.0).collect();
    MonteCarlo {
        method,
        runs,
        seed,
        samples,
        block_len,
        capital,
        original_final_equity: orig_equity,
        original_max_drawdown: orig_dd,
        original_drawdown_percentile: 100.0 * (smaller as f64 + equal as f64 / 2.0) / runs as f64,
        max_drawdown: Distribution::of(&mut drawdowns).expect("drawdowns are finite"),
        final_equity: Distribution::of(&mut equities).expect("equities are finite"),
        loss_probabilities,
    }
}

/// Final equity and drawdown of `returns` in their given order.
pub(crate) fn path_of(returns: impl IntoIterator<Item = Option<i128>>, capital: f64) -> (f64, f64) {
    let mut stats = PathStats::default();
    returns.into_iter().for_each(|g| stats.push(g));
    stats.finish(capital)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_matches_direct_compounding() {
        let returns = [0.1, -0.2, 0.05, -0.1, 0.3];
        let (equity, dd) = path_of(returns.iter().map(|&r| log_growth(r)), 100.0);
        // 100 → 110 → 88 → 92.4 → 83.16 → 108.108; deepest from 110 to 83.16.
        assert!((equity - 108.108).abs() < 1e-9, "{equity}");
        assert!((dd - (1.0 - 83.16 / 110.0)).abs() < 1e-12, "{dd}");
        let (ruined, dd) = path_of([0.1, -1.0, 0.5].iter().map(|&r| log_growth(r)), 100.0);
        assert_eq!((ruined, dd), (0.0, 1.0));
        let (flat, dd) = path_of([0.0, 0.0].iter().map(|&r| log_growth(r)), 100.0);
        assert_eq!((flat, dd), (100.0, 0.0));
    }
}
