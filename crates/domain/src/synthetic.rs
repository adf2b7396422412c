//! Deterministic synthetic candles for benchmarks and tests: a seeded random walk, so the
//! same call always gives the same bars (and `tools/compare_vectorbt.py` can rebuild them).

use crate::candles::Candles;

/// The seed the benchmarks use.
pub const BENCH_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// `n` one-minute bars from 2022-01-01 00:00 UTC: a random walk from 40,000 with moves of up
/// to ±0.2% per bar, wicks of up to 0.1% and volume between 1 and 101. The generator is
/// xorshift64 seeded with `seed` (which must not be 0); each bar draws four numbers.
pub fn random_walk(n: usize, seed: u64) -> Candles {
    let mut state = seed.max(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = Candles::default();
    let mut price = 40_000.0;
    for i in 0..n {
        let open = price;
        price *= 1.0 + (next() - 0.5) * 0.004;
        let high = open.max(price) * (1.0 + next() * 0.001);
        let low = open.min(price) * (1.0 - next() * 0.001);
        c.push(
            1_640_995_200_000 + i as i64 * 60_000,
            open,
            high,
            low,
            price,
            1.0 + next() * 100.0,
        );
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_well_formed() {
        let a = random_walk(1000, BENCH_SEED);
        assert_eq!(a, random_walk(1000, BENCH_SEED));
        assert_ne!(a.close, random_walk(1000, 7).close);
        for i in 0..a.len() {
            assert!(
                a.low[i] <= a.open[i].min(a.close[i]) && a.high[i] >= a.open[i].max(a.close[i])
            );
        }
        assert_eq!(a.timeframe(), Some(crate::Timeframe::MINUTE));
    }
}
