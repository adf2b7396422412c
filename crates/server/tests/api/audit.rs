//! The audit log's routes: admins only (with two-factor sign-in), a role change made through
//! the admin route appears in the export with its actor, and the package verifies.

use crate::common::*;
use bb_store::{AuditPackage, Role, verify_package};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_audit_routes_are_for_admins_with_two_factor_only() {
    let app = TestApp::spawn().await;
    let user = app.register("user@example.com").await;
    let admin = app.register("admin@example.com").await;
    app.state
        .db()
        .users()
        .set_role(&admin.id, Role::Admin, None)
        .await
        .unwrap();
    for path in ["/api/v1/admin/audit", "/api/v1/admin/audit/export"] {
        let anonymous = app.get(path, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        anonymous.error_code();
        let builder = app.get(path, Some(&user.token)).await;
        assert_eq!(builder.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(builder.error_code(), ErrorCode::Forbidden, "{path}");
        let no_two_factor = app.get(path, Some(&admin.token)).await;
        assert_eq!(no_two_factor.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            no_two_factor.error_code(),
            ErrorCode::TwoFactorRequired,
            "{path}"
        );
    }
}

async fn role_change_is_exported_and_verifies(app: TestApp) {
    let admin = app.register("admin@example.com").await;
    let user = app.register("user@example.com").await;
    app.make_admin(&admin).await;
    let changed = app
        .patch(
            &format!("/api/v1/admin/users/{}", user.id),
            Some(&admin.token),
            json!({ "role": "educator", "plan": "premium" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    let reply = app
        .get("/api/v1/admin/audit/export", Some(&admin.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let package: AuditPackage = serde_json::from_value(reply.body.clone()).unwrap();
    let summary = verify_package(&package).unwrap();
    assert!(summary.reaches_head);
    assert_eq!(package.manifest.format, "blockbuilders-audit-package/1");
    // A copy is kept in the object store, byte for byte what was answered.
    let kept = app.state.objects().list("audit/packages").await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let copy = app
        .state
        .objects()
        .get(&kept[0].key)
        .await
        .unwrap()
        .unwrap();
    let copy: serde_json::Value = serde_json::from_slice(&copy).unwrap();
    assert_eq!(copy, reply.body);
    // users are named by their pseudonyms, never their ids
    let audit = app.state.db().audit();
    let user_p = audit.pseudonym(&user.id).await.unwrap().unwrap();
    let admin_p = audit.pseudonym(&admin.id).await.unwrap().unwrap();
    let role_change = package
        .entries
        .iter()
        .find(|e| e.action == "user.role_changed" && e.entity_id == user_p)
        .expect("the role change is in the package");
    assert_eq!(role_change.entity_type, "user");
    assert_eq!(role_change.actor_id.as_deref(), Some(admin_p.as_str()));
    assert_eq!(
        role_change.payload,
        json!({ "from": "builder", "to": "educator" })
    );
    assert!(
        package
            .entries
            .iter()
            .any(|e| e.action == "user.plan_changed"
                && e.entity_id == user_p
                && e.payload == json!({ "from": "free", "to": "premium" }))
    );
    assert_eq!(
        package.evidence["users"][&user_p],
        json!({ "user_id": user.id, "role": "educator", "plan": "premium", "disabled": false })
    );
    assert_eq!(package.evidence["users"][&admin_p]["role"], "admin");

    // the list, a page at a time
    let first = app
        .get("/api/v1/admin/audit?limit=1", Some(&admin.token))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(first.body["items"][0]["seq"], 1);
    assert_eq!(first.body["next_after_seq"], 1);
    let rest = app
        .get("/api/v1/admin/audit?after_seq=1", Some(&admin.token))
        .await;
    assert_eq!(
        rest.body["items"].as_array().unwrap().len(),
        package.entries.len() - 1
    );
    assert_eq!(rest.body["next_after_seq"], json!(null));
    assert_eq!(rest.body["head_hash"], json!(package.manifest.head_hash));

    // a period before anything happened: empty, and still a package that verifies
    let empty = app
        .get(
            "/api/v1/admin/audit/export?from=2001-01-01&to=2001-12-31",
            Some(&admin.token),
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    let empty: AuditPackage = serde_json::from_value(empty.body).unwrap();
    assert!(empty.entries.is_empty());
    verify_package(&empty).unwrap();
}

#[tokio::test]
async fn a_role_change_is_exported_and_the_package_verifies_on_sqlite() {
    role_change_is_exported_and_verifies(TestApp::spawn().await).await;
}

#[tokio::test]
async fn a_role_change_is_exported_and_the_package_verifies_on_postgres() {
    role_change_is_exported_and_verifies(TestApp::spawn_postgres().await).await;
}

#[tokio::test]
async fn an_export_names_a_bad_period() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com").await;
    app.make_admin(&admin).await;
    for (query, field) in [
        ("from=soon", "from"),
        ("to=1e99", "to"),
        ("from=2024-02-01&to=2024-01-01", "from"),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/admin/audit/export?{query}"),
                Some(&admin.token),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        assert_eq!(reply.body["error"]["details"]["field"], field, "{query}");
    }
    let bad_limit = app
        .get("/api/v1/admin/audit?limit=0", Some(&admin.token))
        .await;
    assert_eq!(
        bad_limit.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_limit.text
    );
}
