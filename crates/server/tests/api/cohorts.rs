//! Cohorts over real HTTP: an educator creates one and shares its code; students join,
//! see the cohort's templates and clone them; outsiders see nothing; the educator's
//! dashboard aggregates members' backtests of clones; leaving, removal and a new code take
//! effect at once; plan limits refuse with their metric.

use crate::common::{ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::templates::{DISCLOSURE, finish};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_cohort_journey_on_sqlite() {
    journey(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn the_cohort_journey_on_postgres() {
    journey(&TestApp::spawn_postgres().await).await;
}

async fn journey(app: &TestApp) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let educator = app.register("edu@example.com").await;
    let student = app.register("stu@example.com").await;
    let outsider = app.register("out@example.com").await;

    // Only the educator plan runs cohorts.
    let refused = app
        .post(
            "/api/v1/cohorts",
            Some(&educator.token),
            json!({ "name": "Class of 2027" }),
        )
        .await;
    assert_eq!(
        refused.error_code(),
        ErrorCode::QuotaExceeded,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["error"]["details"]["metric"], "cohorts");
    app.state
        .db()
        .users()
        .set_plan(&educator.id, bb_store::PlanTier::Educator, None)
        .await
        .unwrap();
    let bad = app
        .post(
            "/api/v1/cohorts",
            Some(&educator.token),
            json!({ "name": " " }),
        )
        .await;
    assert_eq!(
        bad.body["error"]["details"]["field"], "name",
        "{}",
        bad.text
    );
    let created = app
        .post(
            "/api/v1/cohorts",
            Some(&educator.token),
            json!({ "name": "Class of 2027", "description": "Trend following, week 1" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_conforms("CohortView", &created.body);
    assert_eq!(created.body["role"], "educator");
    let cohort = created.body["id"].as_str().unwrap().to_owned();
    let code = created.body["invite_code"].as_str().unwrap().to_owned();

    // A cohort template: published at once, to members only.
    let strategy = app
        .create_strategy(&educator.token, "Class crossover", "private")
        .await;
    finish(
        app,
        &educator.token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await;
    let without_cohort = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            json!({ "strategy_id": strategy, "version": 1, "audience": "cohort", "disclosure": DISCLOSURE }),
        )
        .await;
    assert_eq!(
        without_cohort.body["error"]["details"]["field"],
        "cohort_id"
    );
    let published = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            json!({ "strategy_id": strategy, "version": 1, "audience": "cohort",
                    "cohort_id": cohort, "disclosure": DISCLOSURE }),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    assert_eq!(published.body["status"], "published");
    assert_eq!(published.body["audience"], "cohort");
    let template = published.body["id"].as_str().unwrap().to_owned();
    // Not in the public gallery; invisible to outsiders.
    let gallery = app.get("/api/v1/templates", None).await;
    assert_eq!(gallery.body["total"], 0);
    for (path, token) in [
        (
            format!("/api/v1/templates/{template}"),
            Some(outsider.token.as_str()),
        ),
        (format!("/api/v1/templates/{template}"), None),
        (
            format!("/api/v1/cohorts/{cohort}"),
            Some(outsider.token.as_str()),
        ),
        (
            format!("/api/v1/cohorts/{cohort}/templates"),
            Some(student.token.as_str()),
        ),
        (
            format!("/api/v1/cohorts/{cohort}/dashboard"),
            Some(outsider.token.as_str()),
        ),
    ] {
        let reply = app.get(&path, token).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
    }
    let outsider_clone = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&outsider.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(outsider_clone.status, StatusCode::NOT_FOUND);

    // A student of another cohort (of the same educator) sees none of this one's.
    let other = app
        .post(
            "/api/v1/cohorts",
            Some(&educator.token),
            json!({ "name": "Evening class" }),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    let other_id = other.body["id"].as_str().unwrap().to_owned();
    let joined_other = app
        .post(
            "/api/v1/cohorts/join",
            Some(&outsider.token),
            json!({ "code": other.body["invite_code"] }),
        )
        .await;
    assert_eq!(joined_other.status, StatusCode::OK, "{}", joined_other.text);
    for path in [
        format!("/api/v1/templates/{template}"),
        format!("/api/v1/cohorts/{cohort}"),
        format!("/api/v1/cohorts/{cohort}/templates"),
    ] {
        let reply = app.get(&path, Some(&outsider.token)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
    }
    let theirs = app
        .get(
            &format!("/api/v1/cohorts/{other_id}/templates"),
            Some(&outsider.token),
        )
        .await;
    assert_eq!(theirs.body["total"], 0, "the other cohort has no template");
    let cross_clone = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&outsider.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(cross_clone.status, StatusCode::NOT_FOUND);
    let leave_other = app
        .post(
            &format!("/api/v1/cohorts/{other_id}/leave"),
            Some(&outsider.token),
            json!({}),
        )
        .await;
    assert_eq!(leave_other.status, StatusCode::NO_CONTENT);

    // The student joins with the code (any case), sees the cohort and its template.
    for (body, status) in [
        (
            json!({ "code": "not a code!" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({ "code": "ABCDEF0123456789" }), StatusCode::NOT_FOUND),
    ] {
        let reply = app
            .post("/api/v1/cohorts/join", Some(&student.token), body)
            .await;
        assert_eq!(reply.status, status, "{}", reply.text);
    }
    let own = app
        .post(
            "/api/v1/cohorts/join",
            Some(&educator.token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    let joined = app
        .post(
            "/api/v1/cohorts/join",
            Some(&student.token),
            json!({ "code": code.to_lowercase() }),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.text);
    assert_eq!(joined.body["role"], "member");
    assert!(
        joined.body["invite_code"].is_null(),
        "members do not see the code"
    );
    let again = app
        .post(
            "/api/v1/cohorts/join",
            Some(&student.token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(
        again.body["member_count"], 1,
        "joining twice is one membership"
    );
    let mine = app.get("/api/v1/cohorts", Some(&student.token)).await;
    assert_conforms("CohortList", &mine.body);
    assert_eq!(mine.body["items"][0]["id"], cohort.as_str());
    let detail = app
        .get(&format!("/api/v1/cohorts/{cohort}"), Some(&student.token))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body["members"].is_null(),
        "members do not see each other"
    );
    let listed = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/templates"),
            Some(&student.token),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_conforms("TemplatePage", &listed.body);
    assert_eq!(listed.body["items"][0]["id"], template.as_str());
    let seen = app
        .get(
            &format!("/api/v1/templates/{template}"),
            Some(&student.token),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    // A member's dashboard is the educator's alone.
    let theirs = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/dashboard"),
            Some(&student.token),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);

    // The student clones and backtests it; the dashboard aggregates, naming no one.
    let cloned = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&student.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(cloned.status, StatusCode::CREATED, "{}", cloned.text);
    let copy = cloned.body["strategy_id"].as_str().unwrap().to_owned();
    finish(
        app,
        &student.token,
        "backtests",
        json!({ "strategy_id": copy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await;
    let dashboard = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/dashboard"),
            Some(&educator.token),
        )
        .await;
    assert_eq!(dashboard.status, StatusCode::OK, "{}", dashboard.text);
    assert_conforms("CohortDashboard", &dashboard.body);
    assert_eq!(dashboard.body["member_count"], 1);
    let outcome = &dashboard.body["templates"][0];
    assert_eq!(outcome["clones"], 1);
    assert_eq!(outcome["members_tested"], 1);
    assert_eq!(outcome["backtests"], 1);
    assert!(outcome["median_return_pct"].is_number(), "{outcome}");
    assert!(
        !dashboard.text.contains(&copy),
        "no member's strategy is named"
    );
    let members = app
        .get(&format!("/api/v1/cohorts/{cohort}"), Some(&educator.token))
        .await;
    assert_eq!(members.body["members"][0]["user_id"], student.id.as_str());

    // Leaving ends access at once; the educator cannot leave; removal and a new code.
    let stay = app
        .post(
            &format!("/api/v1/cohorts/{cohort}/leave"),
            Some(&educator.token),
            json!({}),
        )
        .await;
    assert_eq!(stay.status, StatusCode::UNPROCESSABLE_ENTITY);
    let left = app
        .post(
            &format!("/api/v1/cohorts/{cohort}/leave"),
            Some(&student.token),
            json!({}),
        )
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.text);
    let gone = app
        .get(
            &format!("/api/v1/templates/{template}"),
            Some(&student.token),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let rejoined = app
        .post(
            "/api/v1/cohorts/join",
            Some(&student.token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(rejoined.status, StatusCode::OK);
    let not_theirs = app
        .delete_path(
            &format!("/api/v1/cohorts/{cohort}/members/{}", educator.id),
            &student.token,
        )
        .await;
    assert!(matches!(
        not_theirs,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let removed = app
        .delete_path(
            &format!("/api/v1/cohorts/{cohort}/members/{}", student.id),
            &educator.token,
        )
        .await;
    assert_eq!(removed, StatusCode::NO_CONTENT);
    let rotated = app
        .post(
            &format!("/api/v1/cohorts/{cohort}/invite"),
            Some(&educator.token),
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    assert_ne!(rotated.body["invite_code"], code.as_str());
    let old = app
        .post(
            "/api/v1/cohorts/join",
            Some(&outsider.token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::NOT_FOUND,
        "the old code stops working"
    );
    let rotate_theirs = app
        .post(
            &format!("/api/v1/cohorts/{cohort}/invite"),
            Some(&outsider.token),
            json!({}),
        )
        .await;
    assert_eq!(rotate_theirs.status, StatusCode::NOT_FOUND);
    for path in [
        "/api/v1/cohorts".to_owned(),
        format!("/api/v1/cohorts/{cohort}"),
    ] {
        let anonymous = app.get(&path, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}
