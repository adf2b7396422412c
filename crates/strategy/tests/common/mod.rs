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

fn node(id: &str, kind: &str) -> bb_strategy::Node {
    bb_strategy::Node {
        id: id.into(),
        kind: kind.into(),
        params: Default::default(),
        position: Default::default(),
        label: None,
    }
}

fn edge(from: &str, from_port: &str, to: &str, to_port: &str) -> bb_strategy::Edge {
    bb_strategy::Edge {
        from: bb_strategy::PortRef::new(from, from_port),
        to: bb_strategy::PortRef::new(to, to_port),
    }
}

/// The deep-graph reproduction: the close feeds a chain of `blocks` one-input blocks of
/// `kind` (`b0` … `b{n-1}`, each reading the previous; an SMA's period is 2), and "close
/// above the last one" drives a buy (`entry`). `blocks + 3` blocks, `blocks + 3` deep.
pub fn chain(kind: &str, blocks: usize) -> StrategyDocument {
    let mut nodes = vec![node("close", "candle_field")];
    let mut edges = Vec::new();
    let mut previous = "close".to_string();
    for i in 0..blocks {
        let id = format!("b{i}");
        let mut n = node(&id, kind);
        if kind == "sma" {
            n.params.insert("period".into(), serde_json::json!(2));
        }
        nodes.push(n);
        edges.push(edge(&previous, "out", &id, "in"));
        previous = id;
    }
    nodes.push(node("above", "greater_than"));
    edges.push(edge("close", "out", "above", "a"));
    edges.push(edge(&previous, "out", "above", "b"));
    nodes.push(node("entry", "enter_long"));
    edges.push(edge("above", "out", "entry", "when"));
    StrategyDocument {
        schema_version: bb_strategy::SCHEMA_VERSION,
        name: format!("{blocks} {kind} blocks in a row"),
        description: String::new(),
        nodes,
        edges,
    }
}

/// A chain of `blocks` SMAs where SMA `i` is compared with SMA `blocks - 1 - i` and every
/// comparison is OR-ed into the buy: all the chain's outputs are alive at once.
pub fn mirrored_chain(blocks: usize) -> StrategyDocument {
    let mut doc = chain("sma", blocks);
    doc.nodes.retain(|n| n.id != "above" && n.id != "entry");
    doc.edges
        .retain(|e| e.to.node != "above" && e.to.node != "entry");
    let mut acc: Option<String> = None;
    for i in 0..blocks / 2 {
        let c = format!("c{i}");
        doc.nodes.push(node(&c, "greater_than"));
        doc.edges.push(edge(&format!("b{i}"), "out", &c, "a"));
        doc.edges
            .push(edge(&format!("b{}", blocks - 1 - i), "out", &c, "b"));
        acc = Some(match acc {
            None => c,
            Some(prev) => {
                let or = format!("or{i}");
                doc.nodes.push(node(&or, "or"));
                doc.edges.push(edge(&prev, "out", &or, "a"));
                doc.edges.push(edge(&c, "out", &or, "b"));
                or
            }
        });
    }
    doc.nodes.push(node("entry", "enter_long"));
    doc.edges
        .push(edge(&acc.unwrap_or_default(), "out", "entry", "when"));
    doc
}

/// `bars` hourly candles of a deterministic zig-zag walk.
pub fn synthetic_candles(bars: usize) -> Candles {
    let mut c = Candles::default();
    let mut price = 100.0f64;
    for i in 0..bars {
        let open = price;
        price *= 1.0 + 0.01 * (((i * 7919) % 13) as f64 - 6.0) / 6.0;
        let (high, low) = (open.max(price) * 1.002, open.min(price) * 0.998);
        c.push(
            1_640_995_200_000 + i as i64 * 3_600_000,
            open,
            high,
            low,
            price,
            1.0 + (i % 10) as f64,
        );
    }
    c
}
