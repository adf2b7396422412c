//! Parity with an independent engine: vectorbt 1.2 (`Portfolio.from_signals`) replaying our
//! signals must produce the same trades as bb-simulator with `SimConfig::default()`.
//!
//! The fixtures in `testdata/vectorbt/` are made by `tools/gen_vectorbt_parity.py` (see its
//! header and each fixture's `conventions`). Every expected number comes from a fixture; this
//! file only knows which fixtures exist and the tolerance.
//!
//! Compared per trade: side, entry and exit bar index (and their times), whether it was
//! closed at the end of data, entry and exit fill prices and quantity (relative 1e-9), fees
//! (relative 1e-9) and pnl (within 1e-9 × entry notional, since a pnl can be near zero).
//! Then the trade count and the final equity (relative 1e-9).
//!
//! `cargo test -p bb-backtest --test parity -- --nocapture` prints, per case, the number of
//! trades compared and the largest relative difference seen.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};

use bb_domain::{ExitReason, Side, Trade};
use bb_simulator::{SimConfig, SimInput, simulate};
use bb_strategy::CompileOptions;
use serde::Deserialize;

const TOLERANCE: f64 = 1e-9;

const CASES: &[&str] = &[
    "sma_crossover_1d",
    "bollinger_breakout_1d",
    "sma_crossover_1m",
    "sma_long_short_1d",
];

#[derive(Debug, Deserialize)]
struct Fixture {
    strategy: String,
    data: String,
    bars: usize,
    initial_capital: f64,
    final_equity: f64,
    trades: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    side: String,
    entry_index: usize,
    entry_time: String,
    exit_index: usize,
    exit_time: String,
    end_of_data: bool,
    size: f64,
    entry_price: f64,
    exit_price: f64,
    fees: f64,
    pnl: f64,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_dir() -> PathBuf {
    root().join("testdata/vectorbt")
}

fn rel_diff(ours: f64, theirs: f64) -> f64 {
    if ours == theirs {
        0.0
    } else {
        (ours - theirs).abs() / ours.abs().max(theirs.abs())
    }
}

/// What the comparison of one case saw.
#[derive(Debug, Default)]
struct Seen {
    trades: usize,
    max_rel: f64,
}

/// Compares one trade; returns the largest relative difference or what differs.
fn compare_trade(ours: &Trade, theirs: &Expected, candles_ts: &[i64]) -> Result<f64, String> {
    let side = match ours.side {
        Side::Long => "long",
        Side::Short => "short",
    };
    let mut problems = Vec::new();
    if side != theirs.side {
        problems.push(format!("side: ours {side}, vectorbt {}", theirs.side));
    }
    if ours.entry_index != theirs.entry_index {
        problems.push(format!(
            "entry bar: ours {} ({}), vectorbt {} ({})",
            ours.entry_index,
            bb_data::format_utc(ours.entry_ts),
            theirs.entry_index,
            theirs.entry_time
        ));
    }
    if ours.exit_index != theirs.exit_index {
        problems.push(format!(
            "exit bar: ours {} ({}), vectorbt {} ({})",
            ours.exit_index,
            bb_data::format_utc(ours.exit_ts),
            theirs.exit_index,
            theirs.exit_time
        ));
    }
    // The fixture's times must name the same bars in our reading of the data.
    for (what, index, time) in [
        ("entry", theirs.entry_index, &theirs.entry_time),
        ("exit", theirs.exit_index, &theirs.exit_time),
    ] {
        let ours_time = candles_ts.get(index).map(|&t| bb_data::format_utc(t));
        if ours_time.as_deref() != Some(time.as_str()) {
            problems.push(format!(
                "{what} bar {index} is {ours_time:?} in our data, {time} in the fixture"
            ));
        }
    }
    let ours_eod = ours.exit_reason == ExitReason::EndOfData;
    if ours_eod != theirs.end_of_data {
        problems.push(format!(
            "exit reason: ours {:?}, vectorbt end_of_data = {}",
            ours.exit_reason, theirs.end_of_data
        ));
    }
    let mut max_rel = 0.0f64;
    let notional = ours.entry_price * ours.quantity;
    for (what, a, b, diff) in [
        (
            "quantity",
            ours.quantity,
            theirs.size,
            rel_diff(ours.quantity, theirs.size),
        ),
        (
            "entry price",
            ours.entry_price,
            theirs.entry_price,
            rel_diff(ours.entry_price, theirs.entry_price),
        ),
        (
            "exit price",
            ours.exit_price,
            theirs.exit_price,
            rel_diff(ours.exit_price, theirs.exit_price),
        ),
        (
            "fees",
            ours.fees,
            theirs.fees,
            rel_diff(ours.fees, theirs.fees),
        ),
        (
            "pnl (relative to entry notional)",
            ours.pnl,
            theirs.pnl,
            (ours.pnl - theirs.pnl).abs() / notional.abs(),
        ),
    ] {
        max_rel = max_rel.max(diff);
        // Written so that a NaN difference fails too.
        let within = diff <= TOLERANCE;
        if !within {
            problems.push(format!(
                "{what}: ours {a}, vectorbt {b} (relative difference {diff:.3e})"
            ));
        }
    }
    if problems.is_empty() {
        Ok(max_rel)
    } else {
        Err(problems.join("; "))
    }
}

fn check(case: &str) {
    let path = fixture_dir().join(format!("{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: Fixture =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    let candles = bb_data::read_candles(&root().join(&fixture.data))
        .unwrap_or_else(|e| panic!("{case}: {}: {e}", fixture.data));
    assert_eq!(
        candles.len(),
        fixture.bars,
        "{case}: {} has {} bars, the fixture was made on {}",
        fixture.data,
        candles.len(),
        fixture.bars
    );
    let strategy = std::fs::read_to_string(root().join(&fixture.strategy))
        .unwrap_or_else(|e| panic!("{case}: {}: {e}", fixture.strategy));
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: Some(candles.len()),
    };
    let plan = bb_strategy::load(&strategy, &options)
        .unwrap_or_else(|e| panic!("{case}: {}: {e}", fixture.strategy));
    let evaluation = plan
        .evaluate(&candles)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let config = SimConfig::default();
    assert_eq!(
        config.initial_capital, fixture.initial_capital,
        "{case}: the fixture assumes another starting capital"
    );
    let input = SimInput {
        candles: &candles,
        signals: &evaluation.signals,
        risk: &plan.risk,
        atr: &evaluation.atr,
    };
    let result = simulate(&input, &config);

    let mut seen = Seen::default();
    for (k, (ours, theirs)) in result.trades.iter().zip(&fixture.trades).enumerate() {
        match compare_trade(ours, theirs, &candles.ts) {
            Ok(rel) => seen.max_rel = seen.max_rel.max(rel),
            Err(why) => panic!(
                "{case}: trade {k} (first difference) differs from vectorbt: {why}\n  ours:     {ours:?}\n  vectorbt: {theirs:?}"
            ),
        }
        seen.trades += 1;
    }
    assert_eq!(
        result.trades.len(),
        fixture.trades.len(),
        "{case}: the first {} trades agree, then ours has {} trades and vectorbt {}; next: ours {:?}, vectorbt {:?}",
        seen.trades,
        result.trades.len(),
        fixture.trades.len(),
        result.trades.get(seen.trades),
        fixture.trades.get(seen.trades)
    );
    let equity = *result.equity.last().expect("candles are not empty");
    let diff = rel_diff(equity, fixture.final_equity);
    assert!(
        diff <= TOLERANCE,
        "{case}: final equity: ours {equity}, vectorbt {} (relative difference {diff:.3e})",
        fixture.final_equity
    );
    seen.max_rel = seen.max_rel.max(diff);
    assert!(seen.trades > 0, "{case}: no trades to compare");
    eprintln!(
        "{case}: {} trades match vectorbt; largest relative difference {:.3e}",
        seen.trades, seen.max_rel
    );
}

#[test]
fn sma_crossover_on_daily_btc_matches_vectorbt() {
    check("sma_crossover_1d");
}

#[test]
fn bollinger_breakout_on_daily_btc_matches_vectorbt() {
    check("bollinger_breakout_1d");
}

#[test]
fn sma_crossover_on_one_minute_btc_matches_vectorbt() {
    check("sma_crossover_1m");
}

#[test]
fn sma_long_and_short_on_daily_btc_matches_vectorbt() {
    check("sma_long_short_1d");
}

/// Every fixture in the directory is checked by one of the tests above.
#[test]
fn every_vectorbt_fixture_is_checked() {
    let mut found: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("testdata/vectorbt exists")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json")
                .then(|| Path::new(path.file_stem()?).to_str().map(String::from))
                .flatten()
        })
        .collect();
    found.sort();
    let mut known: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    known.sort();
    assert_eq!(
        found, known,
        "fixtures in testdata/vectorbt vs the cases this test checks"
    );
}
