//! Reports stored before reports had a version (`testdata/reports/v1/`, copied from a
//! database written by that version with `tools/dump_stored_report.py`) read back into
//! today's types, and nothing in them is lost: written again, they are the same JSON plus
//! `report_version`.

use bb_jobs::{REPORT_VERSION, RunParameters, RunReport, RunSummary, Stored};
use bb_store::RunKind;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../testdata/reports/v1/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The version a stored report says it has (1 when it does not say).
fn version_of(value: &Value) -> u64 {
    value
        .get("report_version")
        .and_then(Value::as_u64)
        .unwrap_or(1)
}

/// A report written again as today's version is the original plus `report_version`.
fn same_apart_from_version<T: serde::Serialize>(original: &Value, report: T) {
    assert_eq!(version_of(original), 1);
    let mut again = serde_json::to_value(Stored::new(report)).unwrap();
    assert_eq!(version_of(&again), u64::from(REPORT_VERSION));
    again.as_object_mut().unwrap().remove("report_version");
    assert_eq!(&again, original);
}

#[test]
fn a_version_1_backtest_report_reads_into_the_typed_report() {
    let stored = fixture("backtest_report");
    let RunReport::Backtest(report) = RunReport::read(RunKind::Backtest, stored.clone()).unwrap()
    else {
        panic!("a backtest report");
    };
    assert_eq!(report.strategy, "Donchian (turtle) breakout");
    assert_eq!(report.metrics.trades, report.trades.len());
    assert_eq!(report.trades.len(), 39);
    let data = &report.assumptions.data;
    assert_eq!(
        data.provenance.source.as_deref(),
        Some("dataset BTC-USD:1d (demo)")
    );
    let quality = data
        .provenance
        .quality
        .as_ref()
        .expect("the quality report");
    assert_eq!(quality.report.rows, 2723);
    assert!(!quality.summary.is_empty());
    assert_eq!(
        report.warnings[0].code,
        bb_backtest::WarningCode::OneTradeDominates
    );
    same_apart_from_version(&stored, &*report);
}

#[test]
fn a_version_1_sweep_report_reads_into_the_typed_report() {
    let stored = fixture("sweep_report");
    let RunReport::Sweep(report) = RunReport::read(RunKind::Sweep, stored.clone()).unwrap() else {
        panic!("a sweep report");
    };
    assert_eq!(report.axes, ["fast.period", "slow.period"]);
    assert_eq!(report.combinations, report.rows.len());
    assert_eq!(report.combinations, 12);
    assert_eq!(report.best().unwrap().values, [10.0, 40.0]);
    assert_eq!(report.assumptions.fee_pct, 0.1);
    assert!(report.assumptions.data.quality.is_some());
    same_apart_from_version(&stored, &*report);
}

#[test]
fn version_1_summaries_and_settings_read_into_their_types() {
    for (kind, name) in [(RunKind::Backtest, "backtest"), (RunKind::Sweep, "sweep")] {
        let summary = fixture(&format!("{name}_summary"));
        let typed = RunSummary::read(kind, summary.clone()).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), summary, "{name}");
        let parameters = fixture(&format!("{name}_parameters"));
        let typed = RunParameters::read(kind, parameters.clone()).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), parameters, "{name}");
    }
    let RunSummary::Backtest(s) =
        RunSummary::read(RunKind::Backtest, fixture("backtest_summary")).unwrap()
    else {
        panic!("a backtest summary");
    };
    assert_eq!(s.metrics.trades, 39);
    assert_eq!(s.timeframe.to_string(), "1d");
}

#[test]
fn a_report_of_the_wrong_shape_is_an_error_not_a_default() {
    let err = RunReport::read(RunKind::Backtest, fixture("sweep_report")).unwrap_err();
    assert!(
        err.to_string().contains("report of a backtest run"),
        "{err}"
    );
}
