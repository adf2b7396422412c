//! Strategy files over real HTTP: export a strategy with every version into the object store,
//! download it, import it again as a new private strategy; owners only; a bad file is
//! refused by field and writes nothing.

use crate::common::{ErrorCode, MISSING_INPUT, SMA_CROSSOVER, TestApp, graph};
use crate::conform::assert_conforms;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A strategy with three versions (the second one a draft with errors); returns its id.
async fn strategy_with_versions(app: &TestApp, token: &str) -> String {
    let reply = app
        .post(
            "/api/v1/strategies",
            Some(token),
            json!({
                "title": "Exported crossover",
                "description": "two lines\nof description",
                "tags": ["btc", "trend"],
                "visibility": "public",
                "graph": graph(SMA_CROSSOVER),
                "notes": "first",
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.body["strategy"]["id"].as_str().unwrap().to_string();
    for (graph_text, notes, allow_invalid) in [
        (MISSING_INPUT, "a draft with an error", true),
        (SMA_CROSSOVER, "third, with ünïcode", false),
    ] {
        let reply = app
            .post(
                &format!("/api/v1/strategies/{id}/versions"),
                Some(token),
                json!({ "graph": graph(graph_text), "notes": notes, "allow_invalid": allow_invalid }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    id
}

async fn versions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let list = app
        .get(&format!("/api/v1/strategies/{id}/versions"), Some(token))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body.as_array().or(list.body["items"].as_array());
    let mut out = Vec::new();
    for item in items.expect("a list of versions") {
        let n = item["version"].as_i64().unwrap();
        let reply = app
            .get(
                &format!("/api/v1/strategies/{id}/versions/{n}"),
                Some(token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        out.push(reply.body);
    }
    out
}

async fn export(app: &TestApp, token: &str, id: &str) -> (Value, Value) {
    let created = app
        .call(
            Method::POST,
            &format!("/api/v1/strategies/{id}/exports"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_conforms("ExportCreated", &created.body);
    let url = created.body["download_url"].as_str().unwrap().to_string();
    let file = app.get(&url, Some(token)).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text);
    assert_eq!(file.header("content-type"), Some("application/json"));
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;")),
        "{:?}",
        file.headers
    );
    assert_eq!(created.body["bytes"].as_u64(), Some(file.text.len() as u64));
    (created.body, file.body)
}

async fn import(app: &TestApp, token: Option<&str>, file: &Value) -> crate::common::Reply {
    app.post("/api/v1/strategies/import", token, file.clone())
        .await
}

async fn strategy_count(app: &TestApp, token: &str) -> u64 {
    let reply = app
        .get("/api/v1/strategies?mine=true&limit=100", Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn export_then_import_round_trips_every_version() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let id = strategy_with_versions(&app, &ada.token).await;
    let (created, file) = export(&app, &ada.token, &id).await;

    assert_eq!(file["format"], "blockbuilders-strategy/1");
    assert_eq!(file["strategy"]["title"], "Exported crossover");
    assert_eq!(file["strategy"]["tags"], json!(["btc", "trend"]));
    assert_eq!(file["versions"].as_array().unwrap().len(), 3);
    assert_eq!(file["sha256"], created["versions_sha256"]);
    assert_eq!(created["versions"], 3);
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        key,
        format!(
            "exports/{}/{}.json",
            ada.id,
            created["id"].as_str().unwrap()
        )
    );
    // The file is in the object store under that key, with the SHA-256 reported.
    let stored = app.state.objects().get(key).await.unwrap().expect("stored");
    assert_eq!(
        created["sha256"].as_str().unwrap(),
        sha256_hex(&stored),
        "the reported SHA-256 is the stored file's"
    );

    let imported = import(&app, Some(&ada.token), &file).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.text);
    assert_conforms("StrategyImported", &imported.body);
    let new_id = imported.body["strategy"]["id"].as_str().unwrap();
    assert_ne!(new_id, id);
    assert_eq!(imported.body["strategy"]["visibility"], "private");
    assert_eq!(imported.body["strategy"]["status"], "draft");
    assert_eq!(imported.body["strategy"]["latest_version"], 3);
    assert_eq!(
        imported.body["strategy"]["description"],
        "two lines\nof description"
    );
    assert_eq!(imported.body["strategy"]["tags"], json!(["btc", "trend"]));

    let before = versions(&app, &ada.token, &id).await;
    let after = versions(&app, &ada.token, new_id).await;
    assert_eq!(after.len(), 3);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(old["version"], new["version"]);
        assert_eq!(old["graph"], new["graph"]);
        assert_eq!(old["notes"], new["notes"]);
        assert_eq!(old["valid"], new["valid"]);
    }
    assert_eq!(after[1]["valid"], false, "the draft stays a draft");
    assert_eq!(after[2]["notes"], "third, with ünïcode");

    // Exporting the import gives the same versions (only their times differ).
    let (_, again) = export(&app, &ada.token, new_id).await;
    let strip = |file: &Value| -> Vec<Value> {
        let mut versions = file["versions"].as_array().unwrap().clone();
        for v in &mut versions {
            v.as_object_mut().unwrap().remove("created_at");
        }
        versions
    };
    assert_eq!(strip(&again), strip(&file));
}

#[tokio::test]
async fn only_the_owner_exports_and_downloads() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;
    let id = strategy_with_versions(&app, &ada.token).await;
    let (created, _) = export(&app, &ada.token, &id).await;
    let url = created["download_url"].as_str().unwrap();
    let exports = format!("/api/v1/strategies/{id}/exports");

    // The strategy is public: bob can read it but not export it, and sees 404.
    let reply = app
        .call(Method::POST, &exports, Some(&bob.token), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::NotFound);
    let reply = app.get(url, Some(&bob.token)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::NotFound);
    let reply = app
        .get("/api/v1/exports/not-a-uuid", Some(&ada.token))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);

    // Anonymous: 401 everywhere.
    let reply = app.call(Method::POST, &exports, None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::Unauthorized);
    assert_eq!(app.get(url, None).await.status, StatusCode::UNAUTHORIZED);
    let reply = import(&app, None, &json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::Unauthorized);

    // A private strategy of another user does not exist for bob.
    let private = app.create_strategy(&ada.token, "Secret", "private").await;
    let reply = app
        .call(
            Method::POST,
            &format!("/api/v1/strategies/{private}/exports"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
}

#[tokio::test]
async fn a_bad_file_is_refused_by_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let id = strategy_with_versions(&app, &ada.token).await;
    let (_, file) = export(&app, &ada.token, &id).await;
    let owned = strategy_count(&app, &ada.token).await;

    let refused = |reply: &crate::common::Reply, field: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
    };

    // Version 2's graph is not a strategy document (with the hash removed: a hand-made file).
    let mut bad = file.clone();
    bad.as_object_mut().unwrap().remove("sha256");
    bad["versions"][1]["graph"] = json!({ "schema_version": 2, "nodes": "many", "edges": [] });
    let reply = import(&app, Some(&ada.token), &bad).await;
    refused(&reply, "versions[1].graph");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{}",
        reply.text
    );

    // The same change with the export's hash kept: the hash no longer matches.
    let mut tampered = file.clone();
    tampered["versions"][2]["notes"] = json!("changed");
    refused(&import(&app, Some(&ada.token), &tampered).await, "sha256");

    // Over the version limit.
    let mut many = file.clone();
    many.as_object_mut().unwrap().remove("sha256");
    let one = file["versions"][0].clone();
    many["versions"] = Value::Array(
        (1..=1001)
            .map(|n| {
                let mut v = one.clone();
                v["version"] = json!(n);
                v
            })
            .collect(),
    );
    refused(&import(&app, Some(&ada.token), &many).await, "versions");

    // Other fields, each by name.
    let mut wrong_format = file.clone();
    wrong_format["format"] = json!("something-else/9");
    refused(
        &import(&app, Some(&ada.token), &wrong_format).await,
        "format",
    );
    let mut out_of_order = file.clone();
    out_of_order.as_object_mut().unwrap().remove("sha256");
    out_of_order["versions"][2]["version"] = json!(1);
    refused(
        &import(&app, Some(&ada.token), &out_of_order).await,
        "versions[2].version",
    );
    let mut bidi = file.clone();
    bidi["strategy"]["title"] = json!("evil\u{202e}title");
    refused(
        &import(&app, Some(&ada.token), &bidi).await,
        "strategy.title",
    );
    let mut unknown = file.clone();
    unknown["versions"][0]["extra"] = json!(1);
    let reply = import(&app, Some(&ada.token), &unknown).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );

    assert_eq!(
        strategy_count(&app, &ada.token).await,
        owned,
        "no refused file left a strategy behind"
    );
}

#[tokio::test]
async fn import_counts_against_the_plan_limit() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let id = strategy_with_versions(&app, &ada.token).await;
    let (_, file) = export(&app, &ada.token, &id).await;
    let limits = app
        .state
        .db()
        .plans()
        .get(bb_store::PlanTier::Free)
        .await
        .unwrap();
    let mut owned = strategy_count(&app, &ada.token).await;
    while owned < limits.max_strategies as u64 {
        let reply = import(&app, Some(&ada.token), &file).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        owned += 1;
    }
    let reply = import(&app, Some(&ada.token), &file).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::QuotaExceeded);
    assert_eq!(strategy_count(&app, &ada.token).await, owned);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
