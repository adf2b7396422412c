//! Benchmark: one paper-trading candle as a worker processes it — `PaperEngine::push` and
//! the alert checks — after 1,000 and after 100,000 candles already processed, for two
//! starters on one-minute bars, with the engine keeping a week's window (as the workers run
//! it) and keeping everything. Prints nanoseconds per candle and the candles held in memory;
//! asserts nothing.
//!
//! Run: `cargo bench -p bb-backtest --bench paper_engine`
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use bb_backtest::alerts::{self, AlertConfig};
use bb_backtest::paper::PaperEngine;
use bb_domain::Timeframe;
use bb_simulator::SimConfig;
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Candles pushed (and timed) after the history.
const MEASURED: usize = 20_000;
/// A week of one-minute candles, as the workers keep.
const WEEK: usize = 7 * 24 * 60 + 2;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies");
    let data =
        bb_domain::synthetic::random_walk(100_000 + MEASURED, bb_domain::synthetic::BENCH_SEED);
    let config = AlertConfig {
        max_weekly_loss_pct: Some(15.0),
        no_trade_bars: Some(500),
        max_exposure_pct: Some(90.0),
        ..AlertConfig::defaults()
    };
    println!(
        "PaperEngine::push + alerts::check, mean of {MEASURED} one-minute candles after the history"
    );
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
        for (label, keep) in [("a week's window", Some(WEEK)), ("everything", None)] {
            for history in [1_000, 100_000] {
                let engine =
                    PaperEngine::new(&plan, Timeframe::MINUTE, &SimConfig::default()).unwrap();
                let mut engine = match keep {
                    Some(k) => engine.keep_last(k),
                    None => engine,
                };
                let mut peak = f64::MIN;
                let mut push = |engine: &mut PaperEngine, i: usize| {
                    let step = engine
                        .push(
                            data.ts[i],
                            data.open[i],
                            data.high[i],
                            data.low[i],
                            data.close[i],
                            data.volume[i],
                        )
                        .unwrap();
                    peak = peak.max(step.equity);
                    black_box(alerts::check(&config, engine, Timeframe::MINUTE, peak));
                };
                for i in 0..history {
                    push(&mut engine, i);
                }
                let t = Instant::now();
                for i in history..history + MEASURED {
                    push(&mut engine, i);
                }
                let per = t.elapsed().as_secs_f64() / MEASURED as f64;
                println!(
                    "{name:<30} keeping {label:<15} after {history:>7} candles: {:>7.1} ns per \
                     candle, {:>6} candles in memory",
                    per * 1e9,
                    engine.candles().len()
                );
            }
        }
    }
}
