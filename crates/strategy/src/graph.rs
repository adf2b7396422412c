//! The validated graph: nodes resolved against the catalogue, edges resolved to indices.

use crate::catalogue::{BlockKind, BlockSpec};
use crate::params::ParamValues;

/// An output port of a node, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Source {
    pub node: usize,
    pub output: usize,
}

/// A node the validator understood.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    pub id: String,
    pub label: Option<String>,
    /// `None` when the document names a kind the catalogue does not have.
    pub spec: Option<&'static BlockSpec>,
    pub params: ParamValues,
    /// What feeds each input port of the spec, in spec order.
    pub inputs: Vec<Option<Source>>,
}

impl GraphNode {
    pub fn kind(&self) -> Option<BlockKind> {
        self.spec.map(|s| s.kind)
    }

    /// How the node is named in a sentence: `the "Fast SMA" block` (its label), else
    /// `the "Simple moving average (SMA)" block`.
    pub fn display(&self) -> String {
        match (&self.label, self.spec) {
            (Some(label), _) => format!("the \"{label}\" block"),
            (None, Some(spec)) => format!("the \"{}\" block", spec.name),
            (None, None) => format!("block \"{}\"", self.id),
        }
    }

    /// [`GraphNode::display`] at the start of a sentence.
    pub fn display_start(&self) -> String {
        let text = self.display();
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
}

/// A strategy graph with every reference resolved. Built by [`crate::validate`], which keeps
/// only the edges it could make sense of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
}

impl Graph {
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Nodes of a kind, by index.
    pub fn of_kind(&self, kind: BlockKind) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.kind() == Some(kind))
            .map(|(i, _)| i)
    }

    /// Every node whose output eventually feeds `roots` (the roots included).
    pub fn upstream_of(&self, roots: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = roots.into_iter().collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            stack.extend(self.nodes[i].inputs.iter().flatten().map(|s| s.node));
        }
        seen
    }
}
