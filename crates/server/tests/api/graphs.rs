//! Strategy graphs through the API: every catalogue block validates by the name `GET
//! /blocks` gives it, and graph size and depth limits hold per plan — including the
//! deep-graph reproduction of issue 11 (a 3,000-block chain submitted as a backtest).

use crate::common::ErrorCode;
use crate::common::TestApp;
use bb_store::{NewVersion, PlanTier};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The close feeding `blocks` SMAs in a row, "close above the last" driving a buy:
/// `blocks + 3` blocks, `blocks + 3` deep.
fn sma_chain(blocks: usize) -> Value {
    let mut nodes = vec![json!({"id": "close", "kind": "candle_field"})];
    let mut edges = Vec::new();
    let mut previous = "close".to_string();
    let link = |from: &str, to: &str, port: &str| json!({"from": {"node": from, "port": "out"}, "to": {"node": to, "port": port}});
    for i in 0..blocks {
        let id = format!("b{i}");
        nodes.push(json!({"id": id, "kind": "sma", "params": {"period": 2}}));
        edges.push(link(&previous, &id, "in"));
        previous = id;
    }
    nodes.push(json!({"id": "above", "kind": "greater_than"}));
    nodes.push(json!({"id": "entry", "kind": "enter_long"}));
    edges.push(link("close", "above", "a"));
    edges.push(link(&previous, "above", "b"));
    edges.push(link("above", "entry", "when"));
    json!({"schema_version": 2, "name": format!("{blocks} SMAs"), "nodes": nodes, "edges": edges})
}

fn codes(reply: &Value) -> Vec<String> {
    reply
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_block_listed_by_get_blocks_validates_by_that_name() {
    let app = TestApp::spawn().await;
    let user = app.register("ada@example.com").await;
    let blocks = app.get("/api/v1/blocks", None).await;
    assert_eq!(blocks.status, StatusCode::OK, "{}", blocks.text);
    let listed: Vec<String> = blocks.body["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), bb_strategy::catalogue::BlockKind::ALL.len());
    for name in &listed {
        let kind = bb_strategy::catalogue::BlockKind::from_name(name)
            .unwrap_or_else(|| panic!("GET /blocks lists \"{name}\", which documents cannot use"));
        let doc = serde_json::to_value(bb_strategy::catalogue::example(kind)).unwrap();
        assert!(
            doc["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == name.as_str())
        );
        let reply = app
            .post(
                "/api/v1/validate",
                Some(&user.token),
                json!({ "graph": doc }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text);
        assert_eq!(reply.body["valid"], true, "{name}: {}", reply.text);
    }
}

#[tokio::test]
async fn graph_limits_follow_the_plan_and_name_the_limit() {
    let app = TestApp::spawn().await;
    let user = app.register("ada@example.com").await;
    // Free plan: at most 300 blocks, 200 deep.
    let wide = app
        .post(
            "/api/v1/validate",
            Some(&user.token),
            json!({ "graph": sma_chain(400) }),
        )
        .await;
    assert_eq!(wide.status, StatusCode::OK, "{}", wide.text);
    assert_eq!(wide.body["valid"], false);
    assert_eq!(codes(&wide.body["diagnostics"]), ["too_many_blocks"]);
    assert!(
        wide.body["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("This strategy has 403 blocks; your plan allows at most 300"),
        "{}",
        wide.text
    );
    let deep = app
        .post(
            "/api/v1/validate",
            Some(&user.token),
            json!({ "graph": sma_chain(250) }),
        )
        .await;
    assert!(
        codes(&deep.body["diagnostics"]).contains(&"graph_too_deep".to_owned()),
        "{}",
        deep.text
    );
    // Saving refuses it with the diagnostics.
    let saved = app
        .post(
            "/api/v1/strategies",
            Some(&user.token),
            json!({ "title": "deep", "graph": sma_chain(250) }),
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        saved.text
    );
    assert!(saved.text.contains("graph_too_deep"), "{}", saved.text);
    // Premium allows it.
    app.state
        .db()
        .users()
        .set_plan(&user.id, PlanTier::Premium, None)
        .await
        .unwrap();
    let premium = app
        .post(
            "/api/v1/validate",
            Some(&user.token),
            json!({ "graph": sma_chain(250) }),
        )
        .await;
    assert_eq!(premium.body["valid"], true, "{}", premium.text);
}

/// Issue 11's reproduction: a 3,000-block chain stored as a valid version (as it was
/// before the limits) and submitted as a backtest is refused up front with the limit
/// named; the server stays up.
#[tokio::test]
async fn a_3000_block_chain_saved_before_the_limits_is_refused_at_submit() {
    let app = TestApp::spawn().await;
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let user = app.register("ada@example.com").await;
    let strategy = app.create_strategy(&user.token, "deep", "private").await;
    app.state
        .db()
        .strategies()
        .add_version(
            &strategy,
            NewVersion {
                author_id: user.id.clone(),
                graph: sma_chain(3_000),
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            },
        )
        .await
        .unwrap();
    let reply = app
        .post(
            "/api/v1/backtests",
            Some(&user.token),
            json!({ "strategy_id": strategy, "version": 2, "symbol": "BTC-USD", "timeframe": "1d" }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("This strategy has 3,003 blocks; your plan allows at most 300"),
        "{message}"
    );
    assert_eq!(
        codes(&reply.body["error"]["details"]["diagnostics"]),
        ["too_many_blocks", "too_many_connections"]
    );
    let health = app.get("/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
}
