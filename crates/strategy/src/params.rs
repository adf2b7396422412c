//! Parameter values checked against the catalogue: typed, in range, defaults filled in.

use crate::catalogue::{BlockSpec, ParamKind, ParamSpec};
use crate::diagnostic::{Code, Diagnostic};
use serde_json::Value;
use std::collections::BTreeMap;

/// A checked parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamValue {
    Integer(i64),
    Number(f64),
    Choice(&'static str),
}

/// A block's parameters in catalogue order, every one present.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamValues(Vec<(&'static str, ParamValue)>);

impl ParamValues {
    fn get(&self, name: &str) -> Option<ParamValue> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// An integer parameter as a count (the catalogue keeps them non-negative).
    pub fn usize(&self, name: &str) -> usize {
        match self.get(name) {
            Some(ParamValue::Integer(v)) => usize::try_from(v).unwrap_or(0),
            _ => 0,
        }
    }

    pub fn f64(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(ParamValue::Number(v)) => v,
            Some(ParamValue::Integer(v)) => v as f64,
            _ => f64::NAN,
        }
    }

    pub fn choice(&self, name: &str) -> &'static str {
        match self.get(name) {
            Some(ParamValue::Choice(c)) => c,
            _ => "",
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, ParamValue)> + '_ {
        self.0.iter().copied()
    }
}

/// Checks `given` against `spec`, reporting every bad value on `node`; bad or missing values
/// take the default so later checks can still run.
pub(crate) fn resolve(
    node: &str,
    spec: &BlockSpec,
    given: &BTreeMap<String, Value>,
    out: &mut Vec<Diagnostic>,
) -> ParamValues {
    for name in given.keys() {
        if spec.param(name).is_none() {
            let known: Vec<_> = spec.params.iter().map(|p| p.name).collect();
            let hint = if known.is_empty() {
                "it has no settings".to_string()
            } else {
                format!("its settings are {}", known.join(", "))
            };
            out.push(
                Diagnostic::error(
                    Code::UnknownParam,
                    format!(
                        "The \"{}\" block has no setting called \"{name}\"; {hint}.",
                        spec.name
                    ),
                )
                .on_node(node)
                .on_param(name),
            );
        }
    }
    ParamValues(
        spec.params
            .iter()
            .map(|p| {
                (
                    p.name,
                    given
                        .get(p.name)
                        .map_or(default(p), |v| check(node, spec, p, v, out)),
                )
            })
            .collect(),
    )
}

fn default(p: &ParamSpec) -> ParamValue {
    match p.kind {
        ParamKind::Integer { default, .. } => ParamValue::Integer(default),
        ParamKind::Number { default, .. } => ParamValue::Number(default),
        ParamKind::Choice { default, .. } => ParamValue::Choice(default),
    }
}

fn check(
    node: &str,
    spec: &BlockSpec,
    p: &ParamSpec,
    v: &Value,
    out: &mut Vec<Diagnostic>,
) -> ParamValue {
    let mut fail = |code, message: String| {
        out.push(
            Diagnostic::error(code, message)
                .on_node(node)
                .on_param(p.name),
        );
        default(p)
    };
    let what = format!("The \"{}\" setting of the \"{}\" block", p.label, spec.name);
    let unit = p.unit.map(|u| format!(" {u}")).unwrap_or_default();
    match p.kind {
        ParamKind::Integer { min, max, .. } => {
            let Some(x) = v.as_f64() else {
                return fail(
                    Code::ParamWrongType,
                    format!("{what} must be a whole number, not {v}."),
                );
            };
            if x.fract() != 0.0 {
                return fail(
                    Code::ParamWrongType,
                    format!("{what} must be a whole number, not {x}."),
                );
            }
            if x < min as f64 || x > max as f64 {
                return fail(
                    Code::ParamOutOfRange,
                    format!("{what} is {x}{unit}; it must be between {min} and {max}{unit}."),
                );
            }
            ParamValue::Integer(x as i64)
        }
        ParamKind::Number { min, max, .. } => {
            let Some(x) = v.as_f64() else {
                return fail(
                    Code::ParamWrongType,
                    format!("{what} must be a number, not {v}."),
                );
            };
            if x < min || x > max {
                return fail(
                    Code::ParamOutOfRange,
                    format!("{what} is {x}{unit}; it must be between {min} and {max}{unit}."),
                );
            }
            ParamValue::Number(x)
        }
        ParamKind::Choice { options, .. } => {
            let Some(s) = v.as_str() else {
                return fail(
                    Code::ParamWrongType,
                    format!("{what} must be one of {}, not {v}.", options.join(", ")),
                );
            };
            match options.iter().find(|o| **o == s) {
                Some(o) => ParamValue::Choice(o),
                None => fail(
                    Code::ParamUnknownOption,
                    format!(
                        "{what} is \"{s}\"; it must be one of {}.",
                        options.join(", ")
                    ),
                ),
            }
        }
    }
}
