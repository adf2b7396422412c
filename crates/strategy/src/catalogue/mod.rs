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
pub use spec::{BlockSpec, Category, ParamKind, ParamSpec, PortSpec, PortType};

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
