//! The committed OpenAPI spec (`openapi/openapi.json`) must equal the one the code makes,
//! so the UI's generated client and the server cannot drift. Regenerate with
//! `BB_UPDATE_OPENAPI=1 cargo test -p bb-server --test openapi`.

use std::path::PathBuf;

#[test]
fn committed_spec_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let generated = bb_server::openapi::spec_json();
    if std::env::var("BB_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; run `BB_UPDATE_OPENAPI=1 cargo test -p bb-server --test openapi` and commit it",
        path.display()
    );
}

#[test]
fn every_route_is_documented() {
    let spec: serde_json::Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/strategies", "get"),
        ("/api/v1/strategies", "post"),
        ("/api/v1/strategies/{id}", "get"),
        ("/api/v1/strategies/{id}", "patch"),
        ("/api/v1/strategies/{id}/archive", "post"),
        ("/api/v1/strategies/{id}/versions", "get"),
        ("/api/v1/strategies/{id}/versions", "post"),
        ("/api/v1/strategies/{id}/versions/{version}", "get"),
        ("/api/v1/strategies/{id}/clone", "post"),
        ("/api/v1/validate", "post"),
        ("/api/v1/blocks", "get"),
        ("/api/v1/market/datasets", "get"),
        ("/api/v1/market/datasets/{id}", "get"),
        ("/api/v1/market/datasets/{id}/candles", "get"),
        ("/api/v1/market/imports", "post"),
        ("/api/v1/market/fetches", "post"),
        ("/api/v1/market/fetches/{id}", "get"),
        ("/api/v1/backtests", "post"),
        ("/api/v1/backtests", "get"),
        ("/api/v1/backtests/{id}", "get"),
        ("/api/v1/backtests/{id}/events", "get"),
        ("/api/v1/backtests/{id}/equity", "get"),
        ("/api/v1/backtests/{id}/trades", "get"),
        ("/api/v1/backtests/{id}/trades.csv", "get"),
        ("/api/v1/backtests/{id}/cancel", "post"),
        ("/api/v1/backtests/compare", "post"),
        ("/api/v1/sweeps", "post"),
        ("/api/v1/sweeps", "get"),
        ("/api/v1/sweeps/{id}", "get"),
        ("/api/v1/sweeps/{id}/events", "get"),
        ("/api/v1/sweeps/{id}/cancel", "post"),
        ("/api/v1/plan-usage", "get"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/unread-count", "get"),
        ("/api/v1/notifications/{id}/read", "post"),
        ("/api/v1/notifications/read-all", "post"),
        ("/api/v1/notifications/stream", "get"),
        ("/api/v1/admin/users/{id}", "patch"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not in the spec"
        );
    }
    for schema in [
        "ErrorEnvelope",
        "Session",
        "StrategyView",
        "VersionView",
        "Diagnostic",
        "Visibility",
        "RunView",
        "RunDetail",
        "CompareView",
        "NotificationView",
        "PlanUsageView",
    ] {
        assert!(
            spec["components"]["schemas"].get(schema).is_some(),
            "no schema {schema}"
        );
    }
}

/// The README's error table lists every code with its status, in the enum's order.
#[test]
fn the_readme_error_table_is_the_error_code_enum() {
    use bb_server::error::ErrorCode;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let rows: Vec<(String, u16)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_owned(), cells.get(2)?.parse().ok()?))
        })
        .collect();
    let expected: Vec<(String, u16)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.status().as_u16()))
        .collect();
    assert_eq!(rows, expected);
    // and the spec lists the same codes
    let spec: serde_json::Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let listed: Vec<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, all);
}

/// The bounds and defaults the spec publishes for a run's settings are the ones the API
/// applies (`bb_backtest::SettingsRanges`).
#[test]
fn the_spec_publishes_the_settings_ranges() {
    let spec: serde_json::Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let r = bb_backtest::SettingsRanges::get();
    let d = r.defaults;
    for request in ["CreateBacktestRequest", "CreateSweepRequest"] {
        let p = &spec["components"]["schemas"][request]["properties"];
        let number = |field: &str, key: &str| p[field][key].as_f64();
        assert_eq!(
            number("initial_capital", "minimum"),
            Some(r.initial_capital.min)
        );
        assert_eq!(
            number("initial_capital", "maximum"),
            Some(r.initial_capital.max)
        );
        assert_eq!(
            number("initial_capital", "default"),
            Some(d.initial_capital)
        );
        assert_eq!(number("fee_pct", "minimum"), Some(r.fee_pct.min));
        assert_eq!(number("fee_pct", "exclusiveMaximum"), Some(r.fee_pct.max));
        assert_eq!(number("fee_pct", "default"), Some(d.fee_pct));
        assert_eq!(number("slippage_bps", "minimum"), Some(r.slippage_bps.min));
        assert_eq!(
            number("slippage_bps", "exclusiveMaximum"),
            Some(r.slippage_bps.max)
        );
        assert_eq!(number("slippage_bps", "default"), Some(d.slippage_bps));
        assert_eq!(p["fill"]["default"], d.fill.as_str(), "{request}");
        assert_eq!(p["allow_short"]["default"], d.allow_short, "{request}");
        assert_eq!(p["fill_gaps"]["default"], false, "{request}");
        assert!(r.fee_pct.max_exclusive && r.slippage_bps.max_exclusive);
        assert!(!r.initial_capital.max_exclusive);
    }
}

/// A `oneOf` whose branches extend one another (`SweepRequest` is `allOf` a
/// `BacktestRequest` and more) can never validate the extended branch's instances: they match
/// both. Such unions must be `anyOf`.
#[test]
fn no_one_of_has_a_branch_that_extends_another() {
    let spec: serde_json::Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let name_of = |r: &serde_json::Value| {
        r["$ref"]
            .as_str()
            .and_then(|s| s.strip_prefix("#/components/schemas/"))
            .map(str::to_owned)
    };
    // The schemas `name` is built on through `allOf`, transitively.
    let bases = |name: &str| {
        let mut seen = Vec::new();
        let mut todo = vec![name.to_owned()];
        while let Some(n) = todo.pop() {
            for part in schemas[&n]["allOf"].as_array().into_iter().flatten() {
                if let Some(base) = name_of(part).filter(|b| !seen.contains(b)) {
                    seen.push(base.clone());
                    todo.push(base);
                }
            }
        }
        seen
    };
    let mut checked = 0;
    for (name, schema) in schemas {
        let Some(branches) = schema["oneOf"].as_array() else {
            continue;
        };
        let names: Vec<String> = branches.iter().filter_map(name_of).collect();
        for branch in &names {
            for base in bases(branch) {
                assert!(
                    !names.contains(&base),
                    "{name}: its oneOf branch {branch} extends its branch {base}; use anyOf"
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 0, "the spec has oneOf unions to check");
}
