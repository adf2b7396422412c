//! The `blockbuilders` command as a user runs it: real files in, text out, exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blockbuilders"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const DAILY: &str = "data/demo/yahoo_BTC-USD_1d_2014-2022.csv";

#[test]
fn inspect_prints_every_block_on_every_bar_in_the_range() {
    let o = run(&[
        "inspect",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        DAILY,
        "--from",
        "2022-02-20",
        "--csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time,close.out,fast.out,slow.out,golden_cross.out,death_cross.out,signal.enter_long,signal.exit_long,signal.enter_short,signal.exit_short"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 10, "2022-02-20 .. 2022-03-01");
    assert!(
        rows[0].starts_with("2022-02-20 00:00:00,38431.378906,"),
        "{}",
        rows[0]
    );
    // The SMA(10) column equals the mean of the last 10 closes in the file.
    let closes: Vec<f64> = std::fs::read_to_string(root().join(DAILY))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let last = rows.last().unwrap().split(',').collect::<Vec<_>>();
    let expected: f64 = closes[closes.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!((last[2].parse::<f64>().unwrap() - expected).abs() < 1e-9);
}

#[test]
fn inspect_json_has_one_object_per_bar_with_null_during_warmup() {
    let o = run(&[
        "inspect",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        DAILY,
        "--to",
        "2014-09-20",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["fast.out"].is_null());
    assert_eq!(rows[0]["signal.enter_long"], false);
}

#[test]
fn validate_lists_every_problem_and_fails() {
    let o = run(&[
        "validate",
        "--strategy",
        "strategies/broken/bad_params.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.contains("block \"avg\" parameter \"period\""));
    let ok = run(&["validate", "--strategy", "strategies/donchian_turtle.json"]);
    assert!(ok.status.success());
    assert!(stdout(&ok).contains("no problems found"));
}

#[test]
fn backtest_prints_results_assumptions_and_warnings() {
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        DAILY,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for section in [
        "RESULTS",
        "Total return",
        "Buy and hold",
        "Max drawdown",
        "ASSUMPTIONS",
        "next bar's open",
        "0.1% fee per fill",
        "5 bps",
        "WARNINGS",
        "TRADES",
    ] {
        assert!(text.contains(section), "missing {section:?} in\n{text}");
    }
}

#[test]
fn backtest_json_and_trades_csv_agree() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("trades.csv");
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/rsi_mean_reversion.json",
        "--data",
        DAILY,
        "--json",
        "--trades-csv",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let trades = report["trades"].as_array().unwrap().len();
    assert!(trades > 0);
    assert_eq!(report["metrics"]["trades"], trades);
    let lines = std::fs::read_to_string(&csv).unwrap().lines().count();
    assert_eq!(lines, trades + 1);
    assert_eq!(report["assumptions"]["fee_pct"], 0.1);
    assert_eq!(report["assumptions"]["slippage_bps"], 5.0);
}

#[test]
fn bad_input_names_the_line_or_block_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "time,open,high,low,close,volume\n2022-01-01,1,2,0.5,1.5,10\n2022-01-02,1,2,0.5,oops,10\n",
    )
    .unwrap();
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 3: close is \"oops\", not a number"),
        "{}",
        stderr(&o)
    );

    let unsorted = dir.path().join("unsorted.csv");
    std::fs::write(
        &unsorted,
        "time,open,high,low,close,volume\n2022-01-02,1,2,0.5,1.5,10\n2022-01-01,1,2,0.5,1.5,10\n",
    )
    .unwrap();
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        unsorted.to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));

    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/broken/missing_input.json",
        "--data",
        DAILY,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("block \"rsi\" port \"in\""),
        "{}",
        stderr(&o)
    );

    let missing_column = dir.path().join("nocol.csv");
    std::fs::write(&missing_column, "time,open,high,low,volume\n").unwrap();
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        missing_column.to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("no close column"), "{}", stderr(&o));
}

#[test]
fn sweep_ranks_combinations() {
    let o = run(&[
        "sweep",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        DAILY,
        "--param",
        "fast.period=5..15:5",
        "--param",
        "slow.period=10..30:10",
        "--where",
        "fast.period<slow.period",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let result: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(result["grid_size"], 9);
    let rows = result["rows"].as_array().unwrap();
    // (5,10) (5,20) (5,30) (10,20) (10,30) (15,20) (15,30)
    assert_eq!(rows.len(), 7);
    let returns: Vec<f64> = rows
        .iter()
        .map(|r| r["metrics"]["total_return_pct"].as_f64().unwrap())
        .collect();
    assert!(
        returns.windows(2).all(|w| w[0] >= w[1]),
        "sorted best first: {returns:?}"
    );

    let bad = run(&[
        "sweep",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        DAILY,
        "--param",
        "fast.length=5..15:5",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("no parameter \"length\""),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn robustness_prints_verdicts_keeps_the_holdout_aside_and_repeats_with_its_seed() {
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "robustness",
            "--strategy",
            "strategies/sma_crossover.json",
            "--data",
            DAILY,
            "--param",
            "fast.period=5..20:5",
            "--param",
            "slow.period=30..90:20",
            "--where",
            "fast.period<slow.period",
            "--windows",
            "3",
            "--runs",
            "200",
            "--min-trades",
            "2",
        ];
        a.extend_from_slice(extra);
        a
    };
    let text = run(&args(&["--seed", "11"]));
    assert!(text.status.success(), "{}", stderr(&text));
    let out = stdout(&text);
    for needle in [
        "checks passed",
        "walk-forward: efficiency",
        "Walk-forward: Out of sample it made",
        "Trades reshuffled: The backtest's worst drop from trade to trade",
        "method:",
        "thresholds:",
        "kept aside; add --show-holdout",
        "seed 11, 200 Monte Carlo runs",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    let json = |extra: &[&'static str]| -> serde_json::Value {
        let o = run(&args(extra));
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let first = json(&["--json", "--seed", "11"]);
    let again = json(&["--json", "--seed", "11"]);
    assert_eq!(first, again, "the same seed gives the same report");
    assert!(first["holdout"]["result"].is_null());
    assert_eq!(
        first["walk_forward"]["windows"].as_array().unwrap().len(),
        3
    );
    let shown = json(&["--json", "--seed", "11", "--show-holdout"]);
    assert_eq!(shown["holdout"]["result"]["verdict"]["check"], "holdout");
    let other = json(&["--json", "--seed", "12"]);
    assert_ne!(
        other["trade_bootstrap"], first["trade_bootstrap"],
        "another seed draws other histories"
    );
    assert_eq!(
        other["walk_forward"], first["walk_forward"],
        "the walk-forward draws nothing"
    );

    let mut zero = args(&[]);
    let at = zero.iter().position(|a| *a == "--windows").unwrap();
    zero[at + 1] = "0";
    let bad = run(&zero);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--windows"), "{}", stderr(&bad));
    let bad = run(&args(&["--pbo-blocks", "5"]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--pbo-blocks"), "{}", stderr(&bad));
}

#[test]
fn several_data_files_make_a_basket_with_one_shared_account() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("trades.csv");
    let o = run(&[
        "backtest",
        "--strategy",
        "strategies/sma_crossover.json",
        "--data",
        "data/demo/ccxt_ADA_BTC-5m_2018-01.json",
        "--data",
        "data/demo/btc-perp_1m_2022-01.csv",
        "--max-allocation",
        "50",
        "--json",
        "--trades-csv",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let members = report["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["symbol"], "ccxt_ADA_BTC-5m_2018-01");
    assert_eq!(report["max_allocation_pct"], 50.0);
    let trades: usize = members
        .iter()
        .map(|m| m["trades"].as_array().unwrap().len())
        .sum();
    assert_eq!(report["metrics"]["trades"], trades);
    let pnl: f64 = members.iter().map(|m| m["pnl"].as_f64().unwrap()).sum();
    let end = report["equity"].as_array().unwrap().last().unwrap()["equity"]
        .as_f64()
        .unwrap();
    assert!(
        (end - (10_000.0 + pnl)).abs() < 1e-6 * end.abs(),
        "{end} vs {}",
        10_000.0 + pnl
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("symbol,side,"));
    assert_eq!(text.lines().count(), trades + 1);
}

/// One source of truth for block names: every kind `blockbuilders blocks` lists, put in a
/// document with its default parameters, passes `blockbuilders validate`.
#[test]
fn every_block_the_catalogue_lists_validates_by_its_listed_name() {
    let o = run(&["blocks"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let catalogue: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let kinds: Vec<String> = catalogue["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), bb_strategy::catalogue::BlockKind::ALL.len());
    assert!(kinds.iter().any(|k| k == "stddev"));
    let dir = tempfile::tempdir().unwrap();
    for listed in &kinds {
        let kind = bb_strategy::catalogue::BlockKind::from_name(listed).unwrap_or_else(|| {
            panic!("the catalogue lists \"{listed}\", which documents cannot use")
        });
        let doc = bb_strategy::catalogue::example(kind);
        let text = serde_json::to_string(&doc).unwrap();
        assert!(text.contains(&format!("\"kind\":\"{listed}\"")));
        let path = dir.path().join(format!("{listed}.json"));
        std::fs::write(&path, text).unwrap();
        let o = run(&["validate", "--strategy", path.to_str().unwrap()]);
        assert!(o.status.success(), "{listed}: {}{}", stdout(&o), stderr(&o));
    }
}

/// The deep-graph reproduction through the binary: a 3,000-block chain is refused with the
/// limit named, not a stack overflow.
#[test]
fn a_3000_block_chain_is_refused_by_name_not_by_a_crash() {
    let mut nodes = vec![serde_json::json!({"id": "close", "kind": "candle_field"})];
    let mut edges = Vec::new();
    let mut previous = "close".to_string();
    for i in 0..3_000 {
        let id = format!("b{i}");
        nodes.push(serde_json::json!({"id": id, "kind": "sma", "params": {"period": 2}}));
        edges.push(serde_json::json!({"from": {"node": previous, "port": "out"}, "to": {"node": id, "port": "in"}}));
        previous = id;
    }
    nodes.push(serde_json::json!({"id": "above", "kind": "greater_than"}));
    nodes.push(serde_json::json!({"id": "entry", "kind": "enter_long"}));
    edges.push(serde_json::json!({"from": {"node": "close", "port": "out"}, "to": {"node": "above", "port": "a"}}));
    edges.push(serde_json::json!({"from": {"node": previous, "port": "out"}, "to": {"node": "above", "port": "b"}}));
    edges.push(serde_json::json!({"from": {"node": "above", "port": "out"}, "to": {"node": "entry", "port": "when"}}));
    let doc =
        serde_json::json!({"schema_version": 2, "name": "deep", "nodes": nodes, "edges": edges});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    for command in ["validate", "backtest"] {
        let mut args = vec![command, "--strategy", path.to_str().unwrap()];
        if command == "backtest" {
            args.extend(["--data", DAILY]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{command}: {}", stderr(&o));
        let text = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            text.contains("This strategy has 3,003 blocks; your plan allows at most 2,000"),
            "{command}: {text}"
        );
    }
}

/// A SQLite database with a few audit entries (role and plan changes among them), exported
/// with `audit export`; returns the package as JSON and the directory holding it.
fn audit_package() -> (serde_json::Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bb.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = bb_store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let ada = db
            .users()
            .create(bb_store::NewUser {
                email: "ada@example.com".into(),
                password_hash: None,
                display_name: "Ada".into(),
                role: bb_store::Role::Builder,
                plan: bb_store::PlanTier::Free,
                external_subject: None,
            })
            .await
            .unwrap();
        let users = db.users();
        users
            .set_role(&ada.id, bb_store::Role::Educator, Some("admin-1"))
            .await
            .unwrap();
        users
            .set_plan(&ada.id, bb_store::PlanTier::Premium, Some("admin-1"))
            .await
            .unwrap();
        users
            .set_role(&ada.id, bb_store::Role::Admin, Some("admin-1"))
            .await
            .unwrap();
        users.set_disabled(&ada.id, true, None).await.unwrap();
        db.close().await;
    });
    let file = dir.path().join("package.json");
    let o = run(&[
        "audit",
        "export",
        "--database-url",
        &url,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Wrote 4 audit entries"),
        "{}",
        stdout(&o)
    );
    let package = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    (package, dir)
}

/// Writes `package` to a file and runs `audit verify` on it.
fn verify_audit(package: &serde_json::Value, dir: &tempfile::TempDir) -> Output {
    let file = dir.path().join("checked.json");
    std::fs::write(&file, serde_json::to_string_pretty(package).unwrap()).unwrap();
    run(&["audit", "verify", file.to_str().unwrap()])
}

#[test]
fn audit_verify_passes_an_intact_package() {
    let (package, dir) = audit_package();
    let o = verify_audit(&package, &dir);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let head = package["manifest"]["head_hash"].as_str().unwrap();
    assert_eq!(
        stdout(&o),
        format!("OK: 4 entries, seq 1..4, head {head}\n")
    );
}

#[test]
fn audit_verify_names_an_edited_removed_or_reordered_entry() {
    let (package, dir) = audit_package();
    let check = |tampered: serde_json::Value, expected: &str| {
        let o = verify_audit(&tampered, &dir);
        assert!(!o.status.success(), "{expected}: {}", stdout(&o));
        assert!(
            stdout(&o).starts_with("FAILED: ") && stdout(&o).contains(expected),
            "{expected}: {}",
            stdout(&o)
        );
    };
    let mut edited = package.clone();
    edited["entries"][1]["payload"]["to"] = serde_json::json!("enterprise");
    check(edited, "entry 2 was edited");

    let mut actor = package.clone();
    actor["entries"][0]["actor_id"] = serde_json::json!("someone-else");
    check(actor, "entry 1 was edited");

    let mut removed = package.clone();
    removed["entries"].as_array_mut().unwrap().remove(2);
    check(removed, "entry 3 was removed");

    let mut last_removed = package.clone();
    last_removed["entries"].as_array_mut().unwrap().pop();
    check(last_removed, "entry 4 was removed");

    let mut swapped = package.clone();
    swapped["entries"].as_array_mut().unwrap().swap(1, 2);
    check(swapped, "out of order");

    let mut evidence = package.clone();
    evidence["evidence"]["users"] = serde_json::json!({});
    check(evidence, "the evidence was edited");
}

#[test]
fn audit_verify_refuses_a_file_that_is_not_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.json");
    std::fs::write(&file, "{\"hello\": 1}").unwrap();
    let o = run(&["audit", "verify", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is not an audit package"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn audit_verify_with_recorded_heads_catches_a_rewritten_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bb.db").display());
    let heads = dir.path().join("heads");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = bb_store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        for n in 0..4 {
            db.audit()
                .append(bb_store::NewAuditEntry {
                    entity_type: "test".into(),
                    entity_id: format!("t{n}"),
                    action: "test.done".into(),
                    actor_id: None,
                    payload: serde_json::json!({ "n": n }),
                })
                .await
                .unwrap();
        }
        let store = bb_server::audit_anchor::local_store(&heads).unwrap();
        let recorded = bb_server::audit_anchor::record_head(&db, store.as_ref())
            .await
            .unwrap();
        assert_eq!(recorded.map(|h| h.seq), Some(4));
        db.close().await;
    });
    let file = dir.path().join("package.json");
    let o = run(&[
        "audit",
        "export",
        "--database-url",
        &url,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let heads = heads.to_str().unwrap();
    let o = run(&["audit", "verify", file.to_str().unwrap(), "--heads", heads]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("agrees with the 1 recorded head(s)"),
        "{}",
        stdout(&o)
    );

    // Rewrite the chain from entry 2 on, every hash recomputed: it verifies on its own, but
    // not against the head recorded before.
    let mut package: bb_store::AuditPackage =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    package.entries[1].payload = serde_json::json!({ "n": 99 });
    for i in 1..package.entries.len() {
        package.entries[i].prev_hash = package.entries[i - 1].hash.clone();
        package.entries[i].hash = bb_store::entry_hash(&package.entries[i]);
    }
    package.manifest.head_hash = package.entries[3].hash.clone();
    std::fs::write(&file, serde_json::to_string(&package).unwrap()).unwrap();
    let o = run(&["audit", "verify", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));
    let o = run(&["audit", "verify", file.to_str().unwrap(), "--heads", heads]);
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("FAILED: entry 4 does not match the head recorded for it"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn users_set_changes_role_plan_and_reviewer_and_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bb.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = bb_store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        db.users()
            .create(bb_store::NewUser {
                email: "ada@example.com".into(),
                password_hash: None,
                display_name: "Ada".into(),
                role: bb_store::Role::Builder,
                plan: bb_store::PlanTier::Free,
                external_subject: None,
            })
            .await
            .unwrap();
        db.close().await;
    });
    let out = run(&[
        "users",
        "set",
        "ada@example.com",
        "--role",
        "admin",
        "--plan",
        "educator",
        "--reviewer",
        "true",
        "--database-url",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "ada@example.com: role admin, plan educator, reviewer yes"
    );
    let user = rt.block_on(async {
        let db = bb_store::Db::connect(&url).await.unwrap();
        db.users()
            .by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .0
    });
    assert_eq!(user.role, bb_store::Role::Admin);
    assert_eq!(user.plan, bb_store::PlanTier::Educator);
    assert!(user.reviewer);
    for (args, message) in [
        (
            vec!["users", "set", "ada@example.com", "--plan", "gold"],
            "--plan",
        ),
        (
            vec!["users", "set", "nobody@example.com", "--plan", "free"],
            "no account",
        ),
        (vec!["users", "set", "ada@example.com"], "nothing to change"),
    ] {
        let mut args = args.clone();
        args.extend(["--database-url", &url]);
        let out = run(&args);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
}

#[test]
fn screener_replays_databento_files_into_the_golden_alerts() {
    let data = root().join("../shared/data/databento");
    let mbp1 = data.join("futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst");
    let definitions = data.join("futures_definition.dbn.zst");
    let dir = tempfile::tempdir().unwrap();
    // the settings the golden alerts of crates/feeds/tests/golden were made with
    let settings = dir.path().join("settings.json");
    std::fs::write(
        &settings,
        r#"{"session_offset_minutes":0,"cooldown_seconds":30,"gap":{"min_pct":0.005},
            "volume_spike":{"multiple":1.5,"min_history":2,"min_volume":0.0},
            "high_low":{"after_minutes":0},"spread":{"multiple":1.5,"min_quotes":50}}"#,
    )
    .unwrap();
    let args = [
        "screener",
        "--replay",
        mbp1.to_str().unwrap(),
        definitions.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
    ];
    let json = run(&[&args[..], &["--json"]].concat());
    assert!(json.status.success(), "{}", stderr(&json));
    let golden =
        std::fs::read_to_string(root().join("crates/feeds/tests/golden/mbp1_esu4.jsonl")).unwrap();
    let parse = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(parse(&stdout(&json)), parse(&golden));
    assert!(stderr(&json).contains("2288 events"), "{}", stderr(&json));
    // the text form: one line per alert, then the summary
    let text = run(&args);
    let out = stdout(&text);
    assert!(
        out.contains(
            "2024-07-02 00:00:01.496 UTC  ESU4       gap_up          5529.25  +0.01% from 5528.75"
        ),
        "{out}"
    );
    assert!(out.contains("12 alerts"), "{out}");
    // a file that is not DBN is named in the error
    let bad = run(&["screener", "--replay", settings.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("settings.json"), "{}", stderr(&bad));
}

/// A SQLite database with the demo candles imported (migrated by `data import`).
fn database_with_candles(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let o = run(&[
        "data",
        "import",
        DAILY,
        "--symbol",
        "BTC-USD",
        "--database-url",
        &url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    url
}

#[test]
fn backup_verify_list_and_restore_round_trip_and_damage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_with_candles(dir.path());
    let backups = dir.path().join("backups");
    let to = backups.to_str().unwrap();

    let o = run(&["backup", "--to", to, "--database-url", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("manifest.json written last"), "{text}");
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Check it with: blockbuilders backup verify --from "))
        .and_then(|l| l.split("--id ").nth(1))
        .expect("the id")
        .trim()
        .to_owned();
    assert!(backups.join(&id).join("manifest.json").is_file());

    let o = run(&["backup", "list", "--from", to]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&id), "{}", stdout(&o));

    // verify: restored into a scratch database, checked, the API booted on it.
    let o = run(&["backup", "verify", "--from", to, "--boot"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("OK: backup {id} restores")),
        "{text}"
    );
    assert!(text.contains("answered /ready: ready"), "{text}");
    let o = run(&["backup", "verify", "--from", to, "--id", &id, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["backup_id"], id.as_str());
    assert!(report["rows"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["migrated"], serde_json::json!([]));

    // restore: into an empty database; refused into a non-empty one unless --force.
    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let o = run(&["restore", "--from", to, "--database-url", &restored]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("Restored backup {id}")),
        "{}",
        stdout(&o)
    );
    let o = run(&["data", "list", "--database-url", &restored]);
    assert!(stdout(&o).contains("BTC-USD"), "{}", stdout(&o));
    let o = run(&["restore", "--from", to, "--database-url", &restored]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("only into an empty database"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "restore",
        "--from",
        to,
        "--database-url",
        &restored,
        "--force",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // One flipped byte: verify fails with exit code 1 and names the file.
    let snapshot = backups.join(&id).join("db.sqlite");
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x01;
    std::fs::write(&snapshot, bytes).unwrap();
    let o = run(&["backup", "verify", "--from", to]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.starts_with("FAILED:") && text.contains("db.sqlite"),
        "{text}"
    );
    assert!(text.contains("damaged"), "{text}");

    // A database URL with a typo: nothing to back up, said so.
    let typo = format!("sqlite://{}", dir.path().join("liev.db").display());
    let o = run(&["backup", "--to", to, "--database-url", &typo]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("holds no Blockbuilders database"),
        "{}",
        stderr(&o)
    );

    // No destination: a clear error.
    let o = run(&["backup", "--database-url", &url]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--to"), "{}", stderr(&o));
}
