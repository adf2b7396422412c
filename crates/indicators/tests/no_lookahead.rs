//! No look-ahead: an indicator's output on a prefix of the input equals the prefix of
//! its output on the full input, bit for bit.

mod common;

use common::{Ohlcv, same};
use proptest::prelude::*;

/// Random bars: a random walk with random spreads and volumes, 0..160 bars long.
fn bars() -> impl Strategy<Value = Ohlcv> {
    prop::collection::vec((-1.0..1.0_f64, 0.0..1.0_f64, 0.0..1.0_f64), 0..160)
        .prop_map(|steps| Ohlcv::from_steps(&steps))
}

/// Bars and a prefix length within them.
fn bars_and_cut() -> impl Strategy<Value = (Ohlcv, usize)> {
    bars().prop_flat_map(|d| {
        let n = d.len();
        (Just(d), 0..=n)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn output_on_a_prefix_is_a_prefix_of_the_output((d, cut) in bars_and_cut()) {
        let prefix = d.prefix(cut);
        for indicator in common::all() {
            let full = (indicator.run)(&d);
            let part = (indicator.run)(&prefix);
            for (line, (f, p)) in full.iter().zip(&part).enumerate() {
                prop_assert_eq!(f.len(), d.len());
                prop_assert!(
                    same(&f[..cut], p),
                    "{} line {}: prefix of {} bars differs",
                    indicator.name,
                    line,
                    cut
                );
            }
        }
    }

    #[test]
    fn leading_nans_do_not_leak_either((d, cut) in bars_and_cut(), k in 0usize..20) {
        let padded = d.with_leading_nans(k);
        let prefix = padded.prefix(cut + k);
        for indicator in common::all() {
            let full = (indicator.run)(&padded);
            let part = (indicator.run)(&prefix);
            for (line, (f, p)) in full.iter().zip(&part).enumerate() {
                prop_assert!(same(&f[..cut + k], p), "{} line {}", indicator.name, line);
            }
        }
    }
}
