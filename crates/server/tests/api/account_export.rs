//! A user's data export over real HTTP (`GET /api/v1/me/export`): one ZIP whose manifest
//! matches its files, strategies that import into a new account with every version equal,
//! runs with their reports and trades, notifications; nobody else's data; no secrets;
//! anonymous 401; one export a minute; an audit entry per export.

use crate::common::{ErrorCode, MISSING_INPUT, SMA_CROSSOVER, TestApp, graph};
use crate::runs::SseStream;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

/// A strategy titled `title` with `extra` more versions (alternating a valid graph and a
/// draft with an error, each with its own notes); returns its id.
async fn strategy(app: &TestApp, token: &str, title: &str, extra: usize) -> String {
    let reply = app
        .post(
            "/api/v1/strategies",
            Some(token),
            json!({
                "title": title,
                "description": format!("{title}, described"),
                "tags": ["btc", "export"],
                "graph": graph(SMA_CROSSOVER),
                "notes": "first",
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.body["strategy"]["id"].as_str().unwrap().to_string();
    for i in 0..extra {
        let (text, allow_invalid) = if i % 2 == 0 {
            (MISSING_INPUT, true)
        } else {
            (SMA_CROSSOVER, false)
        };
        let reply = app
            .post(
                &format!("/api/v1/strategies/{id}/versions"),
                Some(token),
                json!({
                    "graph": graph(text),
                    "notes": format!("version {} of {title}", i + 2),
                    "allow_invalid": allow_invalid,
                }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    id
}

/// The caller's strategies by title: (version count, every version's graph and notes).
async fn strategies_by_title(app: &TestApp, token: &str) -> BTreeMap<String, Vec<(Value, Value)>> {
    let list = app
        .get("/api/v1/strategies?mine=true&limit=100", Some(token))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let mut out = BTreeMap::new();
    for item in list.body["items"].as_array().expect("items") {
        let id = item["id"].as_str().unwrap();
        let latest = item["latest_version"].as_i64().unwrap();
        let mut versions = Vec::new();
        for n in 1..=latest {
            let v = app
                .get(
                    &format!("/api/v1/strategies/{id}/versions/{n}"),
                    Some(token),
                )
                .await;
            assert_eq!(v.status, StatusCode::OK, "{}", v.text);
            versions.push((v.body["graph"].clone(), v.body["notes"].clone()));
        }
        out.insert(item["title"].as_str().unwrap().to_string(), versions);
    }
    out
}

/// A backtest of `strategy` on the demo's daily BTC, followed to its end.
async fn backtest(app: &TestApp, token: &str, strategy: &str) -> String {
    let reply = app
        .post(
            "/api/v1/backtests",
            Some(token),
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_string();
    let events = SseStream::open(app, &format!("/api/v1/backtests/{id}/events"), token)
        .await
        .collect()
        .await;
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("succeeded"),
        "{events:?}"
    );
    id
}

/// The export's status and headers, and its files by path when it succeeded.
async fn export(app: &TestApp, token: Option<&str>) -> (StatusCode, HeaderMap, Option<Files>) {
    let mut request = app.client.get(app.url("/api/v1/me/export"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let (status, headers) = (response.status(), response.headers().clone());
    if status != StatusCode::OK {
        return (status, headers, None);
    }
    let bytes = response.bytes().await.expect("the archive");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        let name = file.name().expect("a file name").to_string();
        files.insert(name, content);
    }
    (status, headers, Some(Files(files)))
}

struct Files(BTreeMap<String, Vec<u8>>);

impl Files {
    fn json(&self, path: &str) -> Value {
        let bytes = self
            .0
            .get(path)
            .unwrap_or_else(|| panic!("{path} in {:?}", self.0.keys()));
        serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
    }

    fn under(&self, prefix: &str) -> Vec<&str> {
        self.0
            .keys()
            .filter(|k| k.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    fn all_text(&self) -> String {
        self.0
            .values()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test]
async fn an_export_round_trips_into_a_new_account_on_sqlite() {
    round_trip(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn an_export_round_trips_into_a_new_account_on_postgres() {
    round_trip(&TestApp::spawn_postgres().await).await;
}

async fn round_trip(app: &TestApp) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let ada = app.register("ada.export@example.com").await;
    let bob = app.register("bob.export@example.com").await;
    let first = strategy(app, &ada.token, "Ada's crossover", 2).await;
    strategy(app, &ada.token, "Ada's second idea", 3).await;
    strategy(app, &ada.token, "Ada's single version", 0).await;
    let run = backtest(app, &ada.token, &first).await;
    let bob_strategy = strategy(app, &bob.token, "Bob's hidden plan", 2).await;
    backtest(app, &bob.token, &bob_strategy).await;

    // Anonymous and a bad token: 401, and nothing recorded.
    let (anonymous, _, _) = export(app, None).await;
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
    let (forged, _, _) = export(app, Some("not-a-token")).await;
    assert_eq!(forged, StatusCode::UNAUTHORIZED);
    assert_eq!(exports_audited(app).await, 0);

    let (status, headers, files) = export(app, Some(&ada.token)).await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "application/zip");
    let today = bb_domain::calendar::format_date(bb_store::now_ms());
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"blockbuilders-export-{today}.zip\"")
    );
    let files = files.unwrap();

    // The manifest lists every other file with its size and SHA-256.
    let manifest = files.json("manifest.json");
    assert_eq!(manifest["format"], "blockbuilders-export/1");
    assert_eq!(manifest["user_id"], ada.id.as_str());
    let listed: Vec<&Value> = manifest["files"].as_array().unwrap().iter().collect();
    assert_eq!(
        listed.len(),
        files.0.len() - 1,
        "every file but the manifest"
    );
    for entry in listed {
        let path = entry["path"].as_str().unwrap();
        let bytes = files.0.get(path).unwrap_or_else(|| panic!("{path} listed"));
        assert_eq!(entry["bytes"].as_u64(), Some(bytes.len() as u64), "{path}");
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            hex::encode(Sha256::digest(bytes)),
            "{path}"
        );
        if path.ends_with(".json") {
            files.json(path);
        }
    }
    let readme = String::from_utf8(files.0["README.txt"].clone()).unwrap();
    for path in files
        .0
        .keys()
        .filter(|p| !p.contains('/') && *p != "README.txt")
    {
        assert!(readme.contains(path.as_str()), "README describes {path}");
    }

    // Profile without secrets; nobody else's data anywhere.
    let profile = files.json("profile.json");
    assert_eq!(profile["id"], ada.id.as_str());
    assert_eq!(profile["email"], "ada.export@example.com");
    assert_eq!(profile["two_factor_enabled"], false);
    let text = files.all_text();
    for secret in [
        "password_hash",
        "$argon2",
        "totp_secret",
        "token_hash",
        "whsec_",
    ] {
        assert!(!text.contains(secret), "the archive holds {secret}");
    }
    for other in [
        bob.id.as_str(),
        "bob.export@example.com",
        "Bob's hidden plan",
        &bob_strategy,
    ] {
        assert!(
            !text.contains(other),
            "the archive holds another user's {other}"
        );
    }

    // The run with its report and trades; the notification it made.
    let run_file = files.json(&format!("runs/backtest/{run}.json"));
    assert_eq!(run_file["run"]["id"], run.as_str());
    assert_eq!(run_file["run"]["status"], "succeeded");
    assert!(
        run_file["report"]["trades"].is_array(),
        "{}",
        run_file["report"]
    );
    assert!(run_file["events"].as_array().is_some_and(|e| e.len() >= 2));
    assert_eq!(files.under("runs/").len(), 1);
    let notifications = files.json("notifications.json");
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["link"].as_str().is_some_and(|l| l.contains(&run))),
        "{notifications}"
    );
    assert!(files.json("plan/plan.json")["max_strategies"].is_i64());

    // Every strategy file imports into a new account, equal version for version.
    let strategy_files = files.under("strategies/");
    assert_eq!(strategy_files.len(), 3, "{strategy_files:?}");
    let carol = app.register("carol.export@example.com").await;
    for path in &strategy_files {
        let file = files.json(path);
        assert_eq!(file["format"], "blockbuilders-strategy/1");
        let imported = app
            .post("/api/v1/strategies/import", Some(&carol.token), file)
            .await;
        assert_eq!(
            imported.status,
            StatusCode::CREATED,
            "{path}: {}",
            imported.text
        );
    }
    let originals = strategies_by_title(app, &ada.token).await;
    let copies = strategies_by_title(app, &carol.token).await;
    assert_eq!(originals.len(), 3);
    assert_eq!(
        originals.values().map(Vec::len).collect::<Vec<_>>(),
        copies.values().map(Vec::len).collect::<Vec<_>>()
    );
    assert_eq!(originals, copies, "titles, graphs and notes per version");

    // The export is audited; a second one within a minute is refused.
    assert_eq!(exports_audited(app).await, 1);
    let again = app.get("/api/v1/me/export", Some(&ada.token)).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.text
    );
    assert_eq!(again.error_code(), ErrorCode::RateLimited);
    let retry: u64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another user is not limited by it.
    let (other, _, _) = export(app, Some(&bob.token)).await;
    assert_eq!(other, StatusCode::OK);
    assert_eq!(exports_audited(app).await, 2);
}

/// How many `user.exported` entries the audit log holds.
async fn exports_audited(app: &TestApp) -> usize {
    let entries = app
        .state
        .db()
        .audit()
        .list(None, None, None, 10_000)
        .await
        .unwrap();
    entries
        .iter()
        .filter(|e| e.action == "user.exported")
        .count()
}

#[tokio::test]
async fn an_admin_exports_a_users_data_on_request_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let root = app.register("root.export@example.com").await;
    let secret = app.make_admin(&root).await;
    let root = app
        .login_two_factor("root.export@example.com", &secret, 1)
        .await;
    let ada = app.register("ada.asks@example.com").await;
    strategy(&app, &ada.token, "Ada's plan", 1).await;
    let path = format!("/api/v1/admin/users/{}/export", ada.id);

    // Anonymous, the user herself and a bad id are refused.
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get(&path, Some(&ada.token)).await.status,
        StatusCode::FORBIDDEN
    );
    let missing = app
        .get("/api/v1/admin/users/no-such-user/export", Some(&root.token))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&root.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut profile = String::new();
    archive
        .by_name("profile.json")
        .unwrap()
        .read_to_string(&mut profile)
        .unwrap();
    let profile: Value = serde_json::from_str(&profile).unwrap();
    assert_eq!(profile["email"], "ada.asks@example.com");
    assert!(
        archive
            .file_names()
            .any(|n| n.is_ok_and(|n| n.starts_with("strategies/")))
    );

    // Audited: about Ada, by the admin (both as the chain names them now).
    let audit = app
        .get("/api/v1/admin/audit?limit=500", Some(&root.token))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let entry = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "user.exported")
        .unwrap_or_else(|| panic!("an export entry: {}", audit.text));
    assert_eq!(entry["subject"]["user_id"], ada.id.as_str());
    assert_eq!(entry["actor"]["user_id"], root.id.as_str());
}
