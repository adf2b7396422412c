//! Robustness statistics for backtests: is a result skill, luck or overfitting?
//!
//! Pure core: no IO, no clock, no async, and only seeded randomness (a named generator,
//! ChaCha8, keyed by the caller's seed and the run index, so results do not depend on
//! threads or library releases). The formulas follow the team notes (`references-2.md`,
//! Part 3); each module names its paper.
//!
//! - [`sharpe`]: moments, Probabilistic Sharpe Ratio, Minimum Track Record Length, the
//!   expected maximum Sharpe of N trials and the Deflated Sharpe Ratio (Bailey & López de
//!   Prado 2012, 2014), all on **per-period** Sharpe ratios and **non-excess** kurtosis.
//! - [`pbo`]: Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado &
//!   Zhu 2017), from per-block return sums.
//! - [`montecarlo`]: trade reshuffling, IID trade bootstrap, stationary bar bootstrap
//!   (Politis & Romano 1994) and a random-entry baseline.
//! - [`stability`]: how many neighbours of the chosen grid cell are also good.
//! - [`verdict`]: plain-language verdicts with named thresholds.
//! - [`lab`]: every check of one strategy version in one report (holdout, the sweep's
//!   statistics, walk-forward, Monte Carlo), with the walk-forward's and holdout's verdicts.

pub mod lab;
pub mod montecarlo;
pub mod pbo;
pub mod quantiles;
mod rng;
pub mod sharpe;
pub mod stability;
pub mod verdict;

pub use montecarlo::random_entry::{
    HeldTrade, RandomBaseline, RandomBaselineError, random_entry_baseline,
};
pub use montecarlo::{
    LossProbability, MonteCarlo, MonteCarloError, Resampling, block_bootstrap_bars,
    bootstrap_trades, reshuffle_trades,
};
pub use pbo::{Pbo, PboError, pbo};
pub use quantiles::Distribution;
pub use sharpe::{
    DeflatedSharpe, Moments, deflated_sharpe, expected_max_sharpe, min_trl, psr, sharpe_of_blocks,
};
pub use stability::{Stability, StabilityCell, StabilityError, stability};
pub use verdict::{Check, Level, Verdict};
