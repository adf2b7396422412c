//! Trade-level Monte Carlo: reshuffling the trade order and the IID trade bootstrap.
//!
//! A trade return is the fraction of equity the trade gained (−0.02 = lost 2% of equity),
//! so a path is `capital·Π(1 + r_i)`. Reshuffling (without replacement) keeps the product,
//! so every reshuffled path ends at exactly the original final equity (see the module
//! above) while drawdowns vary; the bootstrap draws n trades with replacement, so final
//! equity varies too. Both assume trades are independent of one another.

use super::{
    MonteCarlo, MonteCarloError, Resampling, check_inputs, log_growth, path_of, summarise,
};
use crate::rng::{below, run_rng, shuffle};

/// Trades in `runs` random orders (seeded): distributions of drawdown and final equity.
pub fn reshuffle_trades(
    trade_returns: &[f64],
    capital: f64,
    runs: usize,
    seed: u64,
) -> Result<MonteCarlo, MonteCarloError> {
    check_inputs(trade_returns, capital, runs)?;
    let growth: Vec<Option<i128>> = trade_returns.iter().map(|&r| log_growth(r)).collect();
    let original = path_of(growth.iter().copied(), capital);
    let mut order = growth.clone();
    let paths = (0..runs)
        .map(|run| {
            let mut rng = run_rng(seed, run as u64);
            order.copy_from_slice(&growth);
            shuffle(&mut rng, &mut order);
            path_of(order.iter().copied(), capital)
        })
        .collect();
    Ok(summarise(
        Resampling::ReshuffleTrades,
        seed,
        trade_returns.len(),
        None,
        capital,
        original,
        paths,
    ))
}

/// `runs` paths of n trades drawn with replacement (seeded IID bootstrap).
pub fn bootstrap_trades(
    trade_returns: &[f64],
    capital: f64,
    runs: usize,
    seed: u64,
) -> Result<MonteCarlo, MonteCarloError> {
    check_inputs(trade_returns, capital, runs)?;
    let growth: Vec<Option<i128>> = trade_returns.iter().map(|&r| log_growth(r)).collect();
    let n = growth.len();
    let original = path_of(growth.iter().copied(), capital);
    let paths = (0..runs)
        .map(|run| {
            let mut rng = run_rng(seed, run as u64);
            path_of((0..n).map(|_| growth[below(&mut rng, n)]), capital)
        })
        .collect();
    Ok(summarise(
        Resampling::BootstrapTrades,
        seed,
        n,
        None,
        capital,
        original,
        paths,
    ))
}
