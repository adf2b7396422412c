//! The strategy language: a strategy is a graph of blocks.
//!
//! The flow is document → [`validate`] → [`compile`] → [`Plan::evaluate`]:
//! - [`StrategyDocument`]: the versioned JSON the canvas saves (nodes, edges, positions).
//! - [`catalogue`]: every block's ports, parameters, explanation and warm-up.
//! - [`validate`]: a [`Graph`] plus every [`Diagnostic`] at once, never stopping early.
//! - [`compile`]: an immutable [`Plan`] (topological, shared sub-expressions merged).
//! - [`Plan::evaluate`]: each step's outputs and the per-bar [`bb_domain::Signals`].
//!
//! Architecture Invariant: pure. No IO, no clock, no randomness, no async; it depends only
//! on `bb-domain`, `bb-indicators` and serde. Look-ahead is impossible by construction:
//! every operation reads the current and earlier bars only.

pub mod catalogue;
mod compile;
mod diagnostic;
mod document;
mod evaluate;
mod graph;
mod inspect;
mod limits;
mod lower;
mod migrate;
mod never_true;
mod ops;
mod params;
mod plan;
mod series;
mod stream;
mod validate;
mod warmup;

pub use compile::{CompileOptions, compile};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use document::{
    DocumentError, Edge, Node, PortRef, Position, SCHEMA_VERSION, StrategyDocument,
};
pub use evaluate::{EvaluateError, Evaluation, NoCache, StepCache};
pub use graph::{Graph, GraphNode, Source};
pub use inspect::Column;
pub use limits::{EVALUATION_BUDGET_BYTES, Keep, Limits};
pub use params::{ParamValue, ParamValues};
pub use plan::{
    Arithmetic, Comparison, Context, Direction, Field, Indicator, NodeOutputs, Op, Plan, Slot,
    Step, Window,
};
pub use series::Series;
pub use stream::{Bar, BarOutput, PlanStream, StreamError, Value};
pub use validate::{Validated, validate, validate_with};

/// Parses, validates and compiles in one go; the convenience the CLI and server use.
pub fn load(text: &str, options: &CompileOptions) -> Result<Plan, LoadError> {
    let doc = StrategyDocument::from_json(text)?;
    compile(&validate(&doc), options).map_err(LoadError::Invalid)
}

/// Why a strategy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Document(#[from] DocumentError),
    #[error("the strategy has {} problem(s):\n{}", .0.len(), .0.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}
