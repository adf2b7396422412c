//! Benchmark: cost of one `PlanStream::push` after 1,000 and after 100,000 bars of history,
//! for two starters. The cost does not depend on the history's length. Prints numbers;
//! asserts nothing.
//!
//! Run: `cargo bench -p bb-strategy --bench stream`
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use bb_domain::Timeframe;
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bars pushed (and timed) after the history.
const MEASURED: usize = 20_000;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies");
    let data =
        bb_domain::synthetic::random_walk(100_000 + MEASURED, bb_domain::synthetic::BENCH_SEED);
    println!("PlanStream::push, mean of {MEASURED} bars after the history (one-minute bars)");
    for name in ["sma_crossover.json", "macd_trend_atr_trailing.json"] {
        let text = std::fs::read_to_string(root.join(name)).expect("starter exists");
        let options = CompileOptions {
            base_timeframe: Some(Timeframe::MINUTE),
            bar_count: None,
        };
        let plan = compile(
            &validate(&StrategyDocument::from_json(&text).unwrap()),
            &options,
        )
        .unwrap();
        for history in [1_000, 100_000] {
            let mut stream = plan.stream(Timeframe::MINUTE).unwrap();
            stream.warm(&data.prefix(history)).unwrap();
            let t = Instant::now();
            for i in history..history + MEASURED {
                black_box(
                    stream
                        .push(
                            data.ts[i],
                            data.open[i],
                            data.high[i],
                            data.low[i],
                            data.close[i],
                            data.volume[i],
                        )
                        .unwrap(),
                );
            }
            let per_bar = t.elapsed().as_secs_f64() / MEASURED as f64;
            println!(
                "{name:<32} after {history:>7} bars: {:>8.1} ns per bar ({} steps)",
                per_bar * 1e9,
                plan.steps.len()
            );
        }
    }
}
