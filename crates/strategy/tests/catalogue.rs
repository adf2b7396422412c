//! The catalogue served to the canvas, as a golden file, and every entry usable by its name.

mod common;

#[test]
fn catalogue_json_is_stable() {
    insta::assert_json_snapshot!("catalogue", bb_strategy::catalogue::to_json());
}

/// One source of truth for block names: the name the catalogue JSON gives every block is
/// the name documents use, and a document built around every block (default parameters,
/// wired to valid inputs) validates, compiles and evaluates.
#[test]
fn every_catalogue_entry_round_trips_through_a_document() {
    let served = bb_strategy::catalogue::to_json();
    let candles = common::synthetic_candles(2_000);
    for block in served["blocks"].as_array().unwrap() {
        let name = block["kind"].as_str().unwrap();
        let kind = bb_strategy::catalogue::BlockKind::from_name(name).unwrap_or_else(|| {
            panic!("the catalogue serves \"{name}\", which documents cannot use")
        });
        assert_eq!(serde_json::to_value(kind).unwrap(), name);
        assert_eq!(
            serde_json::from_value::<bb_strategy::catalogue::BlockKind>(name.into()).unwrap(),
            kind
        );
        let text = serde_json::to_string(&bb_strategy::catalogue::example(kind)).unwrap();
        let doc = bb_strategy::StrategyDocument::from_json(&text).unwrap();
        let validated = bb_strategy::validate(&doc);
        assert!(
            !validated.has_errors(),
            "{name}: {:?}",
            validated.diagnostics
        );
        let options = bb_strategy::CompileOptions {
            base_timeframe: candles.timeframe(),
            bar_count: Some(candles.len()),
        };
        let plan =
            bb_strategy::compile(&validated, &options).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        plan.evaluate(&candles)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The catalogue's `used_when` is what the compiler does: in every mode of a block, a
/// parameter the catalogue calls unused leaves the plan exactly as it was when changed, and
/// one it calls used changes the plan's risk rules. (The web app hides the unused ones, so a
/// wrong entry would hide a setting that matters, or show one that does nothing.)
#[test]
fn a_parameter_the_catalogue_calls_unused_does_not_change_the_plan() {
    use bb_strategy::catalogue::{ParamKind, blocks, example};
    use serde_json::json;
    let compile = |doc: &bb_strategy::StrategyDocument| {
        let validated = bb_strategy::validate(doc);
        let options = bb_strategy::CompileOptions {
            base_timeframe: None,
            bar_count: None,
        };
        bb_strategy::compile(&validated, &options)
            .unwrap_or_else(|e| panic!("{}: {e:?}", doc.nodes[3].kind))
    };
    let mut checked = 0;
    for block in blocks().filter(|b| b.params.iter().any(|p| p.used_when.is_some())) {
        let control = block.params.iter().find_map(|p| p.used_when).unwrap().param;
        let Some(ParamKind::Choice { options: modes, .. }) = block.param(control).map(|p| p.kind)
        else {
            panic!("{}: {control} is not a choice", block.kind);
        };
        for &mode in modes {
            let mut doc = example(block.kind);
            doc.node_mut("block")
                .unwrap()
                .params
                .insert(control.into(), json!(mode));
            // Risk sizing and reward/risk targets need a stop loss to compile.
            if block.kind != bb_strategy::catalogue::BlockKind::StopLoss {
                doc.nodes.push(bb_strategy::Node {
                    id: "guard".into(),
                    kind: "stop_loss".into(),
                    params: Default::default(),
                    position: Default::default(),
                    label: None,
                });
            }
            let plan = compile(&doc);
            for p in block.params {
                let Some(when) = p.used_when else { continue };
                // A valid value other than the default.
                let other = match p.kind {
                    ParamKind::Integer { min, max, default } => {
                        json!(if default == max { min } else { max })
                    }
                    ParamKind::Number { min, max, default } => {
                        json!(if default == max { min } else { max })
                    }
                    ParamKind::Choice { .. } => continue,
                };
                let mut changed = doc.clone();
                changed
                    .node_mut("block")
                    .unwrap()
                    .params
                    .insert(p.name.into(), other);
                let again = compile(&changed);
                if when.values.contains(&mode) {
                    assert_ne!(again.risk, plan.risk, "{}.{} in {mode}", block.kind, p.name);
                } else {
                    assert_eq!(again, plan, "{}.{} in {mode}", block.kind, p.name);
                }
                checked += 1;
            }
        }
    }
    // Position size (3 modes × 2), stop loss and trailing stop (2 × 3 each), take profit
    // (3 × 4).
    assert_eq!(checked, 6 + 6 + 6 + 12);
}
