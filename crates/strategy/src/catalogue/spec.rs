//! The shapes of catalogue entries: blocks, parameters and ports.

use super::kind::BlockKind;
use serde::Serialize;

/// Where a block sits in the palette.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Category {
    Inputs,
    MovingAverages,
    Momentum,
    Trend,
    Volatility,
    Volume,
    Math,
    Conditions,
    Logic,
    Actions,
    Risk,
}

/// What flows along an edge: a number per bar or a yes/no per bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PortType {
    Number,
    Boolean,
}

impl PortType {
    /// How a beginner reads the type ("a number", "a yes/no").
    pub fn plain(self) -> &'static str {
        match self {
            PortType::Number => "a number series",
            PortType::Boolean => "a yes/no series",
        }
    }
}

/// An input or output of a block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortSpec {
    /// The port's name in edges.
    pub name: &'static str,
    pub label: &'static str,
    #[serde(rename = "type")]
    pub ty: PortType,
}

/// The type and range of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ParamKind {
    Integer {
        min: i64,
        max: i64,
        default: i64,
    },
    Number {
        min: f64,
        max: f64,
        default: f64,
    },
    Choice {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        options: &'static [&'static str],
        default: &'static str,
    },
}

/// A parameter of a block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamSpec {
    pub name: &'static str,
    pub label: &'static str,
    #[serde(flatten)]
    pub kind: ParamKind,
    pub unit: Option<&'static str>,
    /// The parameter only matters when another parameter of the block has one of some
    /// values (a stop's ATR multiple only in ATR mode); absent: it always matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_when: Option<UsedWhen>,
}

/// When a parameter matters: while the block's parameter `param` is one of `values`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsedWhen {
    /// A choice parameter of the same block, e.g. `mode`.
    pub param: &'static str,
    /// The values of `param` that use the parameter.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub values: &'static [&'static str],
}

impl ParamSpec {
    /// This parameter, used only while the block's `param` is one of `values`.
    pub(super) const fn when(self, param: &'static str, values: &'static [&'static str]) -> Self {
        ParamSpec {
            used_when: Some(UsedWhen { param, values }),
            ..self
        }
    }
}

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockSpec {
    /// The block's wire name, e.g. `sma`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: BlockKind,
    pub category: Category,
    /// Plain-language name shown on the canvas.
    pub name: &'static str,
    /// One paragraph for a beginner: what it measures and how traders use it.
    pub explanation: &'static str,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ParamSpec>))]
    pub params: &'static [ParamSpec],
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<PortSpec>))]
    pub inputs: &'static [PortSpec],
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<PortSpec>))]
    pub outputs: &'static [PortSpec],
    /// Bars this block needs before its first value, as a formula of its parameters
    /// (the exact number comes from `warmup::own_warmup`).
    pub warmup: &'static str,
}

impl BlockSpec {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn input(&self, name: &str) -> Option<(usize, &'static PortSpec)> {
        self.inputs.iter().enumerate().find(|(_, p)| p.name == name)
    }

    pub fn output(&self, name: &str) -> Option<(usize, &'static PortSpec)> {
        self.outputs
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name)
    }
}

pub(super) const fn int(
    name: &'static str,
    label: &'static str,
    min: i64,
    max: i64,
    default: i64,
    unit: Option<&'static str>,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        kind: ParamKind::Integer { min, max, default },
        unit,
        used_when: None,
    }
}

pub(super) const fn num(
    name: &'static str,
    label: &'static str,
    min: f64,
    max: f64,
    default: f64,
    unit: Option<&'static str>,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        kind: ParamKind::Number { min, max, default },
        unit,
        used_when: None,
    }
}

pub(super) const fn choice(
    name: &'static str,
    label: &'static str,
    options: &'static [&'static str],
    default: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        kind: ParamKind::Choice { options, default },
        unit: None,
        used_when: None,
    }
}

pub(super) const fn number_port(name: &'static str, label: &'static str) -> PortSpec {
    PortSpec {
        name,
        label,
        ty: PortType::Number,
    }
}

pub(super) const fn boolean_port(name: &'static str, label: &'static str) -> PortSpec {
    PortSpec {
        name,
        label,
        ty: PortType::Boolean,
    }
}

pub(super) const BARS: Option<&str> = Some("bars");
pub(super) const PERCENT: Option<&str> = Some("%");
pub(super) const IN: &[PortSpec] = &[number_port("in", "Input")];
pub(super) const OUT: &[PortSpec] = &[number_port("out", "Value")];
pub(super) const AB: &[PortSpec] = &[number_port("a", "A"), number_port("b", "B")];
pub(super) const YES_NO: &[PortSpec] = &[boolean_port("out", "Yes/no")];
pub(super) const WHEN: &[PortSpec] = &[boolean_port("when", "When")];
pub(super) const NONE: &[PortSpec] = &[];
