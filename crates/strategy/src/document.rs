//! The strategy document: the versioned JSON a user saves, shares and loads.
//!
//! A document is a graph of nodes (blocks with parameters and a place on the canvas) and
//! edges from an output port to an input port. Parsing checks only the shape; whether the
//! graph makes sense is the validator's job, which reports every problem at once.

use crate::migrate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version this build writes. Older documents are migrated on load.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyDocument {
    pub schema_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

/// A block on the canvas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Stable identifier, unique in the document; diagnostics and the inspector name it.
    pub id: String,
    /// The block's wire name in the catalogue, e.g. `"sma"`.
    pub kind: String,
    /// Parameter values by name; missing ones take the catalogue default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub position: Position,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Where a node sits on the canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// An edge from an output port to an input port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: PortRef,
    pub to: PortRef,
}

/// A port of a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRef {
    pub node: String,
    pub port: String,
}

impl PortRef {
    pub fn new(node: &str, port: &str) -> PortRef {
        PortRef {
            node: node.to_string(),
            port: port.to_string(),
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the document has no \"schema_version\" number")]
    MissingVersion,
    #[error(
        "the document uses schema version {found}, which is newer than this program understands (up to {SCHEMA_VERSION}); update Blockbuilders"
    )]
    NewerVersion { found: u32 },
    #[error("schema version {found} is not a version Blockbuilders ever wrote")]
    UnknownVersion { found: u32 },
    #[error("migrating from schema version {from}: {message}")]
    Migration { from: u32, message: String },
}

impl DocumentError {
    fn from_serde(e: serde_json::Error) -> DocumentError {
        DocumentError::Syntax {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e),
        }
    }
}

/// serde_json appends " at line L column C"; we report the position separately.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl StrategyDocument {
    /// Reads a document, migrating older schema versions and rejecting newer ones and
    /// unknown fields.
    pub fn from_json(text: &str) -> Result<StrategyDocument, DocumentError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(DocumentError::from_serde)?;
        let version = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(DocumentError::MissingVersion)?;
        let version =
            u32::try_from(version).map_err(|_| DocumentError::NewerVersion { found: u32::MAX })?;
        if version > SCHEMA_VERSION {
            return Err(DocumentError::NewerVersion { found: version });
        }
        if version == SCHEMA_VERSION {
            // Parse the text (not the value) so errors carry line and column.
            return serde_json::from_str(text).map_err(DocumentError::from_serde);
        }
        let current = migrate::to_current(value, version)?;
        serde_json::from_value(current).map_err(|e| DocumentError::Migration {
            from: version,
            message: e.to_string(),
        })
    }

    /// Pretty JSON in the current schema version.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|_| unreachable!("documents always serialise"))
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn node_mut(&mut self, id: &str) -> Option<&mut Node> {
        self.nodes.iter_mut().find(|n| n.id == id)
    }
}
