//! The stationary bootstrap of bar returns (Politis & Romano, *JASA* 89(428), 1994).
//!
//! A path of n bar returns is drawn in blocks: the first bar is uniform; after each bar,
//! with probability p = 1/`block_len` the next bar starts a new block at a uniform position,
//! otherwise it is the following bar, wrapping from the last bar to the first (circular).
//! Block lengths are therefore Geometric(p) with mean `block_len`, and the resampled series
//! is stationary. Resampling bars (flat bars included, as zero returns) keeps calendar time
//! and exposure, which trade lists lose. Default `block_len`: round(n^(1/3)), at least 1.

use super::{
    MonteCarlo, MonteCarloError, Resampling, check_inputs, log_growth, path_of, summarise,
};
use crate::rng::{below, run_rng, unit};

/// The default mean block length for n bars: round(n^(1/3)), at least 1.
pub fn default_block_len(n: usize) -> usize {
    ((n as f64).cbrt().round() as usize).max(1)
}

/// `runs` stationary-bootstrap paths of `bar_returns` (seeded), mean block length
/// `block_len` (default [`default_block_len`]).
pub fn block_bootstrap_bars(
    bar_returns: &[f64],
    capital: f64,
    block_len: Option<usize>,
    runs: usize,
    seed: u64,
) -> Result<MonteCarlo, MonteCarloError> {
    check_inputs(bar_returns, capital, runs)?;
    let n = bar_returns.len();
    let block_len = block_len.unwrap_or_else(|| default_block_len(n));
    if block_len == 0 {
        return Err(MonteCarloError::BlockLen);
    }
    let p = 1.0 / block_len as f64;
    let growth: Vec<Option<i128>> = bar_returns.iter().map(|&r| log_growth(r)).collect();
    let original = path_of(growth.iter().copied(), capital);
    let paths = (0..runs)
        .map(|run| {
            let mut rng = run_rng(seed, run as u64);
            let mut i = below(&mut rng, n);
            let draws = (0..n).map(|t| {
                if t > 0 {
                    i = if unit(&mut rng) < p {
                        below(&mut rng, n)
                    } else {
                        (i + 1) % n
                    };
                }
                growth[i]
            });
            path_of(draws, capital)
        })
        .collect();
    Ok(summarise(
        Resampling::StationaryBootstrapBars,
        seed,
        n,
        Some(block_len),
        capital,
        original,
        paths,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_block_len_is_the_cube_root() {
        assert_eq!(default_block_len(1), 1);
        assert_eq!(default_block_len(1000), 10);
        assert_eq!(default_block_len(8760), 21);
    }
}
