//! Benchmarks of the backtest engine. Prints numbers; asserts nothing.
//!
//! 1. One SMA-crossover backtest on 1,000,000 one-minute bars: signals + simulation +
//!    metrics, data already in memory.
//! 2. A sweep of fast 5..=50 × slow 20..=200, step 5, fast < slow, on 100,000 bars.
//!
//! Run: `cargo bench -p bb-backtest --bench backtest`
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bb_backtest::sweep::{SweepSpec, sweep};
use bb_backtest::{BacktestConfig, backtest};
use bb_domain::{Candles, Timeframe};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

/// The allocator the `blockbuilders` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn candles(n: usize) -> Candles {
    bb_domain::synthetic::random_walk(n, bb_domain::synthetic::BENCH_SEED)
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies");
    let text = std::fs::read_to_string(root.join("sma_crossover.json")).expect("starter exists");
    let doc = StrategyDocument::from_json(&text).expect("starter parses");
    let config = BacktestConfig::default();

    let big = candles(1_000_000);
    let options = CompileOptions {
        base_timeframe: Some(Timeframe::MINUTE),
        bar_count: Some(big.len()),
    };
    let plan = compile(&validate(&doc), &options).expect("compiles");
    let single = best(15, || {
        backtest("bench", &plan, &big, &config).expect("runs")
    });
    println!(
        "single backtest, SMA crossover, 1,000,000 bars: {:.2} ms (best of 15)",
        single.as_secs_f64() * 1e3
    );
    drop(big);

    let data = candles(100_000);
    let spec = SweepSpec {
        axes: vec![
            "fast.period=5..50:5".parse().expect("axis"),
            "slow.period=20..200:5".parse().expect("axis"),
        ],
        constraints: vec!["fast.period<slow.period".parse().expect("constraint")],
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut combos = 0;
    let took = best(5, || {
        let r = sweep(&doc, &data, &spec, &config, threads, &|_, _| {}).expect("sweep runs");
        combos = r.rows.len();
        r
    });
    println!(
        "sweep, {combos} combinations on 100,000 bars, {threads} threads: {:.3} s, {:.0} combinations/s (best of 5); peak RSS of this process {:.0} MB",
        took.as_secs_f64(),
        combos as f64 / took.as_secs_f64(),
        peak_rss_mb()
    );
}
