//! Diagnostics: every problem in a strategy, tied to the block (and port or parameter) that
//! has it, with a stable code for the UI and a sentence for the user.

use serde::{Deserialize, Serialize};

/// Stable machine codes. The UI switches on these, never on messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    DuplicateNodeId,
    UnknownBlockKind,
    UnknownParam,
    ParamWrongType,
    ParamOutOfRange,
    ParamUnknownOption,
    ParamConflict,
    UnknownNode,
    UnknownPort,
    PortTypeMismatch,
    InputAlreadyConnected,
    MissingInput,
    Cycle,
    NoEntry,
    ExitWithoutEntry,
    ConflictingRisk,
    SizingNeedsStop,
    TargetNeedsStop,
    NestedHigherTimeframe,
    TimeframeNotHigher,
    UnknownTimeframe,
    WarmupExceedsData,
    UnusedBlock,
    /// More blocks than the plan allows ([`crate::Limits::max_nodes`]).
    TooManyBlocks,
    /// More connections than the plan allows ([`crate::Limits::max_edges`]).
    TooManyConnections,
    /// A chain of blocks longer than the plan allows ([`crate::Limits::max_depth`]).
    GraphTooDeep,
    /// Evaluating the strategy on the data would need more memory than the budget
    /// ([`crate::EVALUATION_BUDGET_BYTES`]).
    EvaluationTooLarge,
    /// A condition no data can make true ("RSI below 0"); a warning.
    NeverTrue,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DuplicateNodeId => "duplicate_node_id",
            Code::UnknownBlockKind => "unknown_block_kind",
            Code::UnknownParam => "unknown_param",
            Code::ParamWrongType => "param_wrong_type",
            Code::ParamOutOfRange => "param_out_of_range",
            Code::ParamUnknownOption => "param_unknown_option",
            Code::ParamConflict => "param_conflict",
            Code::UnknownNode => "unknown_node",
            Code::UnknownPort => "unknown_port",
            Code::PortTypeMismatch => "port_type_mismatch",
            Code::InputAlreadyConnected => "input_already_connected",
            Code::MissingInput => "missing_input",
            Code::Cycle => "cycle",
            Code::NoEntry => "no_entry",
            Code::ExitWithoutEntry => "exit_without_entry",
            Code::ConflictingRisk => "conflicting_risk",
            Code::SizingNeedsStop => "sizing_needs_stop",
            Code::TargetNeedsStop => "target_needs_stop",
            Code::NestedHigherTimeframe => "nested_higher_timeframe",
            Code::TimeframeNotHigher => "timeframe_not_higher",
            Code::UnknownTimeframe => "unknown_timeframe",
            Code::WarmupExceedsData => "warmup_exceeds_data",
            Code::UnusedBlock => "unused_block",
            Code::TooManyBlocks => "too_many_blocks",
            Code::TooManyConnections => "too_many_connections",
            Code::GraphTooDeep => "graph_too_deep",
            Code::EvaluationTooLarge => "evaluation_too_large",
            Code::NeverTrue => "never_true",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The strategy cannot run until this is fixed.
    Error,
    /// The strategy runs, but this is probably not what the user meant.
    Warning,
}

/// One problem, located as precisely as possible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// The block that has the problem; `None` for whole-strategy problems.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub param: Option<String>,
    /// A sentence a non-programmer understands.
    pub message: String,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            node: None,
            port: None,
            param: None,
            message: message.into(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn on_node(mut self, node: &str) -> Diagnostic {
        self.node = Some(node.to_string());
        self
    }

    pub fn on_port(mut self, port: &str) -> Diagnostic {
        self.port = Some(port.to_string());
        self
    }

    pub fn on_param(mut self, param: &str) -> Diagnostic {
        self.param = Some(param.to_string());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}[{}]", self.code.as_str())?;
        if let Some(node) = &self.node {
            write!(f, " block \"{node}\"")?;
            if let Some(port) = &self.port {
                write!(f, " port \"{port}\"")?;
            }
            if let Some(param) = &self.param {
                write!(f, " parameter \"{param}\"")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
