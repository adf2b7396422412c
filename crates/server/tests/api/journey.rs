//! The main user journey, on SQLite and on PostgreSQL.

use crate::common::ErrorCode;
use crate::common::{MISSING_INPUT, PASSWORD, SMA_CROSSOVER, TestApp, account, graph};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn user_journey_on_sqlite() {
    journey(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn user_journey_on_postgres() {
    journey(&TestApp::spawn_postgres().await).await;
}

async fn journey(app: &TestApp) {
    // Register, then sign in again with the password.
    let registered = app.register("ada@example.com").await;
    let login = app.login("Ada@Example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let ada = account(&login);
    assert_eq!(ada.id, registered.id);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);

    // Create a strategy without a graph.
    let created = app
        .post(
            "/api/v1/strategies",
            Some(&ada.token),
            json!({ "title": "My crossover", "tags": ["Trend", "btc"], "description": "first try" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let strategy = &created.body["strategy"];
    let id = strategy["id"].as_str().unwrap().to_string();
    assert_eq!(strategy["visibility"], "private");
    assert_eq!(strategy["status"], "draft");
    assert_eq!(strategy["latest_version"], 0);
    assert_eq!(strategy["tags"], json!(["btc", "trend"]));
    assert!(created.body["version"].is_null());

    // Version 1: the valid SMA crossover.
    let versions = format!("/api/v1/strategies/{id}/versions");
    let v1 = app
        .post(
            &versions,
            Some(&ada.token),
            json!({ "graph": graph(SMA_CROSSOVER), "notes": "v1" }),
        )
        .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.text);
    assert_eq!(v1.body["version"]["version"], 1);
    assert_eq!(v1.body["version"]["valid"], true);
    assert!(v1.body["diagnostics"].is_array());

    // Version 2: a graph with a missing input is refused without allow_invalid...
    let refused = app
        .post(
            &versions,
            Some(&ada.token),
            json!({ "graph": graph(MISSING_INPUT) }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_code(), ErrorCode::ValidationFailed);
    let diagnostics = refused.body["error"]["details"]["diagnostics"]
        .as_array()
        .unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "missing_input" && d["node"] == "rsi"),
        "{diagnostics:?}"
    );

    // ...and saved as a draft with it, carrying every diagnostic.
    let v2 = app
        .post(
            &versions,
            Some(&ada.token),
            json!({ "graph": graph(MISSING_INPUT), "notes": "work in progress", "allow_invalid": true }),
        )
        .await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.text);
    assert_eq!(v2.body["version"]["version"], 2);
    assert_eq!(v2.body["version"]["valid"], false);
    assert_eq!(
        v2.body["diagnostics"].as_array().unwrap().len(),
        diagnostics.len()
    );
    assert_eq!(v2.body["version"]["diagnostics"], v2.body["diagnostics"]);

    let fetched = app
        .get(&format!("/api/v1/strategies/{id}"), Some(&ada.token))
        .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body["latest_version"], 2);
    assert_eq!(fetched.body["status"], "draft");

    // Activating needs a valid latest version.
    let activate = app
        .patch(
            &format!("/api/v1/strategies/{id}"),
            Some(&ada.token),
            json!({ "status": "active" }),
        )
        .await;
    assert_eq!(
        activate.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        activate.text
    );

    // Version 1 is kept as saved.
    let one = app.get(&format!("{versions}/1"), Some(&ada.token)).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["graph"]["name"], "SMA crossover");
    assert_eq!(one.body["notes"], "v1");

    // The list shows it to its owner.
    let mine = app
        .get("/api/v1/strategies?mine=true", Some(&ada.token))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
    let found = app
        .get("/api/v1/strategies?q=crossover&tag=trend", Some(&ada.token))
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.text);

    // Clone it; the copy is private and starts from the latest version.
    let cloned = app
        .post(
            &format!("/api/v1/strategies/{id}/clone"),
            Some(&ada.token),
            json!({ "title": "My crossover (copy)" }),
        )
        .await;
    assert_eq!(cloned.status, StatusCode::CREATED, "{}", cloned.text);
    let copy_id = cloned.body["strategy"]["id"].as_str().unwrap().to_string();
    assert_ne!(copy_id, id);
    assert_eq!(cloned.body["strategy"]["title"], "My crossover (copy)");
    assert_eq!(cloned.body["strategy"]["visibility"], "private");

    let copy_versions = app
        .get(
            &format!("/api/v1/strategies/{copy_id}/versions"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(
        copy_versions.status,
        StatusCode::OK,
        "{}",
        copy_versions.text
    );
    let list = copy_versions.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["version"], 1);
    assert_eq!(list[0]["valid"], false);
    assert_eq!(list[0]["author_id"], ada.id.as_str());

    let all = app.get(&versions, Some(&ada.token)).await;
    assert_eq!(all.body.as_array().unwrap().len(), 2);

    // Archive the original: it leaves the default list but can still be read.
    let archived = app
        .post(
            &format!("/api/v1/strategies/{id}/archive"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::NO_CONTENT);
    let mine = app
        .get("/api/v1/strategies?mine=true", Some(&ada.token))
        .await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], copy_id.as_str());
    let archived_list = app
        .get(
            "/api/v1/strategies?mine=true&status=archived",
            Some(&ada.token),
        )
        .await;
    assert_eq!(archived_list.body["items"][0]["id"], id.as_str());
    let refused = app
        .post(
            &versions,
            Some(&ada.token),
            json!({ "graph": graph(SMA_CROSSOVER) }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.error_code(), ErrorCode::Conflict);
}
