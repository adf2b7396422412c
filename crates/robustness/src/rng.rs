//! The seeded generator of every simulation: ChaCha8 keyed by (seed, run index).
//!
//! Each run gets its own generator whose key is the caller's seed and the run's index, so a
//! run's draws depend on nothing else (not on threads, not on the other runs), and the
//! stream is the one `rand_chacha` 0.10 documents as stable. No OS randomness.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The generator of run `run` under `seed`: key = seed (LE) ‖ run (LE) ‖ zeros.
pub(crate) fn run_rng(seed: u64, run: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&run.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// A uniform integer in `0..n` (`n > 0`), unbiased (Lemire's multiply-and-reject).
pub(crate) fn below(rng: &mut impl Rng, n: usize) -> usize {
    let n = n as u64;
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub(crate) fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Fisher–Yates shuffle in place.
pub(crate) fn shuffle<T>(rng: &mut impl Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| run_rng(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(run_rng(7, 3).next_u64(), run_rng(7, 4).next_u64());
        assert_ne!(run_rng(7, 3).next_u64(), run_rng(8, 3).next_u64());
    }

    #[test]
    fn below_covers_its_range_evenly() {
        let mut rng = run_rng(1, 0);
        let mut counts = [0usize; 5];
        for _ in 0..50_000 {
            counts[below(&mut rng, 5)] += 1;
        }
        // Each count is Binomial(50_000, 0.2): sd ≈ 89; allow 5 sd.
        assert!(
            counts.iter().all(|&c| (c as f64 - 10_000.0).abs() < 450.0),
            "{counts:?}"
        );
        let u = unit(&mut rng);
        assert!((0.0..1.0).contains(&u));
    }
}
