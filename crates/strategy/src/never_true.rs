//! Conditions that can never be true, told before a backtest shows zero trades: a
//! comparison between a block whose output is bounded (RSI is always 0 to 100) and a
//! constant outside those bounds ("RSI below 0"), or between two constants that never
//! cross. The bounds are the indicators' definitions, kept here beside the catalogue.

use crate::catalogue::BlockKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Graph, GraphNode, Source};

/// The values a block's output can take, when its definition bounds them.
pub fn output_range(node: &GraphNode, output: &str) -> Option<(f64, f64)> {
    use BlockKind::*;
    const PERCENT: (f64, f64) = (0.0, 100.0);
    const NON_NEGATIVE: (f64, f64) = (0.0, f64::INFINITY);
    match (node.kind()?, output) {
        (Rsi | Stochastic | StochasticRsi | Mfi | Adx, _) => Some(PERCENT),
        (Aroon, "up" | "down") => Some(PERCENT),
        (Aroon, "oscillator") => Some((-100.0, 100.0)),
        (WilliamsR, _) => Some((-100.0, 0.0)),
        (Atr | Natr | StdDev | Absolute, _) => Some(NON_NEGATIVE),
        (CandleField, _) => Some(NON_NEGATIVE),
        (Constant, _) => {
            let v = node.params.f64("value");
            v.is_finite().then_some((v, v))
        }
        _ => None,
    }
}

/// A comparison's side: its range and how to name it.
struct Side {
    lo: f64,
    hi: f64,
    words: String,
}

fn side(graph: &Graph, source: Option<&Source>) -> Option<Side> {
    let source = source?;
    let node = graph.nodes.get(source.node)?;
    let port = node.spec?.outputs.get(source.output)?;
    let (lo, hi) = output_range(node, port.name)?;
    let words = if node.kind() == Some(BlockKind::Constant) {
        format!("the constant {}", shown(lo))
    } else if hi.is_infinite() {
        format!("{}, which is never below {}", node.display(), shown(lo))
    } else {
        format!(
            "{}, which always stays from {} to {}",
            node.display(),
            shown(lo),
            shown(hi)
        )
    };
    Some(Side { lo, hi, words })
}

fn shown(x: f64) -> String {
    format!("{x}")
}

/// Warns on every condition block that no data can make true.
pub(crate) fn check(graph: &Graph, out: &mut Vec<Diagnostic>) {
    use BlockKind::*;
    for node in &graph.nodes {
        let Some(kind) = node.kind() else { continue };
        let input = |i: usize| side(graph, node.inputs.get(i).and_then(Option::as_ref));
        let never = match kind {
            GreaterThan | GreaterOrEqual | LessThan | LessOrEqual | CrossesAbove | CrossesBelow => {
                let (Some(a), Some(b)) = (input(0), input(1)) else {
                    continue;
                };
                let never = match kind {
                    GreaterThan => a.hi <= b.lo,
                    GreaterOrEqual => a.hi < b.lo,
                    LessThan => a.lo >= b.hi,
                    LessOrEqual => a.lo > b.hi,
                    // a crossing needs A on both sides of B at different bars
                    _ => a.hi <= b.lo || a.lo >= b.hi,
                };
                never.then(|| format!("A is {} and B is {}", a.words, b.words))
            }
            Between => {
                let (Some(v), lower, upper) = (input(0), input(1), input(2)) else {
                    continue;
                };
                let below = lower.as_ref().is_some_and(|l| v.hi < l.lo);
                let above = upper.as_ref().is_some_and(|u| v.lo > u.hi);
                let crossed = matches!((&lower, &upper), (Some(l), Some(u)) if l.lo > u.hi);
                (below || above || crossed).then(|| {
                    let bound = |b: &Option<Side>| {
                        b.as_ref()
                            .map_or("another block".to_string(), |s| s.words.clone())
                    };
                    format!(
                        "the value is {}, the lower bound is {} and the upper bound is {}",
                        v.words,
                        bound(&lower),
                        bound(&upper)
                    )
                })
            }
            _ => None,
        };
        if let Some(why) = never {
            out.push(
                Diagnostic::warning(
                    Code::NeverTrue,
                    format!(
                        "{} can never be true: {why}. Any action it feeds will never happen; \
                         change the level or compare with another block.",
                        node.display_start()
                    ),
                )
                .on_node(&node.id),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{StrategyDocument, validate};

    /// An RSI compared with a constant through `kind`, feeding an entry.
    fn doc(kind: &str, level: f64) -> StrategyDocument {
        let json = serde_json::json!({
            "schema_version": 2,
            "name": "t",
            "nodes": [
                { "id": "close", "kind": "candle_field", "params": { "field": "close" } },
                { "id": "rsi", "kind": "rsi", "params": { "period": 14 } },
                { "id": "level", "kind": "constant", "params": { "value": level } },
                { "id": "cond", "kind": kind },
                { "id": "buy", "kind": "enter_long" }
            ],
            "edges": [
                { "from": { "node": "close", "port": "out" }, "to": { "node": "rsi", "port": "in" } },
                { "from": { "node": "rsi", "port": "out" }, "to": { "node": "cond", "port": "a" } },
                { "from": { "node": "level", "port": "out" }, "to": { "node": "cond", "port": "b" } },
                { "from": { "node": "cond", "port": "out" }, "to": { "node": "buy", "port": "when" } }
            ]
        });
        StrategyDocument::from_json(&json.to_string()).unwrap()
    }

    fn never_true(doc: &StrategyDocument) -> Vec<String> {
        validate(doc)
            .diagnostics
            .into_iter()
            .filter(|d| d.code.as_str() == "never_true")
            .map(|d| format!("{}: {}", d.node.unwrap_or_default(), d.message))
            .collect()
    }

    #[test]
    fn comparisons_outside_an_indicators_range_are_flagged() {
        for (kind, level) in [
            ("less_than", 0.0),
            ("less_than", -5.0),
            ("less_or_equal", -0.5),
            ("greater_than", 100.0),
            ("greater_or_equal", 100.5),
            ("crosses_above", 100.0),
            ("crosses_below", 0.0),
            ("crosses_above", -1.0),
        ] {
            let found = never_true(&doc(kind, level));
            assert_eq!(found.len(), 1, "{kind} {level}: {found:?}");
            assert!(found[0].starts_with("cond: "), "{found:?}");
            assert!(found[0].contains("from 0 to 100"), "{found:?}");
        }
    }

    #[test]
    fn conditions_that_can_happen_are_not_flagged() {
        for (kind, level) in [
            ("less_than", 30.0),
            ("less_or_equal", 0.0),
            ("greater_than", 70.0),
            ("greater_or_equal", 100.0),
            ("crosses_above", 50.0),
            ("crosses_below", 99.0),
        ] {
            assert!(never_true(&doc(kind, level)).is_empty(), "{kind} {level}");
        }
    }

    #[test]
    fn the_starters_have_no_impossible_conditions() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../strategies");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let doc = StrategyDocument::from_json(&text).unwrap();
                assert!(never_true(&doc).is_empty(), "{}", path.display());
            }
        }
    }
}
