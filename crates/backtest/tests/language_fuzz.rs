//! A property test over the whole language: random graphs (random blocks from the
//! catalogue, valid and invalid parameters, random wiring including cycles, type mismatches
//! and missing inputs, and deep chains) go through parse → validate (free-plan limits) →
//! compile → evaluate → simulate, and never panic; every plan that compiles fits the
//! evaluation memory budget on its bars. Bounded case counts keep it to seconds.

use bb_backtest::{BacktestConfig, backtest};
use bb_domain::Candles;
use bb_strategy::catalogue::{self, BlockKind, ParamKind, PortType};
use bb_strategy::{
    CompileOptions, EVALUATION_BUDGET_BYTES, Keep, Limits, StrategyDocument, compile, validate_with,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn candles(bars: usize) -> Candles {
    let mut c = Candles::default();
    let mut price = 100.0f64;
    for i in 0..bars {
        let open = price;
        price *= 1.0 + 0.01 * (((i * 7919) % 13) as f64 - 6.0) / 6.0;
        c.push(
            1_640_995_200_000 + i as i64 * 3_600_000,
            open,
            open.max(price) * 1.003,
            open.min(price) * 0.997,
            price,
            1.0 + (i % 10) as f64,
        );
    }
    c
}

/// What to do with one parameter: default (absent), a value in range, or something wrong.
#[derive(Clone, Debug)]
enum ParamChoice {
    Absent,
    InRange(f64),
    OutOfRange,
    WrongType,
}

fn param_choice() -> impl Strategy<Value = ParamChoice> {
    prop_oneof![
        4 => Just(ParamChoice::Absent),
        4 => (0.0f64..1.0).prop_map(ParamChoice::InRange),
        1 => Just(ParamChoice::OutOfRange),
        1 => Just(ParamChoice::WrongType),
    ]
}

fn param_value(kind: &ParamKind, choice: &ParamChoice) -> Option<Value> {
    match (choice, kind) {
        (ParamChoice::Absent, _) => None,
        (ParamChoice::WrongType, _) => Some(json!("not a number")),
        // Keep periods small enough for the bars: a random share of the first 60.
        (ParamChoice::InRange(f), ParamKind::Integer { min, max, .. }) => {
            let top = (*max).min(min + 60);
            Some(json!(min + ((top - min) as f64 * f) as i64))
        }
        (ParamChoice::InRange(f), ParamKind::Number { min, max, .. }) => {
            Some(json!(min + (max.min(min + 100.0) - min) * f))
        }
        (ParamChoice::InRange(f), ParamKind::Choice { options, .. }) => Some(json!(
            options[((options.len() as f64 * f) as usize).min(options.len() - 1)]
        )),
        (ParamChoice::OutOfRange, ParamKind::Integer { max, .. }) => Some(json!(max + 1)),
        (ParamChoice::OutOfRange, ParamKind::Number { max, .. }) => Some(json!(max * 2.0 + 1.0)),
        (ParamChoice::OutOfRange, ParamKind::Choice { .. }) => Some(json!("no such option")),
    }
}

/// A node: its kind, its parameters' choices, and for each input port a wiring choice
/// (`None` leaves it unconnected; `Some(r)` picks a source from `r`).
type NodeGen = (usize, Vec<ParamChoice>, Vec<Option<(f64, f64, bool)>>);

fn node_gen() -> impl Strategy<Value = NodeGen> {
    (
        0..BlockKind::ALL.len(),
        prop::collection::vec(param_choice(), 6),
        prop::collection::vec(
            prop::option::weighted(0.9, (0.0f64..1.0, 0.0f64..1.0, prop::bool::weighted(0.05))),
            3,
        ),
    )
}

/// A random graph as JSON text. Inputs mostly read an earlier node (acyclic), sometimes any
/// node (cycles); the output port is picked among the source's, sometimes of the wrong type.
/// A `clean` graph has only valid parameters, starts with a candle field and connects every
/// input to an earlier output of the right type (when there is one), so most compile.
fn document(nodes: &[NodeGen], entry: bool, clean: bool) -> String {
    let mut out_nodes = Vec::new();
    let mut edges = Vec::new();
    let mut nodes = nodes.to_vec();
    if clean {
        let index = |kind: BlockKind| BlockKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        nodes[0].0 = index(BlockKind::CandleField);
        if nodes.len() > 1 {
            nodes[1].0 = index(BlockKind::GreaterThan);
        }
        // One block of each risk kind at most.
        let mut seen = Vec::new();
        for node in &mut nodes {
            let kind = BlockKind::ALL[node.0];
            if kind.is_risk() && seen.contains(&kind) {
                node.0 = index(BlockKind::Constant);
            }
            seen.push(kind);
        }
        for (_, params, wiring) in &mut nodes {
            for p in params.iter_mut() {
                if matches!(p, ParamChoice::OutOfRange | ParamChoice::WrongType) {
                    *p = ParamChoice::Absent;
                }
            }
            for w in wiring.iter_mut() {
                let (which, out, _) = w.unwrap_or((0.5, 0.5, false));
                *w = Some((which, out.min(0.89), false));
            }
        }
    }
    let nodes = &nodes[..];
    for (i, (k, params, wiring)) in nodes.iter().enumerate() {
        let kind = BlockKind::ALL[*k];
        let spec = catalogue::spec(kind);
        let mut p = serde_json::Map::new();
        for (param, choice) in spec.params.iter().zip(params) {
            if let Some(v) = param_value(&param.kind, choice) {
                p.insert(param.name.into(), v);
            }
        }
        out_nodes.push(json!({"id": format!("n{i}"), "kind": kind.as_str(), "params": p}));
        for (port, wire) in spec.inputs.iter().zip(wiring) {
            let Some((which, out, anywhere)) = wire else {
                continue;
            };
            let pool = if *anywhere { nodes.len() } else { i };
            if pool == 0 {
                continue;
            }
            let mut from = ((pool as f64 * which) as usize).min(pool - 1);
            if clean {
                // The nearest earlier node with an output of the port's type.
                let typed = |j: usize| {
                    catalogue::spec(BlockKind::ALL[nodes[j].0])
                        .outputs
                        .iter()
                        .any(|o| o.ty == port.ty)
                };
                match (0..=from).rev().find(|&j| typed(j)) {
                    Some(j) => from = j,
                    None => continue,
                }
            }
            let outputs = catalogue::spec(BlockKind::ALL[nodes[from].0]).outputs;
            if outputs.is_empty() {
                continue;
            }
            // Prefer an output of the right type.
            let typed: Vec<_> = outputs.iter().filter(|o| o.ty == port.ty).collect();
            let pick = if typed.is_empty() || *out > 0.9 {
                outputs[((outputs.len() as f64 * out) as usize).min(outputs.len() - 1)].name
            } else {
                typed[((typed.len() as f64 * out) as usize).min(typed.len() - 1)].name
            };
            edges.push(json!({"from": {"node": format!("n{from}"), "port": pick},
                              "to": {"node": format!("n{i}"), "port": port.name}}));
        }
    }
    if entry {
        // A buy driven by the last yes/no output, so many graphs are runnable.
        if let Some((i, out)) = nodes.iter().enumerate().rev().find_map(|(i, n)| {
            catalogue::spec(BlockKind::ALL[n.0])
                .outputs
                .iter()
                .find(|o| o.ty == PortType::Boolean)
                .map(|o| (i, o.name))
        }) {
            out_nodes.push(json!({"id": "buy", "kind": "enter_long"}));
            edges.push(json!({"from": {"node": format!("n{i}"), "port": out},
                              "to": {"node": "buy", "port": "when"}}));
        }
    }
    json!({"schema_version": 2, "name": "fuzz", "nodes": out_nodes, "edges": edges}).to_string()
}

/// A parameter of a chain block: mostly short periods, so long chains still fit the data.
fn chain_param() -> impl Strategy<Value = ParamChoice> {
    prop_oneof![
        400 => (0.0f64..0.04).prop_map(ParamChoice::InRange),
        1 => Just(ParamChoice::OutOfRange),
        1 => Just(ParamChoice::WrongType),
    ]
}

/// The pipeline; panics (caught by proptest) are the failures this test looks for.
/// Returns whether the graph compiled.
fn run(text: &str, candles: &Candles) -> Result<bool, TestCaseError> {
    let doc = match StrategyDocument::from_json(text) {
        Ok(doc) => doc,
        Err(_) => return Ok(false),
    };
    let validated = validate_with(&doc, &Limits::FREE);
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: Some(candles.len()),
    };
    let Ok(plan) = compile(&validated, &options) else {
        return Ok(false);
    };
    prop_assert!(plan.evaluation_bytes(candles.len(), Keep::Signals) <= EVALUATION_BUDGET_BYTES);
    let _ = plan.evaluate_all(candles);
    if let Ok(report) = backtest("fuzz", &plan, candles, &BacktestConfig::default()) {
        prop_assert!(report.equity.iter().all(|p| p.equity.is_finite()));
    }
    Ok(true)
}

/// One-input number blocks, for deep chains.
fn chain_kinds() -> Vec<BlockKind> {
    BlockKind::ALL
        .iter()
        .copied()
        .filter(|k| {
            let s = catalogue::spec(*k);
            s.inputs.len() == 1
                && s.inputs[0].ty == PortType::Number
                && s.outputs.first().is_some_and(|o| o.ty == PortType::Number)
                && !matches!(
                    k,
                    BlockKind::HigherTimeframe | BlockKind::Macd | BlockKind::Ppo
                )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_graphs_never_panic(
        nodes in prop::collection::vec(node_gen(), 1..40),
        entry in prop::bool::weighted(0.8),
        clean in prop::bool::ANY,
    ) {
        run(&document(&nodes, entry, clean), &candles(1_500))?;
    }

    #[test]
    fn random_deep_chains_never_panic(picks in prop::collection::vec((0usize..64, prop::collection::vec(chain_param(), 6)), 1..190)) {
        let kinds = chain_kinds();
        let mut nodes: Vec<NodeGen> = vec![(
            BlockKind::ALL.iter().position(|k| *k == BlockKind::CandleField).unwrap(),
            vec![ParamChoice::Absent; 6],
            vec![],
        )];
        for (k, p) in picks {
            // Each block reads the one before it.
            let here = nodes.len();
            let kind = kinds[k % kinds.len()];
            nodes.push((
                BlockKind::ALL.iter().position(|x| *x == kind).unwrap(),
                p,
                vec![Some((((here - 1) as f64 + 0.5) / here as f64, 0.0, false))],
            ));
        }
        let compare = BlockKind::ALL.iter().position(|k| *k == BlockKind::GreaterThan).unwrap();
        let last = nodes.len();
        nodes.push((compare, vec![ParamChoice::Absent; 6], vec![Some((0.0, 0.0, false)), Some(((last as f64 - 0.5) / last as f64, 0.0, false))]));
        // Most chains (about 60%) are valid and fit the data, so they run all the way.
        run(&document(&nodes, true, false), &candles(3_000))?;
    }
}
