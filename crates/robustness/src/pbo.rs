//! Probability of Backtest Overfitting by Combinatorially Symmetric Cross-Validation.
//!
//! Source: Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest
//! Overfitting", *Journal of Computational Finance* 20(4), 2017 (ranks as in the paper and
//! pypbo: rank / (N + 1)).
//!
//! Each configuration's per-bar returns are cut into S equal consecutive blocks, given as
//! [`ReturnSums`] (count, Σr, Σr²). For each of the C(S, S/2) ways to pick S/2 blocks as
//! in-sample (the rest out-of-sample), every configuration's per-period Sharpe is computed
//! on both halves from the block sums; n* is the in-sample winner (the lowest index on a
//! tie), ω = rank of its out-of-sample Sharpe among all (1 = worst, ties averaged) / (N + 1),
//! and λ = ln(ω / (1 − ω)). PBO is the share of splits with λ ≤ 0. Cost O(C(S, S/2)·S·N).
//!
//! A half on which a configuration's returns do not vary (never in the market) scores a
//! Sharpe of 0 when its mean is 0, and ±∞ with the sign of a non-zero mean.

use bb_backtest::sweep::ReturnSums;
use serde::{Deserialize, Serialize};

use crate::quantiles::Distribution;
use crate::sharpe::Sums;

/// Fewest blocks accepted.
pub const MIN_BLOCKS: usize = 2;
/// Most blocks accepted (C(16, 8) = 12,870 splits).
pub const MAX_BLOCKS: usize = 16;

/// The result of CSCV over a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pbo {
    /// Probability of backtest overfitting: the share of splits where the in-sample winner
    /// ranks at or below the out-of-sample median (λ ≤ 0).
    pub pbo: f64,
    /// Number of splits, C(S, S/2).
    pub splits: usize,
    /// Number of blocks S the returns were cut into.
    pub blocks: usize,
    /// Number of configurations N.
    pub configurations: usize,
    /// Share of splits where the in-sample winner's out-of-sample Sharpe is below 0.
    pub probability_oos_loss: f64,
    /// Median over splits of the logit λ of the winner's out-of-sample relative rank.
    pub median_logit: f64,
    /// Distribution over splits of the logit λ (positive: winner above the median).
    pub logits: Distribution,
    /// The configuration (index into the input) that wins in-sample most often.
    pub most_selected: usize,
    /// Share of splits that configuration wins in-sample.
    pub most_selected_share: f64,
}

/// Why PBO cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PboError {
    #[error("PBO needs at least 2 configurations, got {0}")]
    TooFewConfigurations(usize),
    #[error("PBO needs an even number of blocks from {MIN_BLOCKS} to {MAX_BLOCKS}, got {0}")]
    Blocks(usize),
    #[error("configuration {column} has {found} blocks, expected {expected}")]
    RaggedColumns {
        column: usize,
        found: usize,
        expected: usize,
    },
    #[error("block {block} of configuration {column} holds no returns")]
    EmptyBlock { column: usize, block: usize },
    #[error("block {block} of configuration {column} has non-finite sums")]
    NonFinite { column: usize, block: usize },
}

/// Sharpe of a half for ranking: mean/std, 0 when flat at 0, ±∞ when flat elsewhere.
fn rank_sharpe(sums: &Sums) -> f64 {
    match sums.mean_var() {
        Some((mean, var)) if var > 0.0 => mean / var.sqrt(),
        Some((mean, _)) if mean != 0.0 => mean.signum() * f64::INFINITY,
        _ => 0.0,
    }
}

fn validate(columns: &[Vec<ReturnSums>]) -> Result<usize, PboError> {
    if columns.len() < 2 {
        return Err(PboError::TooFewConfigurations(columns.len()));
    }
    let blocks = columns[0].len();
    if !(MIN_BLOCKS..=MAX_BLOCKS).contains(&blocks) || !blocks.is_multiple_of(2) {
        return Err(PboError::Blocks(blocks));
    }
    for (column, col) in columns.iter().enumerate() {
        if col.len() != blocks {
            return Err(PboError::RaggedColumns {
                column,
                found: col.len(),
                expected: blocks,
            });
        }
        for (block, b) in col.iter().enumerate() {
            if b.n == 0 {
                return Err(PboError::EmptyBlock { column, block });
            }
            if !b.sum.is_finite() || !b.sum_sq.is_finite() {
                return Err(PboError::NonFinite { column, block });
            }
        }
    }
    Ok(blocks)
}

/// PBO by CSCV over `columns`: one `Vec<ReturnSums>` per configuration, all with the same
/// even number S of blocks (2..=16), in time order.
pub fn pbo(columns: &[Vec<ReturnSums>]) -> Result<Pbo, PboError> {
    let blocks = validate(columns)?;
    let n = columns.len();
    let mut logits = Vec::new();
    let mut overfit = 0usize;
    let mut losses = 0usize;
    let mut wins = vec![0usize; n];
    let mut oos = vec![0.0; n];
    for mask in 0u32..(1u32 << blocks) {
        if mask.count_ones() as usize != blocks / 2 {
            continue;
        }
        let mut best = (0usize, f64::NEG_INFINITY);
        for (j, col) in columns.iter().enumerate() {
            let (mut is, mut os) = (Sums::default(), Sums::default());
            for (b, sums) in col.iter().enumerate() {
                if mask & (1 << b) != 0 {
                    is.add(sums);
                } else {
                    os.add(sums);
                }
            }
            let is_sharpe = rank_sharpe(&is);
            if j == 0 || is_sharpe > best.1 {
                best = (j, is_sharpe);
            }
            oos[j] = rank_sharpe(&os);
        }
        let star = best.0;
        wins[star] += 1;
        let target = oos[star];
        let below = oos.iter().filter(|&&v| v < target).count();
        let equal = oos.iter().filter(|&&v| v == target).count();
        // rank = below + (equal + 1) / 2; λ ≤ 0 ⇔ rank ≤ (N + 1) / 2 ⇔ 2·below + equal ≤ N.
        if 2 * below + equal <= n {
            overfit += 1;
        }
        if target < 0.0 {
            losses += 1;
        }
        let omega = (below as f64 + (equal as f64 + 1.0) / 2.0) / (n as f64 + 1.0);
        logits.push((omega / (1.0 - omega)).ln());
    }
    let splits = logits.len();
    let logits = Distribution::of(&mut logits).expect("ω is in (0, 1): logits are finite");
    let (most_selected, top) = wins
        .iter()
        .enumerate()
        .fold((0, 0), |acc, (j, &w)| if w > acc.1 { (j, w) } else { acc });
    Ok(Pbo {
        pbo: overfit as f64 / splits as f64,
        splits,
        blocks,
        configurations: n,
        probability_oos_loss: losses as f64 / splits as f64,
        median_logit: logits.p50,
        logits,
        most_selected,
        most_selected_share: top as f64 / splits as f64,
    })
}
