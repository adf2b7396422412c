//! The block catalogue: every block's name, explanation, parameters, ports and warm-up.
//! It is data, served as JSON to the canvas, and the single source the validator checks
//! documents against.

mod actions;
mod example;
mod indicators;
mod inputs;
mod kind;
mod spec;
mod transforms;

pub use example::example;
pub use inputs::{CANDLE_FIELDS, HIGHER_TIMEFRAMES};
pub use kind::BlockKind;
pub use spec::{BlockSpec, Category, ParamKind, ParamSpec, PortSpec, PortType, UsedWhen};

/// Every block, in palette order.
pub fn blocks() -> impl Iterator<Item = &'static BlockSpec> {
    inputs::BLOCKS
        .iter()
        .chain(indicators::BLOCKS)
        .chain(transforms::BLOCKS)
        .chain(actions::BLOCKS)
}

/// The catalogue entry of a kind.
pub fn spec(kind: BlockKind) -> &'static BlockSpec {
    blocks()
        .find(|b| b.kind == kind)
        .unwrap_or_else(|| unreachable!("every BlockKind has a catalogue entry (tested)"))
}

/// The whole catalogue, as served to the UI.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalogue {
    /// Every block, in palette order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<BlockSpec>))]
    pub blocks: Vec<&'static BlockSpec>,
}

/// The catalogue.
pub fn catalogue() -> Catalogue {
    Catalogue {
        blocks: blocks().collect(),
    }
}

/// The catalogue as a JSON value, as served to the UI.
pub fn to_json() -> serde_json::Value {
    serde_json::to_value(catalogue()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_exactly_one_entry() {
        for &kind in BlockKind::ALL {
            assert_eq!(blocks().filter(|b| b.kind == kind).count(), 1, "{kind}");
            assert_eq!(BlockKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(blocks().count(), BlockKind::ALL.len());
    }

    #[test]
    fn entries_are_well_formed() {
        for b in blocks() {
            assert!(
                b.explanation.len() > 30,
                "{} needs a real explanation",
                b.kind
            );
            let names: HashSet<_> = b.params.iter().map(|p| p.name).collect();
            assert_eq!(
                names.len(),
                b.params.len(),
                "{} has duplicate params",
                b.kind
            );
            for p in b.params {
                match p.kind {
                    ParamKind::Integer { min, max, default } => {
                        assert!(min <= default && default <= max, "{}.{}", b.kind, p.name)
                    }
                    ParamKind::Number { min, max, default } => {
                        assert!(min <= default && default <= max, "{}.{}", b.kind, p.name)
                    }
                    ParamKind::Choice { options, default } => {
                        assert!(options.contains(&default), "{}.{}", b.kind, p.name)
                    }
                }
            }
        }
    }

    #[test]
    fn a_parameter_used_only_in_some_modes_names_a_choice_of_its_block() {
        let mut conditional = 0;
        for b in blocks() {
            for p in b.params {
                let Some(when) = p.used_when else { continue };
                conditional += 1;
                let Some(ParamKind::Choice { options, .. }) = b.param(when.param).map(|c| c.kind)
                else {
                    panic!("{}.{}: {} is not a choice", b.kind, p.name, when.param);
                };
                assert!(!when.values.is_empty(), "{}.{}", b.kind, p.name);
                for v in when.values {
                    assert!(options.contains(v), "{}.{}: {v}", b.kind, p.name);
                }
            }
        }
        // Position size, stop loss, take profit and trailing stop: each mode's own settings.
        assert_eq!(conditional, 12);
        let stop = blocks().find(|b| b.kind == BlockKind::StopLoss).unwrap();
        let used = |mode: &str| -> Vec<&str> {
            stop.params
                .iter()
                .filter(|p| p.used_when.is_none_or(|w| w.values.contains(&mode)))
                .map(|p| p.name)
                .collect()
        };
        assert_eq!(used("percent"), ["mode", "percent"]);
        assert_eq!(used("atr"), ["mode", "atr_period", "atr_multiple"]);
    }

    #[test]
    fn has_at_least_25_indicators() {
        let indicators = blocks()
            .filter(|b| {
                matches!(
                    b.category,
                    Category::MovingAverages
                        | Category::Momentum
                        | Category::Trend
                        | Category::Volatility
                        | Category::Volume
                )
            })
            .count();
        assert!(indicators >= 25, "{indicators}");
    }
}
