//! Shared helpers for the strategy language's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use bb_domain::Candles;
use bb_strategy::StrategyDocument;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn demo_candles(file: &str) -> Candles {
    bb_data::read_candles(&repo_root().join("data/demo").join(file)).expect("demo data loads")
}

pub fn strategy_text(relative: &str) -> String {
    std::fs::read_to_string(repo_root().join("strategies").join(relative))
        .expect("strategy file exists")
}

pub fn strategy(relative: &str) -> StrategyDocument {
    StrategyDocument::from_json(&strategy_text(relative)).expect("strategy parses")
}

pub const STARTERS: &[&str] = &[
    "sma_crossover.json",
    "rsi_mean_reversion.json",
    "bollinger_breakout.json",
    "macd_trend_atr_trailing.json",
    "donchian_turtle.json",
];
