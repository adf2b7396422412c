//! Broken graphs and the diagnostics they must produce (golden files in `snapshots/`).

mod common;

use bb_strategy::{Code, CompileOptions, Severity, compile, validate};

#[test]
fn broken_graphs_match_their_golden_diagnostics() {
    let dir = common::repo_root().join("strategies/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let doc =
            bb_strategy::StrategyDocument::from_json(&std::fs::read_to_string(&path).unwrap())
                .unwrap();
        let validated = validate(&doc);
        assert!(
            !validated.diagnostics.is_empty(),
            "{stem} should have diagnostics"
        );
        insta::assert_json_snapshot!(format!("broken_{stem}"), validated.diagnostics);
    }
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let validated = validate(&common::strategy("broken/bad_params.json"));
    let codes: Vec<Code> = validated.diagnostics.iter().map(|d| d.code).collect();
    for expected in [
        Code::ParamUnknownOption,
        Code::ParamOutOfRange,
        Code::ParamWrongType,
        Code::UnknownParam,
        Code::ParamConflict,
    ] {
        assert!(
            codes.contains(&expected),
            "missing {expected:?} in {codes:?}"
        );
    }
    assert!(
        validated
            .diagnostics
            .iter()
            .all(|d| d.node.is_some() && d.param.is_some())
    );
}

#[test]
fn warnings_do_not_block_compilation_but_errors_do() {
    let unused = validate(&common::strategy("broken/unused_blocks.json"));
    assert!(
        unused
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let plan = compile(&unused, &CompileOptions::default()).unwrap();
    assert_eq!(plan.warnings.len(), 2);

    let cycle = validate(&common::strategy("broken/cycle.json"));
    let errors = compile(&cycle, &CompileOptions::default()).unwrap_err();
    assert!(errors.iter().any(|d| d.code == Code::Cycle));
}

#[test]
fn warmup_longer_than_the_data_is_caught_at_compile_time() {
    let validated = validate(&common::strategy("macd_trend_atr_trailing.json"));
    let options = |bars| CompileOptions {
        base_timeframe: None,
        bar_count: Some(bars),
    };
    let errors = compile(&validated, &options(80)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, Code::WarmupExceedsData);
    // The 100-bar trend EMA is what makes the strategy wait, so it is the block blamed.
    assert_eq!(errors[0].node.as_deref(), Some("trend"));
    assert!(
        errors[0].message.contains("only 80 bars"),
        "{}",
        errors[0].message
    );
    assert!(compile(&validated, &options(1000)).is_ok());
}

#[test]
fn higher_timeframes_must_be_higher_multiples_of_the_data() {
    let doc = common::strategy("broken/nested_higher_timeframe.json");
    let v = validate(&doc);
    assert!(
        v.diagnostics
            .iter()
            .any(|d| d.code == Code::NestedHigherTimeframe
                && d.node.as_deref() == Some("daily_close"))
    );

    let mut doc = common::strategy("sma_crossover.json");
    doc.nodes.push(bb_strategy::Node {
        id: "hourly".into(),
        kind: "higher_timeframe".into(),
        params: [("timeframe".to_string(), serde_json::json!("1h"))].into(),
        position: Default::default(),
        label: None,
    });
    doc.edges.push(bb_strategy::Edge {
        from: bb_strategy::PortRef::new("close", "out"),
        to: bb_strategy::PortRef::new("hourly", "in"),
    });
    let daily = CompileOptions {
        base_timeframe: Some(bb_domain::Timeframe::DAY),
        bar_count: None,
    };
    let errors = compile(&validate(&doc), &daily).unwrap_err();
    assert_eq!(errors[0].code, Code::TimeframeNotHigher);
    assert_eq!(errors[0].node.as_deref(), Some("hourly"));
}
