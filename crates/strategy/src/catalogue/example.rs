//! A small, valid strategy around one block: what the palette's "try it" and the catalogue
//! round-trip tests (library, CLI, HTTP) build from every entry.

use super::{BlockKind, PortType, spec};
use crate::document::{Edge, Node, PortRef, SCHEMA_VERSION, StrategyDocument};

/// A valid document using one `kind` block (id `"block"`) with its default parameters:
/// number inputs wired to the close, yes/no inputs to "close above open", its first output
/// leading to a buy.
pub fn example(kind: BlockKind) -> StrategyDocument {
    let block = spec(kind);
    let mut nodes = vec![
        node("close", "candle_field"),
        node("open", "candle_field"),
        node("rising", "greater_than"),
    ];
    nodes[1]
        .params
        .insert("field".into(), serde_json::json!("open"));
    let mut edges = vec![
        edge("close", "out", "rising", "a"),
        edge("open", "out", "rising", "b"),
    ];
    nodes.push(node("block", kind.as_str()));
    for port in block.inputs {
        let from = match port.ty {
            PortType::Number => "close",
            PortType::Boolean => "rising",
        };
        edges.push(edge(from, "out", "block", port.name));
    }
    let entry = match (kind, block.outputs.first()) {
        (BlockKind::EnterLong, _) => None,
        (BlockKind::ExitShort, _) => Some(("enter_short", "rising")),
        (_, Some(out)) if out.ty == PortType::Number => {
            nodes.push(node("above", "greater_than"));
            edges.push(edge("close", "out", "above", "a"));
            edges.push(edge("block", out.name, "above", "b"));
            Some(("enter_long", "above"))
        }
        (_, Some(out)) => {
            // A yes/no output drives the buy directly.
            nodes.push(node("buy", "enter_long"));
            edges.push(edge("block", out.name, "buy", "when"));
            None
        }
        (_, None) => Some(("enter_long", "rising")),
    };
    if let Some((action, from)) = entry {
        nodes.push(node("entry", action));
        edges.push(edge(from, "out", "entry", "when"));
    }
    StrategyDocument {
        schema_version: SCHEMA_VERSION,
        name: format!("{} example", block.name),
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
