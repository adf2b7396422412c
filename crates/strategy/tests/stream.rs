//! Streaming evaluation equals batch evaluation, bit for bit: every step's outputs on every
//! bar (NaN where batch has NaN), the four signals and the ATRs, for every block of the
//! catalogue (in the base context and through a 4-hour context), on random candles with
//! gaps, flat stretches, tiny and huge prices; and for the starters on the demo data.

mod common;

use bb_domain::{Candles, Timeframe};
use bb_strategy::catalogue::{self, BlockKind, PortType};
use bb_strategy::{
    CompileOptions, Context, Edge, Evaluation, Node, Plan, PortRef, Series, StrategyDocument,
    StreamError, Value, compile, validate,
};
use proptest::prelude::*;

fn every_block(gappy: bool) -> StrategyDocument {
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
    // The series every numeric input reads: the close, or one with values missing in the
    // middle (close / (close - open), no value on a flat bar).
    let source = if gappy {
        nodes.push(node("move", "subtract"));
        nodes.push(node("gappy", "divide"));
        edges.push(edge("close", "out", "move", "a"));
        edges.push(edge("open", "out", "move", "b"));
        edges.push(edge("close", "out", "gappy", "a"));
        edges.push(edge("move", "out", "gappy", "b"));
        "gappy"
    } else {
        "close"
    };
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
            for (k, port) in spec.inputs.iter().enumerate() {
                // A second or third number reads the open, so crossings and comparisons
                // see two different series.
                let from = if port.ty == PortType::Boolean {
                    "cond"
                } else if k == 0 {
                    source
                } else {
                    "open"
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

/// Hourly candles from a random walk at some scale, with bars missing and flat stretches.
fn candles() -> impl Strategy<Value = Candles> {
    (
        prop::collection::vec(
            (
                -0.03f64..0.03,
                0.0f64..0.02,
                0.0f64..0.02,
                0.0f64..100.0,
                0u8..20,
            ),
            150..400,
        ),
        0i64..24,
        prop::sample::select(vec![1e-6, 0.01, 100.0, 1e9]),
    )
        .prop_map(|(steps, offset_hours, scale)| {
            let mut c = Candles::default();
            let (mut price, mut ts) = (scale, 1_640_995_200_000 + offset_hours * 3_600_000);
            for (ret, up, down, volume, kind) in steps {
                let open = price;
                let flat = kind == 1 || kind == 2;
                if !flat {
                    price *= 1.0 + ret;
                }
                let (high, low) = if flat {
                    (price, price)
                } else {
                    (open.max(price) * (1.0 + up), open.min(price) * (1.0 - down))
                };
                c.push(
                    ts,
                    open,
                    high,
                    low,
                    price,
                    if kind == 2 { 0.0 } else { volume },
                );
                ts += if kind == 0 { 3 * 3_600_000 } else { 3_600_000 };
            }
            c
        })
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Streams `candles` through `plan` and compares every bar with the batch evaluation.
/// Returns the number of bars compared (fewer than all when the stream refused a value it
/// cannot reproduce, which is then the only acceptable difference).
fn stream_equals_batch(plan: &Plan, candles: &Candles, tf: Timeframe) -> Result<usize, String> {
    let batch: Evaluation = plan.evaluate_all(candles).map_err(|e| e.to_string())?;
    let mut stream = plan.stream(tf).map_err(|e| e.to_string())?;
    for i in 0..candles.len() {
        let out = match stream.push(
            candles.ts[i],
            candles.open[i],
            candles.high[i],
            candles.low[i],
            candles.close[i],
            candles.volume[i],
        ) {
            Ok(out) => out,
            Err(StreamError::Unsupported { .. }) => return Ok(i),
            Err(e) => return Err(e.to_string()),
        };
        let s = &batch.signals;
        let expected = (
            s.enter_long[i],
            s.exit_long[i],
            s.enter_short[i],
            s.exit_short[i],
        );
        let got = (
            out.enter_long,
            out.exit_long,
            out.enter_short,
            out.exit_short,
        );
        if expected != got {
            return Err(format!("bar {i}: signals {got:?}, batch {expected:?}"));
        }
        for ((p, a), (q, b)) in out.atr.iter().zip(&batch.atr) {
            if p != q || !same(*a, b[i]) {
                return Err(format!("bar {i}: ATR({p}) {a}, batch {}", b[i]));
            }
        }
        for (k, step) in plan.steps.iter().enumerate() {
            if step.context != Context::Base {
                continue;
            }
            let (Some(values), Some(Some(series))) = (stream.outputs(k), batch.outputs.get(k))
            else {
                continue;
            };
            for (o, (v, series)) in values.iter().zip(series.iter()).enumerate() {
                let ok = match (v, series) {
                    (Value::Number(x), Series::Number(y)) => same(*x, y[i]),
                    (Value::Boolean(x), Series::Boolean(y)) => *x == y[i],
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "bar {i}: step {k} ({:?}) output {o}: stream {v:?}, batch {series:?}",
                        step.op
                    ));
                }
            }
        }
    }
    Ok(candles.len())
}

fn plan_of(doc: &StrategyDocument) -> Plan {
    let validated = validate(doc);
    assert!(!validated.has_errors(), "{:#?}", validated.diagnostics);
    let options = CompileOptions {
        base_timeframe: Some(Timeframe::HOUR),
        bar_count: None,
    };
    compile(&validated, &options).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_block_streams_exactly(c in candles()) {
        let plan = plan_of(&every_block(false));
        let bars = stream_equals_batch(&plan, &c, Timeframe::HOUR);
        prop_assert_eq!(bars, Ok(c.len()));
    }

    #[test]
    fn every_block_on_a_series_with_missing_values_streams_exactly_or_refuses(c in candles()) {
        let plan = plan_of(&every_block(true));
        let bars = stream_equals_batch(&plan, &c, Timeframe::HOUR);
        prop_assert!(bars.is_ok(), "{:?}", bars);
    }

    #[test]
    fn a_forked_stream_continues_like_the_original(c in candles(), cut in 0.1f64..0.9) {
        let plan = plan_of(&every_block(false));
        let mut a = plan.stream(Timeframe::HOUR).unwrap();
        let k = ((c.len() as f64) * cut) as usize;
        a.warm(&c.prefix(k)).unwrap();
        let mut b = a.clone();
        for i in k..c.len() {
            let x = a.push(c.ts[i], c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
            let y = b.push(c.ts[i], c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
            prop_assert_eq!(x, y);
        }
    }
}

#[test]
fn every_block_document_uses_every_computing_kind() {
    for gappy in [false, true] {
        let doc = every_block(gappy);
        for &kind in BlockKind::ALL {
            if !kind.is_risk() {
                assert!(
                    doc.nodes.iter().any(|n| n.kind == kind.as_str()),
                    "{kind} missing"
                );
            }
        }
    }
}

#[test]
fn starters_stream_exactly_on_the_demo_data() {
    for data in ["yahoo_BTC-USD_1d_2014-2022.csv", "btc-perp_1m_2022-01.csv"] {
        let candles = common::demo_candles(data);
        let tf = candles.timeframe().unwrap();
        for name in common::STARTERS {
            let options = CompileOptions {
                base_timeframe: Some(tf),
                bar_count: Some(candles.len()),
            };
            let plan = compile(&validate(&common::strategy(name)), &options).unwrap();
            let bars = stream_equals_batch(&plan, &candles, tf);
            assert_eq!(bars, Ok(candles.len()), "{name} on {data}");
        }
    }
}

#[test]
fn refused_bars_change_nothing() {
    let plan = plan_of(&every_block(false));
    let c = common::synthetic_candles(50);
    let mut s = plan.stream(Timeframe::HOUR).unwrap();
    s.warm(&c).unwrap();
    let before = s.clone();
    let last = *c.ts.last().unwrap();
    assert!(matches!(
        s.push(last, 1.0, 1.0, 1.0, 1.0, 1.0),
        Err(StreamError::NotIncreasing { .. })
    ));
    assert!(matches!(
        s.push(last + 3_600_000, f64::NAN, 1.0, 1.0, 1.0, 1.0),
        Err(StreamError::NotFinite { .. })
    ));
    assert_eq!(s.bars(), before.bars());
}
