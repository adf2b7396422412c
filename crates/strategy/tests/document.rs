//! The strategy document format: round trips, strict parsing, versions and migration.

mod common;

use bb_strategy::{DocumentError, SCHEMA_VERSION, StrategyDocument};

#[test]
fn starters_round_trip_through_json() {
    for name in common::STARTERS {
        let doc = common::strategy(name);
        let again = StrategyDocument::from_json(&doc.to_json()).unwrap();
        assert_eq!(doc, again, "{name}");
        assert_eq!(doc.schema_version, SCHEMA_VERSION);
    }
}

#[test]
fn unknown_fields_are_rejected_with_their_position() {
    let text = "{\n  \"schema_version\": 2,\n  \"name\": \"x\",\n  \"nodes\": [\n    { \"id\": \"a\", \"kind\": \"sma\", \"colour\": \"red\" }\n  ]\n}";
    match StrategyDocument::from_json(text) {
        Err(DocumentError::Syntax { line, message, .. }) => {
            assert_eq!(line, 5);
            assert!(message.contains("colour"), "{message}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn newer_versions_are_rejected_and_missing_versions_explained() {
    let newer = format!(
        "{{\"schema_version\": {}, \"name\": \"x\", \"nodes\": []}}",
        SCHEMA_VERSION + 1
    );
    assert!(
        matches!(StrategyDocument::from_json(&newer), Err(DocumentError::NewerVersion { found }) if found == SCHEMA_VERSION + 1)
    );
    assert!(matches!(
        StrategyDocument::from_json("{\"name\": \"x\", \"nodes\": []}"),
        Err(DocumentError::MissingVersion)
    ));
    assert!(matches!(
        StrategyDocument::from_json("{\"schema_version\": 0, \"name\": \"x\", \"nodes\": []}"),
        Err(DocumentError::UnknownVersion { found: 0 })
    ));
    assert!(matches!(
        StrategyDocument::from_json("{ not json"),
        Err(DocumentError::Syntax { line: 1, .. })
    ));
}

#[test]
fn version_1_documents_migrate() {
    let v1 = r#"{
        "schema_version": 1,
        "name": "SMA crossover (v1)",
        "blocks": [
            { "id": "close", "type": "candle_field", "params": { "field": "close" }, "x": 0, "y": 118 },
            { "id": "fast", "type": "sma", "params": { "period": 10 }, "x": 225, "y": 40, "label": "Fast SMA" },
            { "id": "slow", "type": "sma", "params": { "period": 30 }, "x": 225, "y": 196, "label": "Slow SMA" },
            { "id": "golden_cross", "type": "crosses_above", "x": 450, "y": 50 },
            { "id": "death_cross", "type": "crosses_below", "x": 450, "y": 186 },
            { "id": "buy", "type": "enter_long", "x": 675, "y": 64 },
            { "id": "sell", "type": "exit_long", "x": 675, "y": 200 }
        ],
        "links": [
            { "from": "close.out", "to": "fast.in" },
            { "from": "close.out", "to": "slow.in" },
            { "from": "fast.out", "to": "golden_cross.a" },
            { "from": "slow.out", "to": "golden_cross.b" },
            { "from": "fast.out", "to": "death_cross.a" },
            { "from": "slow.out", "to": "death_cross.b" },
            { "from": "golden_cross.out", "to": "buy.when" },
            { "from": "death_cross.out", "to": "sell.when" }
        ]
    }"#;
    let migrated = StrategyDocument::from_json(v1).unwrap();
    let current = common::strategy("sma_crossover.json");
    assert_eq!(migrated.schema_version, SCHEMA_VERSION);
    assert_eq!(migrated.nodes, current.nodes);
    assert_eq!(migrated.edges, current.edges);
}

#[test]
fn bad_version_1_documents_fail_with_the_reason() {
    let v1 = r#"{ "schema_version": 1, "name": "x", "blocks": [], "links": [ { "from": "a", "to": "b.in" } ] }"#;
    match StrategyDocument::from_json(v1) {
        Err(DocumentError::Migration { from: 1, message }) => {
            assert!(message.contains("link 1"), "{message}")
        }
        other => panic!("expected a migration error, got {other:?}"),
    }
}
