//! The random-entry baseline: random timing is not significant, perfect timing is.

mod common;

use bb_domain::Side;
use bb_robustness::{HeldTrade, RandomBaselineError, random_entry_baseline};
use common::Gauss;

/// Trades at random times, one per segment of 25 bars, held 1 to 10 bars.
fn random_trades(g: &mut Gauss, bars: usize) -> Vec<HeldTrade> {
    (0..bars / 25 - 1)
        .map(|s| {
            let len = 1 + (g.unit() * 10.0) as usize;
            let entry = s * 25 + (g.unit() * (25 - len) as f64) as usize;
            HeldTrade {
                entry_bar: entry,
                exit_bar: entry + len,
                side: Side::Long,
                fills: None,
            }
        })
        .collect()
}

#[test]
fn random_timing_is_not_significant() {
    let mut g = Gauss::new(5);
    let mut price = 100.0;
    let opens: Vec<f64> = (0..1000)
        .map(|_| {
            price *= 1.0 + 0.01 * g.normal();
            price
        })
        .collect();
    let p_values: Vec<f64> = (0..20)
        .map(|k| {
            let trades = random_trades(&mut g, opens.len());
            random_entry_baseline(&opens, &trades, 0.1, 5.0, 400, k)
                .unwrap()
                .p_value
        })
        .collect();
    let mean = p_values.iter().sum::<f64>() / 20.0;
    // Under the null the p-values are uniform: mean 0.5 (sd of the mean ≈ 0.065).
    assert!((0.25..=0.75).contains(&mean), "{p_values:?}");
    assert!(
        p_values.iter().filter(|&&p| p < 0.05).count() <= 4,
        "{p_values:?}"
    );
}

#[test]
fn buying_before_every_rise_is_significant() {
    // A zigzag 100, 110, 100, 110, ...: the strategy buys every 100 and sells at 110.
    let opens: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 100.0 } else { 110.0 })
        .collect();
    let trades: Vec<HeldTrade> = (0..40)
        .map(|k| HeldTrade {
            entry_bar: 4 * k,
            exit_bar: 4 * k + 1,
            side: Side::Long,
            fills: None,
        })
        .collect();
    let runs = 999;
    let b = random_entry_baseline(&opens, &trades, 0.0, 0.0, runs, 9).unwrap();
    assert!((b.strategy_return - (1.1f64.powi(40) - 1.0)).abs() < 1e-9);
    // A random placement wins all 40 only with probability 2^-40.
    assert_eq!(b.p_value, 1.0 / (runs + 1) as f64);
    assert!(b.random_return.p95 < b.strategy_return);
    assert_eq!((b.runs, b.seed, b.trades), (999, 9, 40));
    assert!((b.exposure - 40.0 / 199.0).abs() < 1e-15);
    // Shorting the same moves is the worst timing: every random placement does better.
    let shorts: Vec<HeldTrade> = trades
        .iter()
        .map(|t| HeldTrade {
            side: Side::Short,
            ..*t
        })
        .collect();
    let s = random_entry_baseline(&opens, &shorts, 0.0, 0.0, runs, 9).unwrap();
    assert_eq!(s.p_value, 1.0);
    // Reproducible.
    assert_eq!(
        b,
        random_entry_baseline(&opens, &trades, 0.0, 0.0, runs, 9).unwrap()
    );
}

#[test]
fn costs_lower_every_return() {
    let opens: Vec<f64> = (0..50).map(|i| 100.0 + i as f64).collect();
    let trades = [HeldTrade {
        entry_bar: 2,
        exit_bar: 10,
        side: Side::Long,
        fills: None,
    }];
    let free = random_entry_baseline(&opens, &trades, 0.0, 0.0, 50, 1).unwrap();
    let paid = random_entry_baseline(&opens, &trades, 0.1, 10.0, 50, 1).unwrap();
    assert!(paid.strategy_return < free.strategy_return);
    assert!(paid.random_return.max < free.random_return.max);
}

#[test]
fn a_trade_closed_within_its_entry_bar_costs_its_fees_and_slippage() {
    // a stop hit on the entry bar: entry and exit on one bar, no price change in the model
    let opens: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
    let t = |entry_bar, exit_bar| HeldTrade {
        entry_bar,
        exit_bar,
        side: Side::Long,
        fills: None,
    };
    let trades = [t(3, 3), t(5, 12), t(20, 20)];
    let b = random_entry_baseline(&opens, &trades, 0.1, 5.0, 200, 7).unwrap();
    let slip = 5.0 / 1e4;
    let costs_only = (1.0 - 0.001f64).powi(2) * (1.0 - slip) / (1.0 + slip);
    let held = (1.0 - 0.001f64).powi(2) * opens[12] * (1.0 - slip) / (opens[5] * (1.0 + slip));
    assert!((b.strategy_return - (costs_only * costs_only * held - 1.0)).abs() < 1e-12);
    assert_eq!(b.exposure, 7.0 / 39.0);
    assert_eq!((b.trades, b.runs), (3, 200));
    // without costs a trade within one bar changes nothing
    let free = random_entry_baseline(&opens, &trades, 0.0, 0.0, 200, 7).unwrap();
    assert!((free.strategy_return - (opens[12] / opens[5] - 1.0)).abs() < 1e-12);
}

#[test]
fn the_strategy_is_valued_at_its_own_fills() {
    // The opens rise 10 → 20, but a stop sold at 9 after the bar opened: the strategy lost.
    let opens: Vec<f64> = (0..30).map(|i| 10.0 + i as f64).collect();
    let stopped = HeldTrade {
        entry_bar: 0,
        exit_bar: 10,
        side: Side::Long,
        fills: Some((10.0, 9.0)),
    };
    let b = random_entry_baseline(&opens, &[stopped], 0.0, 0.0, 100, 1).unwrap();
    assert!((b.strategy_return - (-0.1)).abs() < 1e-15);
    // every random placement of a 10-bar long trade gains on rising opens
    assert!(b.random_return.min > 0.0);
    assert_eq!(b.p_value, 1.0);
    let at_opens = HeldTrade {
        fills: None,
        ..stopped
    };
    let b = random_entry_baseline(&opens, &[at_opens], 0.0, 0.0, 100, 1).unwrap();
    assert!((b.strategy_return - 1.0).abs() < 1e-15);
    let short = HeldTrade {
        side: Side::Short,
        ..stopped
    };
    let b = random_entry_baseline(&opens, &[short], 0.0, 0.0, 100, 1).unwrap();
    assert!((b.strategy_return - 0.1).abs() < 1e-15);
}

#[test]
fn bad_inputs_are_named() {
    let opens = [100.0, 101.0, 102.0];
    let t = |entry_bar, exit_bar| HeldTrade {
        entry_bar,
        exit_bar,
        side: Side::Long,
        fills: None,
    };
    assert_eq!(
        random_entry_baseline(&opens, &[], 0.0, 0.0, 10, 0),
        Err(RandomBaselineError::NoTrades)
    );
    assert_eq!(
        random_entry_baseline(&opens, &[t(0, 1)], 0.0, 0.0, 0, 0),
        Err(RandomBaselineError::NoRuns)
    );
    assert_eq!(
        random_entry_baseline(&opens, &[t(2, 1)], 0.0, 0.0, 10, 0),
        Err(RandomBaselineError::Trade { index: 0, bars: 3 })
    );
    assert_eq!(
        random_entry_baseline(&opens, &[t(0, 3)], 0.0, 0.0, 10, 0),
        Err(RandomBaselineError::Trade { index: 0, bars: 3 })
    );
    assert_eq!(
        random_entry_baseline(&[100.0, 0.0], &[t(0, 1)], 0.0, 0.0, 10, 0),
        Err(RandomBaselineError::Price { index: 1 })
    );
    let unpriced = HeldTrade {
        fills: Some((100.0, f64::NAN)),
        ..t(0, 1)
    };
    assert_eq!(
        random_entry_baseline(&opens, &[t(0, 1), unpriced], 0.0, 0.0, 10, 0),
        Err(RandomBaselineError::Fill { index: 1 })
    );
    assert_eq!(
        random_entry_baseline(&opens, &[t(0, 1)], -1.0, 0.0, 10, 0),
        Err(RandomBaselineError::Costs)
    );
}
