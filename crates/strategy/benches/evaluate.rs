//! Benchmark: compile time and signal-evaluation throughput of the SMA-crossover and MACD
//! starter strategies on 1,000,000 one-minute bars. Prints numbers; asserts nothing.
//!
//! Run: `cargo bench -p bb-strategy --bench evaluate`
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bb_domain::{Candles, Timeframe};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

/// The allocator the `blockbuilders` binary uses; it keeps freed pages for reuse.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BARS: usize = 1_000_000;
const RUNS: usize = 15;

fn candles(n: usize) -> Candles {
    bb_domain::synthetic::random_walk(n, bb_domain::synthetic::BENCH_SEED)
}

fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies");
    let data = candles(BARS);
    println!("signal evaluation on {BARS} one-minute bars (best of {RUNS} runs)");
    for name in ["sma_crossover.json", "macd_trend_atr_trailing.json"] {
        let text = std::fs::read_to_string(root.join(name)).expect("starter exists");
        let options = CompileOptions {
            base_timeframe: Some(Timeframe::MINUTE),
            bar_count: Some(BARS),
        };
        let compile_time = best(|| {
            compile(
                &validate(&StrategyDocument::from_json(&text).unwrap()),
                &options,
            )
            .unwrap()
        });
        let plan = compile(
            &validate(&StrategyDocument::from_json(&text).unwrap()),
            &options,
        )
        .unwrap();
        let eval = best(|| plan.evaluate(&data).unwrap());
        println!(
            "{name:<32} parse+validate+compile {:>8.1} µs   evaluate {:>7.2} ms   {:>6.0} M bars/s   ({} steps)",
            compile_time.as_secs_f64() * 1e6,
            eval.as_secs_f64() * 1e3,
            BARS as f64 / eval.as_secs_f64() / 1e6,
            plan.steps.len()
        );
    }
}
