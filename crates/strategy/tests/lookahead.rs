//! No look-ahead, by property: appending future bars never changes any earlier output or
//! signal, for every block in the catalogue, in the base context and through a higher
//! timeframe.

mod common;

use bb_domain::Candles;
use bb_strategy::catalogue::{self, BlockKind, PortType};
use bb_strategy::{
    CompileOptions, Edge, Node, PortRef, Series, StrategyDocument, compile, validate,
};
use proptest::prelude::*;

/// A document with every computing block twice: once used on base bars and once fed into a
/// 4-hour higher-timeframe block, all wired to prices or a simple condition.
fn every_block() -> StrategyDocument {
    let mut nodes = vec![
        node("close", "candle_field"),
        node("open", "candle_field"),
        node("cond", "greater_than"),
    ];
    nodes[1]
        .params
        .insert("field".into(), serde_json::json!("open"));
    let mut edges = vec![
        edge("close", "out", "cond", "a"),
        edge("open", "out", "cond", "b"),
    ];
    let mut conditions = Vec::new();
    for spec in catalogue::blocks() {
        let k = spec.kind;
        if k.is_action()
            || k.is_risk()
            || matches!(k, BlockKind::HigherTimeframe | BlockKind::CandleField)
        {
            continue;
        }
        for copy in ["base", "htf"] {
            let id = format!("{}_{copy}", k.as_str());
            nodes.push(node(&id, k.as_str()));
            for port in spec.inputs {
                let from = if port.ty == PortType::Boolean {
                    "cond"
                } else {
                    "close"
                };
                edges.push(edge(from, "out", &id, port.name));
            }
            let Some(out) = spec.outputs.first() else {
                continue;
            };
            match (copy, out.ty) {
                ("htf", PortType::Number) => {
                    let h = format!("{id}_4h");
                    let mut n = node(&h, "higher_timeframe");
                    n.params.insert("timeframe".into(), serde_json::json!("4h"));
                    nodes.push(n);
                    edges.push(edge(&id, out.name, &h, "in"));
                    let c = format!("{h}_above");
                    nodes.push(node(&c, "greater_than"));
                    edges.push(edge("close", "out", &c, "a"));
                    edges.push(edge(&h, "out", &c, "b"));
                    conditions.push(c);
                }
                ("base", PortType::Boolean) => conditions.push(id.clone()),
                _ => {}
            }
        }
    }
    // Every condition feeds an action through an OR chain, so every signal depends on all.
    let mut acc = "cond".to_string();
    for (i, c) in conditions.iter().enumerate() {
        let id = format!("or_{i}");
        nodes.push(node(&id, "or"));
        edges.push(edge(&acc, "out", &id, "a"));
        edges.push(edge(c, "out", &id, "b"));
        acc = id;
    }
    nodes.push(node("buy", "enter_long"));
    nodes.push(node("sell", "exit_long"));
    edges.push(edge(&acc, "out", "buy", "when"));
    edges.push(edge("cond", "out", "sell", "when"));
    nodes.push(node("short", "enter_short"));
    nodes.push(node("cover", "exit_short"));
    edges.push(edge("cond", "out", "short", "when"));
    edges.push(edge(&acc, "out", "cover", "when"));
    StrategyDocument {
        schema_version: bb_strategy::SCHEMA_VERSION,
        name: "every block".into(),
        description: String::new(),
        nodes,
        edges,
    }
}

fn node(id: &str, kind: &str) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        params: Default::default(),
        position: Default::default(),
        label: None,
    }
}

fn edge(from: &str, from_port: &str, to: &str, to_port: &str) -> Edge {
    Edge {
        from: PortRef::new(from, from_port),
        to: PortRef::new(to, to_port),
    }
}

/// Hourly candles from a random walk, with some bars missing.
fn candles() -> impl Strategy<Value = Candles> {
    (
        prop::collection::vec(
            (
                -0.03f64..0.03,
                0.0f64..0.02,
                0.0f64..0.02,
                1.0f64..100.0,
                0u8..20,
            ),
            150..400,
        ),
        0i64..24,
    )
        .prop_map(|(steps, offset_hours)| {
            let mut c = Candles::default();
            let (mut price, mut ts) = (100.0f64, 1_640_995_200_000 + offset_hours * 3_600_000);
            for (ret, up, down, volume, gap) in steps {
                let open = price;
                price *= 1.0 + ret;
                let (high, low) = (open.max(price) * (1.0 + up), open.min(price) * (1.0 - down));
                c.push(ts, open, high, low, price, volume);
                ts += if gap == 0 { 3 * 3_600_000 } else { 3_600_000 };
            }
            c
        })
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn appending_bars_never_changes_the_past(full in candles(), cut in 0.2f64..0.95) {
        let doc = every_block();
        let validated = validate(&doc);
        prop_assert!(!validated.has_errors(), "{:#?}", validated.diagnostics);
        let options = CompileOptions { base_timeframe: Some(bb_domain::Timeframe::HOUR), bar_count: None };
        let plan = compile(&validated, &options).unwrap();
        let k = ((full.len() as f64) * cut) as usize;
        let prefix = full.prefix(k);
        let (a, b) = (plan.evaluate_all(&prefix).unwrap(), plan.evaluate_all(&full).unwrap());
        prop_assert_eq!(&a.signals.enter_long[..], &b.signals.enter_long[..k]);
        prop_assert_eq!(&a.signals.exit_long[..], &b.signals.exit_long[..k]);
        prop_assert_eq!(&a.signals.enter_short[..], &b.signals.enter_short[..k]);
        prop_assert_eq!(&a.signals.exit_short[..], &b.signals.exit_short[..k]);
        for (step_index, (pa, pb)) in a.outputs.iter().zip(&b.outputs).enumerate() {
            let (Some(pa), Some(pb)) = (pa, pb) else { prop_assert!(false, "step {} not kept", step_index); continue };
            for (sa, sb) in pa.iter().zip(pb.iter()) {
                match (sa, sb) {
                    (Series::Number(x), Series::Number(y)) => {
                        for i in 0..x.len() {
                            prop_assert!(same(x[i], y[i]), "step {} ({:?}) bar {}: {} then {}", step_index, plan.steps[step_index].op, i, x[i], y[i]);
                        }
                    }
                    (Series::Boolean(x), Series::Boolean(y)) => prop_assert_eq!(&x[..], &y[..x.len()]),
                    _ => prop_assert!(false, "series kinds differ"),
                }
            }
        }
    }
}

#[test]
fn every_block_document_uses_every_computing_kind() {
    let doc = every_block();
    for &kind in BlockKind::ALL {
        if !kind.is_risk() {
            assert!(
                doc.nodes.iter().any(|n| n.kind == kind.as_str()),
                "{kind} missing"
            );
        }
    }
}
