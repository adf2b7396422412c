//! Monte Carlo: reshuffling keeps final equity on every path, runs are reproducible, and
//! the bootstraps agree with an independent numpy computation
//! (`tools/gen_robustness_fixtures.py`) within sampling error.
//!
//! Tolerances: 4.5 standard errors of the difference of two independent estimates
//! (`√(1/N_rust + 1/N_numpy)` times the statistic's standard deviation). A percentile is
//! checked in probability: numpy's CDF at the Rust percentile (interpolated on numpy's
//! percentile grid, steps of 0.5%, plus 0.25% for the interpolation) must lie within
//! 4.5·√(p(1 − p)(1/N_rust + 1/N_numpy)) of p.

use bb_robustness::{
    MonteCarloError, Resampling, block_bootstrap_bars, bootstrap_trades, reshuffle_trades,
};
use proptest::prelude::*;
use serde_json::Value;

const Z: f64 = 4.5;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../testdata/robustness/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

proptest! {
    #[test]
    fn reshuffling_keeps_final_equity_on_every_path(
        returns in prop::collection::vec(-0.5f64..0.5, 1..60),
        seed in any::<u64>(),
    ) {
        let mc = reshuffle_trades(&returns, 1000.0, 25, seed).unwrap();
        let e = mc.original_final_equity;
        prop_assert_eq!(mc.final_equity.min, e);
        prop_assert_eq!(mc.final_equity.max, e);
        let direct = returns.iter().fold(1000.0, |eq, r| eq * (1.0 + r));
        prop_assert!((e - direct).abs() <= 1e-12 * direct.abs().max(1.0));
    }
}

#[test]
fn reshuffling_varies_drawdowns_and_is_reproducible() {
    let trades = floats(&load("trades.json"));
    let a = reshuffle_trades(&trades, 10_000.0, 2000, 42).unwrap();
    assert_eq!(a.method, Resampling::ReshuffleTrades);
    assert_eq!((a.runs, a.seed, a.samples), (2000, 42, 120));
    assert!(a.max_drawdown.min < a.max_drawdown.max);
    assert_eq!(a.final_equity.min, a.final_equity.max);
    assert!((0.0..=100.0).contains(&a.original_drawdown_percentile));
    assert_eq!(a, reshuffle_trades(&trades, 10_000.0, 2000, 42).unwrap());
    assert_ne!(a, reshuffle_trades(&trades, 10_000.0, 2000, 43).unwrap());
    let b = bootstrap_trades(&trades, 10_000.0, 1, 42).unwrap();
    let c = bootstrap_trades(&trades, 10_000.0, 1, 42).unwrap();
    assert_eq!(b, c);
}

#[test]
fn a_worse_than_usual_order_has_a_high_percentile() {
    // All losses first: the deepest possible drawdown, so no shuffle is worse.
    let mut returns = vec![-0.05; 10];
    returns.extend([0.06; 10]);
    let mc = reshuffle_trades(&returns, 100.0, 500, 1).unwrap();
    assert!(
        mc.original_drawdown_percentile > 99.0,
        "{}",
        mc.original_drawdown_percentile
    );
    assert!((mc.original_max_drawdown - (1.0 - 0.95f64.powi(10))).abs() < 1e-12);
}

fn cdf_on_grid(grid: &[f64], percentiles: &[f64], x: f64) -> f64 {
    if x <= percentiles[0] {
        return grid[0] / 100.0;
    }
    for i in 1..percentiles.len() {
        if x <= percentiles[i] {
            let w = (x - percentiles[i - 1]) / (percentiles[i] - percentiles[i - 1]);
            return (grid[i - 1] + w * (grid[i] - grid[i - 1])) / 100.0;
        }
    }
    grid[grid.len() - 1] / 100.0
}

fn check_distribution(
    name: &str,
    got: &bb_robustness::Distribution,
    reference: &Value,
    grid: &[f64],
    n_rust: f64,
    n_numpy: f64,
) {
    let inv = (1.0 / n_rust + 1.0 / n_numpy).sqrt();
    let mean = reference["mean"].as_f64().unwrap();
    let std = reference["std"].as_f64().unwrap();
    assert!(
        (got.mean - mean).abs() <= Z * std * inv,
        "{name} mean {} vs numpy {mean} (tolerance {})",
        got.mean,
        Z * std * inv
    );
    let percentiles = floats(&reference["percentiles"]);
    for (p, value) in [(0.05f64, got.p5), (0.5, got.p50), (0.95, got.p95)] {
        let f = cdf_on_grid(grid, &percentiles, value);
        let tol = Z * (p * (1.0 - p)).sqrt() * inv + 0.0025;
        assert!(
            (f - p).abs() <= tol,
            "{name} p{}: numpy's CDF at {value} is {f} (tolerance {tol})",
            p * 100.0
        );
    }
}

#[test]
fn trade_bootstrap_matches_numpy() {
    let trades = floats(&load("trades.json"));
    let reference = load("bootstrap_reference.json");
    let grid = floats(&reference["percentile_grid"]);
    let t = &reference["trade_bootstrap"];
    let n_numpy = t["draws"].as_f64().unwrap();
    let runs = 20_000;
    let mc = bootstrap_trades(&trades, 10_000.0, runs, 2026).unwrap();
    assert_eq!(mc.method, Resampling::BootstrapTrades);
    check_distribution(
        "final equity",
        &mc.final_equity,
        &t["final_equity"],
        &grid,
        runs as f64,
        n_numpy,
    );
    check_distribution(
        "max drawdown",
        &mc.max_drawdown,
        &t["max_drawdown"],
        &grid,
        runs as f64,
        n_numpy,
    );
    let p = t["loss_10_probability"].as_f64().unwrap();
    let got = mc
        .loss_probabilities
        .iter()
        .find(|l| l.loss_pct == 10.0)
        .unwrap()
        .probability;
    let tol = Z * (p * (1.0 - p) * (1.0 / runs as f64 + 1.0 / n_numpy)).sqrt();
    assert!(
        (got - p).abs() <= tol,
        "P(loss > 10%) {got} vs numpy {p} (tolerance {tol})"
    );
    let losses: Vec<f64> = mc.loss_probabilities.iter().map(|l| l.loss_pct).collect();
    assert_eq!(losses, [10.0, 25.0, 50.0]);
}

#[test]
fn stationary_bar_bootstrap_matches_numpy() {
    let bars = floats(&load("bars.json"));
    let reference = load("bootstrap_reference.json");
    let b = &reference["bar_bootstrap"];
    let runs = 5_000;
    let block = b["block_len"].as_u64().unwrap() as usize;
    let mc = block_bootstrap_bars(&bars, 10_000.0, Some(block), runs, 7).unwrap();
    assert_eq!(
        (mc.method, mc.block_len, mc.samples),
        (Resampling::StationaryBootstrapBars, Some(8), 500)
    );
    let mean = b["final_equity_mean"].as_f64().unwrap();
    let std = b["final_equity_std"].as_f64().unwrap();
    let tol = Z * std * (1.0 / runs as f64 + 1.0 / b["draws"].as_f64().unwrap()).sqrt();
    assert!(
        (mc.final_equity.mean - mean).abs() <= tol,
        "{} vs {mean} (tolerance {tol})",
        mc.final_equity.mean
    );
    // The default block length is round(500^(1/3)) = 8.
    let default = block_bootstrap_bars(&bars, 10_000.0, None, 10, 7).unwrap();
    assert_eq!(default.block_len, Some(8));
}

#[test]
fn bad_inputs_are_named() {
    assert_eq!(
        reshuffle_trades(&[], 1.0, 10, 0),
        Err(MonteCarloError::NoReturns)
    );
    assert_eq!(
        bootstrap_trades(&[0.1], 1.0, 0, 0),
        Err(MonteCarloError::NoRuns)
    );
    assert_eq!(
        bootstrap_trades(&[0.1], 0.0, 1, 0),
        Err(MonteCarloError::Capital(0.0))
    );
    assert_eq!(
        reshuffle_trades(&[0.1, f64::NAN], 1.0, 1, 0),
        Err(MonteCarloError::NonFinite { index: 1 })
    );
    assert_eq!(
        block_bootstrap_bars(&[0.1], 1.0, Some(0), 1, 0),
        Err(MonteCarloError::BlockLen)
    );
}

#[test]
fn ruin_ends_the_path() {
    let mc = bootstrap_trades(&[0.1, -1.0], 100.0, 200, 3).unwrap();
    assert_eq!(mc.original_final_equity, 0.0);
    assert_eq!(mc.max_drawdown.max, 1.0);
    // P(no ruin in 2 draws) = 1/4: the others lose everything.
    let lose_half = mc.loss_probabilities[2].probability;
    assert!((lose_half - 0.75).abs() < 0.12, "{lose_half}");
}
