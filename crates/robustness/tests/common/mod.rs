//! Shared helpers of the integration tests: seeded Normal draws and block sums.
#![allow(dead_code)]

use bb_backtest::sweep::ReturnSums;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Seeded standard Normal draws (Box–Muller).
#[derive(Debug)]
pub struct Gauss(ChaCha8Rng);

impl Gauss {
    pub fn new(seed: u64) -> Gauss {
        Gauss(ChaCha8Rng::seed_from_u64(seed))
    }

    pub fn unit(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Sums of `returns` cut into `blocks` equal consecutive blocks.
pub fn block_sums(returns: &[f64], blocks: usize) -> Vec<ReturnSums> {
    let len = returns.len();
    (0..blocks)
        .map(|b| {
            let chunk = &returns[b * len / blocks..(b + 1) * len / blocks];
            ReturnSums {
                n: chunk.len() as u32,
                sum: chunk.iter().sum(),
                sum_sq: chunk.iter().map(|r| r * r).sum(),
            }
        })
        .collect()
}
