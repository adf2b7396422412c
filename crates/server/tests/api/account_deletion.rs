//! Account deletion over real HTTP, on SQLite and PostgreSQL: a user with strategies, a
//! run, notifications, a webhook, a cohort with a member and a cohort template someone
//! cloned, and admin changes in the audit log deletes their account (password and
//! two-factor code); then every text column of every table is scanned for their id, email
//! and name, the other users' data is checked intact, the old tokens are refused and the
//! audit chain still verifies. An admin deletes another account with a reason.

use crate::common::{Account, ErrorCode, PASSWORD, TestApp, account, totp_code};
use crate::templates::{DISCLOSURE, finish};
use bb_store::verify_package;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

#[tokio::test]
async fn account_deletion_on_sqlite() {
    journey(&TestApp::spawn_with(|c| c.auth_rate_limit = 100).await).await;
}

#[tokio::test]
async fn account_deletion_on_postgres() {
    journey(&TestApp::spawn_postgres_with(|c| c.auth_rate_limit = 100).await).await;
}

/// Registers with a display name and signs in.
async fn register_named(app: &TestApp, email: &str, name: &str) -> Account {
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "password": PASSWORD, "display_name": name }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    account(&login)
}

async fn delete(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> crate::common::Reply {
    app.call(Method::DELETE, path, token, Some(body)).await
}

fn field_of(reply: &crate::common::Reply) -> &str {
    assert_eq!(
        reply.error_code(),
        ErrorCode::ValidationFailed,
        "{}",
        reply.text
    );
    reply.body["error"]["details"]["field"]
        .as_str()
        .unwrap_or("")
}

async fn journey(app: &TestApp) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let root = app.register("root@example.com").await;
    let root_secret = app.make_admin(&root).await;
    let root = app
        .login_two_factor("root@example.com", &root_secret, 1)
        .await;
    let ada = register_named(app, "ada.lovelace@example.com", "Ada Lovelace").await;
    let bob = register_named(app, "bob@example.com", "Bob Builder").await;
    let carol = register_named(app, "carol@example.com", "Carol Danvers").await;

    // An admin action on ada: audit entries about her exist.
    let changed = app
        .patch(
            &format!("/api/v1/admin/users/{}", ada.id),
            Some(&root.token),
            json!({ "plan": "educator", "role": "educator" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    // Ada's data: a strategy and a finished backtest (a notification), a webhook, a cohort
    // that bob joins, a cohort template bob clones.
    let strategy = app
        .create_strategy(&ada.token, "Ada's crossover", "private")
        .await;
    let run = finish(
        app,
        &ada.token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await;
    let hook = app
        .post(
            "/api/v1/webhooks",
            Some(&ada.token),
            json!({ "url": "https://hooks.example.com/ada", "description": "Ada Lovelace's hook" }),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
    let cohort = app
        .post(
            "/api/v1/cohorts",
            Some(&ada.token),
            json!({ "name": "Ada Lovelace's class" }),
        )
        .await;
    assert_eq!(cohort.status, StatusCode::CREATED, "{}", cohort.text);
    let cohort_id = cohort.body["id"].as_str().unwrap().to_owned();
    let joined = app
        .post(
            "/api/v1/cohorts/join",
            Some(&bob.token),
            json!({ "code": cohort.body["invite_code"] }),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.text);
    let template = app
        .post(
            "/api/v1/templates",
            Some(&ada.token),
            json!({ "strategy_id": strategy, "version": 1, "audience": "cohort",
                    "cohort_id": cohort_id, "disclosure": DISCLOSURE }),
        )
        .await;
    assert_eq!(template.status, StatusCode::CREATED, "{}", template.text);
    let template_id = template.body["id"].as_str().unwrap().to_owned();
    let cloned = app
        .post(
            &format!("/api/v1/templates/{template_id}/clone"),
            Some(&bob.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(cloned.status, StatusCode::CREATED, "{}", cloned.text);
    let bob_copy = cloned.body["strategy_id"].as_str().unwrap().to_owned();
    let bob_own = app
        .create_strategy(&bob.token, "Bob's own", "private")
        .await;
    let notes = app
        .get(
            &format!("/api/v1/strategies/{bob_copy}/versions/1"),
            Some(&bob.token),
        )
        .await;
    assert!(notes.text.contains("by Ada Lovelace"), "{}", notes.text);

    // Ada turns two-factor sign-in on: deleting then needs a code.
    let (ada_secret, _) = app.enable_two_factor(&ada.token).await;

    // Refusals: anonymous, wrong password, no code, wrong code, unknown field.
    let body = json!({ "password": PASSWORD, "code": null });
    let anon = delete(app, "/api/v1/me", None, body.clone()).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{}", anon.text);
    let wrong = delete(
        app,
        "/api/v1/me",
        Some(&ada.token),
        json!({ "password": "not it at all" }),
    )
    .await;
    assert_eq!(field_of(&wrong), "password");
    let no_code = delete(app, "/api/v1/me", Some(&ada.token), body.clone()).await;
    assert_eq!(field_of(&no_code), "code");
    let bad_code = delete(
        app,
        "/api/v1/me",
        Some(&ada.token),
        json!({ "password": PASSWORD, "code": "12345" }),
    )
    .await;
    assert_eq!(field_of(&bad_code), "code");
    let unknown = delete(
        app,
        "/api/v1/me",
        Some(&ada.token),
        json!({ "password": PASSWORD, "sneaky": true }),
    )
    .await;
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&unknown.status),
        "{}",
        unknown.text
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&ada.token)).await.status,
        StatusCode::OK
    );

    // The admin route: not for non-admins, not for unknown ids, not for oneself, and a
    // reason that is missing, too long or names the user is refused.
    let reason = json!({ "reason": "Erasure request received by post, ticket 4411" });
    let as_bob = delete(
        app,
        &format!("/api/v1/admin/users/{}", carol.id),
        Some(&bob.token),
        reason.clone(),
    )
    .await;
    assert_eq!(as_bob.status, StatusCode::FORBIDDEN, "{}", as_bob.text);
    let as_anon = delete(
        app,
        &format!("/api/v1/admin/users/{}", carol.id),
        None,
        reason.clone(),
    )
    .await;
    assert_eq!(as_anon.status, StatusCode::UNAUTHORIZED, "{}", as_anon.text);
    let unknown_id = delete(
        app,
        "/api/v1/admin/users/no-such-user",
        Some(&root.token),
        reason.clone(),
    )
    .await;
    assert_eq!(
        unknown_id.status,
        StatusCode::NOT_FOUND,
        "{}",
        unknown_id.text
    );
    let own = delete(
        app,
        &format!("/api/v1/admin/users/{}", root.id),
        Some(&root.token),
        reason.clone(),
    )
    .await;
    assert_eq!(field_of(&own), "id");
    for bad in [
        json!({ "reason": "  " }),
        json!({ "reason": "x".repeat(501) }),
        json!({ "reason": "asked by carol@example.com" }),
        json!({ "reason": "Carol Danvers wrote to us" }),
        json!({ "reason": "bell\u{7}" }),
    ] {
        let r = delete(
            app,
            &format!("/api/v1/admin/users/{}", carol.id),
            Some(&root.token),
            bad.clone(),
        )
        .await;
        assert_eq!(field_of(&r), "reason", "{bad}");
    }
    assert_eq!(
        app.get("/api/v1/me", Some(&carol.token)).await.status,
        StatusCode::OK
    );

    // Ada deletes her account.
    let gone = delete(
        app,
        "/api/v1/me",
        Some(&ada.token),
        json!({ "password": PASSWORD, "code": totp_code(&ada_secret, 1) }),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let cleared = gone
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("bb_refresh=;") && v.contains("Max-Age=0"));
    assert!(cleared, "{:?}", gone.headers);

    // Her tokens are refused everywhere.
    for path in [
        "/api/v1/me".to_owned(),
        "/api/v1/strategies".to_owned(),
        "/api/v1/notifications".to_owned(),
        "/api/v1/webhooks".to_owned(),
        format!("/api/v1/backtests/{run}"),
    ] {
        let r = app.get(&path, Some(&ada.token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}: {}", r.text);
    }
    let again = delete(app, "/api/v1/me", Some(&ada.token), body.clone()).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": ada.refresh }),
        )
        .await;
    assert_eq!(
        refreshed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refreshed.text
    );
    let login = app.login("ada.lovelace@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{}", login.text);

    // Nothing of her is left in any text column of any table.
    let leftovers = scan(app, &[&ada.id, "ada.lovelace@example.com", "ada lovelace"]).await;
    assert!(leftovers.is_empty(), "found in: {leftovers:?}");

    // Bob's data is intact: his own strategy, and his copy of her template (attributed to a
    // deleted user); her cohort is dissolved.
    let own = app
        .get(&format!("/api/v1/strategies/{bob_own}"), Some(&bob.token))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let copy = app
        .get(
            &format!("/api/v1/strategies/{bob_copy}/versions/1"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(copy.status, StatusCode::OK, "{}", copy.text);
    assert!(copy.text.contains("by a deleted user"), "{}", copy.text);
    let cohorts = app
        .get(&format!("/api/v1/cohorts/{cohort_id}"), Some(&bob.token))
        .await;
    assert_eq!(cohorts.status, StatusCode::NOT_FOUND, "{}", cohorts.text);
    assert_eq!(
        app.get("/api/v1/me", Some(&bob.token)).await.status,
        StatusCode::OK
    );

    // An admin deletes carol, with a reason.
    let erased = delete(
        app,
        &format!("/api/v1/admin/users/{}", carol.id),
        Some(&root.token),
        reason.clone(),
    )
    .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.text);
    assert_eq!(
        app.get("/api/v1/me", Some(&carol.token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let twice = delete(
        app,
        &format!("/api/v1/admin/users/{}", carol.id),
        Some(&root.token),
        reason.clone(),
    )
    .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND, "{}", twice.text);
    let leftovers = scan(app, &[&carol.id, "carol@example.com", "carol danvers"]).await;
    assert!(leftovers.is_empty(), "found in: {leftovers:?}");

    // The audit chain still verifies, and shows them as deleted users.
    assert!(app.state.db().audit().verify().await.unwrap().is_ok());
    let package = app
        .get("/api/v1/admin/audit/export", Some(&root.token))
        .await;
    assert_eq!(package.status, StatusCode::OK, "{}", package.text);
    let package: bb_store::AuditPackage = serde_json::from_value(package.body).unwrap();
    assert!(verify_package(&package).unwrap().reaches_head);
    let list = app
        .get("/api/v1/admin/audit?limit=500", Some(&root.token))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    let erasures: Vec<&Value> = items
        .iter()
        .filter(|e| e["action"] == "user.erased")
        .collect();
    assert_eq!(erasures.len(), 2, "{}", list.text);
    for e in &erasures {
        assert!(e["entity_id"].as_str().unwrap().starts_with("u_"), "{e}");
        assert_eq!(
            e["subject"],
            json!({ "user_id": null, "label": "deleted user" })
        );
    }
    assert_eq!(erasures[0]["payload"], json!({ "requested_by": "self" }));
    assert_eq!(erasures[0]["actor"]["label"], "deleted user");
    assert_eq!(
        erasures[1]["payload"],
        json!({ "requested_by": "admin", "reason": "Erasure request received by post, ticket 4411" })
    );
    assert_eq!(
        erasures[1]["actor"],
        json!({ "user_id": root.id, "label": "root@example.com" })
    );
    // the admin's change of ada's plan names her as a deleted user now, the admin as himself
    let plan = items
        .iter()
        .find(|e| e["action"] == "user.plan_changed" && e["subject"]["label"] == "deleted user")
        .expect("ada's plan change");
    assert_eq!(plan["actor"]["user_id"], json!(root.id));
}

/// Every (table, column) whose text holds one of `needles` (case-insensitive).
async fn scan(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let url = app.state.config().database_url.clone();
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    let sqlite = url.starts_with("sqlite");
    let tables: Vec<String> = if sqlite {
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        sqlx::query_scalar(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    assert!(tables.len() > 30, "{tables:?}");
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<(String, String)> = if sqlite {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT name, type FROM pragma_table_info('{table}')"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
        } else {
            sqlx::query(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM \
                 information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = $1",
            )
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
        };
        for (column, kind) in columns {
            let kind = kind.to_uppercase();
            if !(kind.contains("TEXT") || kind.contains("CHAR")) {
                continue;
            }
            for needle in needles {
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE LOWER(\"{column}\") LIKE $1"
                )))
                .bind(format!("%{}%", needle.to_lowercase()))
                .fetch_one(&mut conn)
                .await
                .unwrap();
                if n > 0 {
                    found.push(format!("{table}.{column} ({n} × {needle})"));
                }
            }
        }
    }
    conn.close().await.unwrap();
    found
}
