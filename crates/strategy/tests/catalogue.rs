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
