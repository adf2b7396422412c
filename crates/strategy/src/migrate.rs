//! Migrations from older schema versions to the current one, on raw JSON values.
//!
//! Version 1 (the first prototype) stored `blocks` with `type`, flat `x`/`y` and links as
//! `"node.port"` strings. Version 2 is the current [`crate::StrategyDocument`].

use crate::document::{DocumentError, SCHEMA_VERSION};
use serde_json::{Map, Value, json};

/// Upgrades `value` step by step from `version` to [`SCHEMA_VERSION`].
pub(crate) fn to_current(mut value: Value, mut version: u32) -> Result<Value, DocumentError> {
    while version < SCHEMA_VERSION {
        value = match version {
            1 => {
                v1_to_v2(value).map_err(|message| DocumentError::Migration { from: 1, message })?
            }
            other => return Err(DocumentError::UnknownVersion { found: other }),
        };
        version += 1;
    }
    Ok(value)
}

fn v1_to_v2(value: Value) -> Result<Value, String> {
    let Value::Object(mut doc) = value else {
        return Err("the document is not a JSON object".into());
    };
    let blocks = match doc.remove("blocks") {
        Some(Value::Array(b)) => b,
        None => Vec::new(),
        Some(_) => return Err("\"blocks\" must be a list".into()),
    };
    let links = match doc.remove("links") {
        Some(Value::Array(l)) => l,
        None => Vec::new(),
        Some(_) => return Err("\"links\" must be a list".into()),
    };
    let mut nodes = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.into_iter().enumerate() {
        let Value::Object(mut b) = block else {
            return Err(format!("block {} is not an object", i + 1));
        };
        let mut node = Map::new();
        node.insert("id".into(), b.remove("id").unwrap_or(Value::Null));
        node.insert("kind".into(), b.remove("type").unwrap_or(Value::Null));
        if let Some(params) = b.remove("params") {
            node.insert("params".into(), params);
        }
        let x = b.remove("x").unwrap_or(json!(0.0));
        let y = b.remove("y").unwrap_or(json!(0.0));
        node.insert("position".into(), json!({ "x": x, "y": y }));
        if let Some(label) = b.remove("label") {
            node.insert("label".into(), label);
        }
        if let Some(extra) = b.keys().next() {
            return Err(format!("block {} has an unknown field \"{extra}\"", i + 1));
        }
        nodes.push(Value::Object(node));
    }
    let mut edges = Vec::with_capacity(links.len());
    for (i, link) in links.into_iter().enumerate() {
        let from = link
            .get("from")
            .and_then(Value::as_str)
            .and_then(split_port);
        let to = link.get("to").and_then(Value::as_str).and_then(split_port);
        match (from, to) {
            (Some((fnode, fport)), Some((tnode, tport))) => edges.push(json!({
                "from": { "node": fnode, "port": fport },
                "to": { "node": tnode, "port": tport },
            })),
            _ => {
                return Err(format!(
                    "link {} must look like {{\"from\": \"node.port\", \"to\": \"node.port\"}}",
                    i + 1
                ));
            }
        }
    }
    doc.insert("schema_version".into(), json!(2));
    doc.insert("nodes".into(), Value::Array(nodes));
    doc.insert("edges".into(), Value::Array(edges));
    Ok(Value::Object(doc))
}

fn split_port(s: &str) -> Option<(&str, &str)> {
    s.rsplit_once('.')
}
