//! Templates and compliance review over real HTTP, the seed's loop: an educator publishes a
//! version to the public → the machine gates run and their evidence goes into a
//! `risk_review` event → reviewers get a `governance_task` → a reviewer approves → the
//! template is in the gallery → a student clones it (the count rises) → a takedown hides it
//! and its educator is told why; the clone keeps working. Every route is tried as
//! anonymous, as another user, as reviewer and as admin.

use crate::common::{Account, ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::runs::SseStream;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(crate) const DISCLOSURE: &str = "Past results do not promise future ones. This is education, not \
                          advice: you can lose money trading crypto.";

pub(crate) async fn finish(app: &TestApp, token: &str, kind: &str, body: Value) -> String {
    let reply = app
        .post(&format!("/api/v1/{kind}"), Some(token), body)
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let events = SseStream::open(app, &format!("/api/v1/{kind}/{id}/events"), token)
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

/// An educator on the educator plan with a strategy that has a backtest with costs (over
/// 30 trades) and a robustness check; returns the account and the strategy.
async fn educator_with_evidence(app: &TestApp, email: &str) -> (Account, String) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let educator = app.register(email).await;
    app.state
        .db()
        .users()
        .set_plan(&educator.id, bb_store::PlanTier::Educator, None)
        .await
        .unwrap();
    let strategy = app
        .create_strategy(&educator.token, "Trend crossover", "private")
        .await;
    finish(
        app,
        &educator.token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await;
    finish(
        app,
        &educator.token,
        "robustness",
        json!({
            "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d",
            "params": ["fast.period=5..20:5", "slow.period=30..90:20"],
            "where": ["fast.period<slow.period"],
            "windows": 3, "min_trades": 2, "monte_carlo_runs": 200, "seed": 7, "pbo_blocks": 8
        }),
    )
    .await;
    (educator, strategy)
}

async fn reviewer(app: &TestApp, email: &str) -> Account {
    let account = app.register(email).await;
    app.state
        .db()
        .users()
        .set_reviewer(&account.id, true, None)
        .await
        .unwrap();
    account
}

fn publish_body(strategy: &str) -> Value {
    json!({ "strategy_id": strategy, "version": 1, "audience": "public",
            "title": "Trend crossover for beginners", "tags": ["Trend", "BTC"],
            "disclosure": DISCLOSURE })
}

#[tokio::test]
async fn the_review_loop_publishes_clones_and_takes_down_on_sqlite() {
    review_loop(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn the_review_loop_publishes_clones_and_takes_down_on_postgres() {
    review_loop(&TestApp::spawn_postgres().await).await;
}

async fn review_loop(app: &TestApp) {
    let (educator, strategy) = educator_with_evidence(app, "edu@example.com").await;
    let rita = reviewer(app, "rita@example.com").await;
    let student = app.register("sam@example.com").await;

    // The checklist: every gate with what it found, and the card it would publish.
    let gates = app
        .get(
            &format!("/api/v1/templates/gates?strategy_id={strategy}&version=1"),
            Some(&educator.token),
        )
        .await;
    assert_eq!(gates.status, StatusCode::OK, "{}", gates.text);
    assert_conforms("GatesView", &gates.body);
    let names: Vec<&str> = gates.body["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "backtest_with_costs",
            "min_trades",
            "no_critical_warnings",
            "out_of_sample"
        ]
    );
    assert_eq!(gates.body["passed"], true, "{}", gates.text);
    let card = &gates.body["card"];
    assert_eq!(card["fee_pct"], 0.1);
    assert_eq!(card["slippage_bps"], 5.0);
    assert!(card["metrics"]["trades"].as_u64().unwrap() >= 30, "{card}");
    assert!(card["robustness"]["run_id"].is_string(), "{card}");

    // Publishing to the public opens a review; nobody else sees the template yet.
    let published = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            publish_body(&strategy),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    assert_conforms("TemplateView", &published.body);
    assert_eq!(published.body["status"], "pending_review");
    assert_eq!(published.body["tags"], json!(["btc", "trend"]));
    assert_eq!(published.body["review"]["status"], "open");
    let template = published.body["id"].as_str().unwrap().to_owned();
    let gallery = app.get("/api/v1/templates", None).await;
    assert_eq!(gallery.body["total"], 0, "{}", gallery.text);
    for token in [None, Some(student.token.as_str())] {
        let hidden = app
            .get(&format!("/api/v1/templates/{template}"), token)
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text);
    }
    // The same version cannot be submitted twice.
    let again = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            publish_body(&strategy),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // The reviewer is told, and finds the event with its evidence.
    let told = app.get("/api/v1/notifications", Some(&rita.token)).await;
    let task = told.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "governance_task")
        .unwrap_or_else(|| panic!("no governance task: {}", told.text))
        .clone();
    assert_eq!(task["link"], "/review");
    let queue = app
        .get(
            "/api/v1/admin/compliance/events?status=open",
            Some(&rita.token),
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
    assert_conforms("ComplianceEventPage", &queue.body);
    assert_eq!(queue.body["total"], 1);
    let event = &queue.body["items"][0];
    assert_eq!(event["event_type"], "risk_review");
    assert_eq!(event["entity_id"], template.as_str());
    assert_eq!(event["template"]["title"], "Trend crossover for beginners");
    let evidence = event["payload"]["gates"].as_array().unwrap();
    assert_eq!(evidence.len(), 5, "{evidence:?}");
    assert!(evidence.iter().all(|g| g["passed"] == true));
    let event_id = event["id"].as_str().unwrap().to_owned();

    // Nobody but reviewers reaches the queue; a reviewer must give a reason to reject.
    for (token, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(educator.token.as_str()), StatusCode::FORBIDDEN),
        (Some(student.token.as_str()), StatusCode::FORBIDDEN),
    ] {
        let list = app.get("/api/v1/admin/compliance/events", token).await;
        assert_eq!(list.status, status, "{}", list.text);
        let one = app
            .get(
                &format!("/api/v1/admin/compliance/events/{event_id}"),
                token,
            )
            .await;
        assert_eq!(one.status, status, "{}", one.text);
        let decide = app
            .patch(
                &format!("/api/v1/admin/compliance/events/{event_id}"),
                token,
                json!({ "status": "approved" }),
            )
            .await;
        assert_eq!(decide.status, status, "{}", decide.text);
        let takedown = app
            .post(
                "/api/v1/admin/compliance/takedowns",
                token,
                json!({ "template_id": template, "reason": "no" }),
            )
            .await;
        assert_eq!(takedown.status, status, "{}", takedown.text);
    }
    let no_reason = app
        .patch(
            &format!("/api/v1/admin/compliance/events/{event_id}"),
            Some(&rita.token),
            json!({ "status": "rejected" }),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.body["error"]["details"]["field"], "reason");

    // Approval publishes it and tells the educator.
    let approved = app
        .patch(
            &format!("/api/v1/admin/compliance/events/{event_id}"),
            Some(&rita.token),
            json!({ "status": "approved", "reason": "Costs on, 30+ trades, holds up out of sample." }),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_conforms("ComplianceEventView", &approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["resolved_by"], rita.id.as_str());
    assert_eq!(approved.body["template"]["status"], "published");
    let twice = app
        .patch(
            &format!("/api/v1/admin/compliance/events/{event_id}"),
            Some(&rita.token),
            json!({ "status": "rejected", "reason": "changed my mind" }),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    let mine = app
        .get("/api/v1/notifications", Some(&educator.token))
        .await;
    assert!(
        mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "template_review"
                && n["title"].as_str().unwrap().contains("is published")),
        "{}",
        mine.text
    );

    // The gallery shows it to anyone, with its card; search and tags find it.
    for query in ["", "?search=BEGINNERS", "?tag=trend", "?sort=clones"] {
        let gallery = app.get(&format!("/api/v1/templates{query}"), None).await;
        assert_eq!(gallery.status, StatusCode::OK, "{}", gallery.text);
        assert_conforms("TemplatePage", &gallery.body);
        assert_eq!(gallery.body["total"], 1, "{query}: {}", gallery.text);
        assert!(gallery.body["items"][0]["review"].is_null());
    }
    let none = app
        .get("/api/v1/templates?search=nothing-like-it", None)
        .await;
    assert_eq!(none.body["total"], 0);

    // A student clones it after reading the disclosure; the count rises.
    let unacknowledged = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&student.token),
            json!({ "acknowledge_disclosure": false }),
        )
        .await;
    assert_eq!(unacknowledged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            None,
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let cloned = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&student.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(cloned.status, StatusCode::CREATED, "{}", cloned.text);
    assert_conforms("CloneView", &cloned.body);
    assert_eq!(cloned.body["template"]["clone_count"], 1);
    let copy = cloned.body["strategy_id"].as_str().unwrap().to_owned();
    let versions = app
        .get(
            &format!("/api/v1/strategies/{copy}/versions/1"),
            Some(&student.token),
        )
        .await;
    assert_eq!(versions.status, StatusCode::OK, "{}", versions.text);
    assert!(
        versions.text.contains("Cloned from the template"),
        "{}",
        versions.text
    );

    // A takedown hides it; the educator is told why; the clone keeps working.
    let down = app
        .post(
            "/api/v1/admin/compliance/takedowns",
            Some(&rita.token),
            json!({ "template_id": template, "reason": "The card's period hides the 2022 drawdown." }),
        )
        .await;
    assert_eq!(down.status, StatusCode::CREATED, "{}", down.text);
    assert_eq!(down.body["event_type"], "takedown");
    assert_eq!(down.body["template"]["status"], "taken_down");
    let gallery = app.get("/api/v1/templates", None).await;
    assert_eq!(gallery.body["total"], 0);
    let gone = app
        .get(
            &format!("/api/v1/templates/{template}"),
            Some(&student.token),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let told = app
        .get("/api/v1/notifications", Some(&educator.token))
        .await;
    assert!(
        told.text.contains("2022 drawdown"),
        "the educator reads the reason: {}",
        told.text
    );
    let still = app
        .get(&format!("/api/v1/strategies/{copy}"), Some(&student.token))
        .await;
    assert_eq!(still.status, StatusCode::OK);
    // Every decision is in the audit chain, which verifies.
    let audit = app.state.db().audit();
    let entries = audit.list(None, None, None, 500).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "template.submitted",
        "compliance.approved",
        "compliance.takedown",
    ] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
    let approval = entries
        .iter()
        .find(|e| e.action == "compliance.approved")
        .unwrap();
    let rita_p = audit.pseudonym(&rita.id).await.unwrap().unwrap();
    assert_eq!(approval.actor_id.as_deref(), Some(rita_p.as_str()));
    assert!(audit.verify().await.unwrap().is_ok());
    // The educator sees every state of their own templates, with the reason.
    let mine = app
        .get("/api/v1/templates/mine", Some(&educator.token))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    assert_eq!(mine.body["items"][0]["status"], "taken_down");
    assert_eq!(mine.body["items"][0]["review"]["event_type"], "takedown");
    assert!(
        mine.body["items"][0]["review"]["reason"]
            .as_str()
            .unwrap()
            .contains("2022")
    );
}

#[tokio::test]
async fn publishing_is_refused_with_the_gates_that_failed_and_for_others() {
    let app = TestApp::spawn().await;
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let educator = app.register("edu@example.com").await;
    let strategy = app
        .create_strategy(&educator.token, "Untested", "private")
        .await;
    // The free plan publishes nothing.
    let free = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            publish_body(&strategy),
        )
        .await;
    assert_eq!(free.error_code(), ErrorCode::QuotaExceeded, "{}", free.text);
    assert_eq!(
        free.body["error"]["details"]["metric"],
        "template_publishes"
    );
    app.state
        .db()
        .users()
        .set_plan(&educator.id, bb_store::PlanTier::Educator, None)
        .await
        .unwrap();
    // No backtest yet: the gates say what is missing, and nothing is written.
    let refused = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            publish_body(&strategy),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let gates = refused.body["error"]["details"]["gates"]
        .as_array()
        .unwrap();
    assert!(
        gates
            .iter()
            .all(|g| g["passed"] == false || g["gate"] == "disclosure")
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("backtest_with_costs")
    );
    let mine = app
        .get("/api/v1/templates/mine", Some(&educator.token))
        .await;
    assert_eq!(mine.body["total"], 0);
    // A backtest without costs does not count.
    finish(
        &app,
        &educator.token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d",
                "fee_pct": 0, "slippage_bps": 0 }),
    )
    .await;
    let gates = app
        .get(
            &format!("/api/v1/templates/gates?strategy_id={strategy}&version=1"),
            Some(&educator.token),
        )
        .await;
    assert_eq!(gates.body["gates"][0]["passed"], false, "{}", gates.text);
    assert!(
        gates.body["gates"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("without fees or without slippage")
    );

    // Bad fields are named.
    for (body, field) in [
        (
            json!({ "strategy_id": strategy, "version": 1, "audience": "everyone", "disclosure": DISCLOSURE }),
            "audience",
        ),
        (
            json!({ "strategy_id": strategy, "version": 1, "audience": "public", "disclosure": "short" }),
            "disclosure",
        ),
        (
            json!({ "strategy_id": strategy, "version": 1, "audience": "public", "disclosure": "bad\u{202e}text that is long enough" }),
            "disclosure",
        ),
        (
            json!({ "strategy_id": strategy, "version": 0, "audience": "public", "disclosure": DISCLOSURE }),
            "version",
        ),
        (
            json!({ "strategy_id": strategy, "version": 1, "audience": "public", "disclosure": DISCLOSURE, "title": "" }),
            "title",
        ),
        (
            json!({ "strategy_id": strategy, "version": 1, "audience": "public", "disclosure": DISCLOSURE, "tags": ["x".repeat(41)] }),
            "tags[0]",
        ),
    ] {
        let reply = app
            .post("/api/v1/templates", Some(&educator.token), body)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
    }
    // Another user's strategy, a missing version, and no token.
    let bob = app.register("bob@example.com").await;
    let theirs = app
        .post(
            "/api/v1/templates",
            Some(&bob.token),
            publish_body(&strategy),
        )
        .await;
    assert!(
        matches!(theirs.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        theirs.text
    );
    let gates = app
        .get(
            &format!("/api/v1/templates/gates?strategy_id={strategy}&version=1"),
            Some(&bob.token),
        )
        .await;
    assert!(matches!(
        gates.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let missing = app
        .get(
            &format!("/api/v1/templates/gates?strategy_id={strategy}&version=9"),
            Some(&educator.token),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let anonymous = app
        .post("/api/v1/templates", None, publish_body(&strategy))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let mine = app.get("/api/v1/templates/mine", None).await;
    assert_eq!(mine.status, StatusCode::UNAUTHORIZED);
    let unknown = app.get("/api/v1/templates/no-such-id", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let long = app
        .get(
            &format!("/api/v1/templates?search={}", "a".repeat(101)),
            None,
        )
        .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn rejection_escalation_and_conflicts_of_interest() {
    let app = TestApp::spawn().await;
    let (educator, strategy) = educator_with_evidence(&app, "edu@example.com").await;
    // The educator is also a reviewer: they cannot decide their own submission.
    app.state
        .db()
        .users()
        .set_reviewer(&educator.id, true, None)
        .await
        .unwrap();
    let rita = reviewer(&app, "rita@example.com").await;
    let admin = app.register("root@example.com").await;
    app.make_admin(&admin).await;
    let published = app
        .post(
            "/api/v1/templates",
            Some(&educator.token),
            publish_body(&strategy),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let template = published.body["id"].as_str().unwrap().to_owned();
    let queue = app
        .get(
            "/api/v1/admin/compliance/events?event_type=risk_review",
            Some(&rita.token),
        )
        .await;
    let event_id = queue.body["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/compliance/events/{event_id}");
    let own = app
        .patch(
            &path,
            Some(&educator.token),
            json!({ "status": "approved" }),
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text);
    // Escalated to an admin: the reviewer can no longer decide it, the admin can.
    let escalated = app
        .patch(
            &path,
            Some(&rita.token),
            json!({ "status": "escalated", "reason": "Borderline marketing language." }),
        )
        .await;
    assert_eq!(escalated.status, StatusCode::OK, "{}", escalated.text);
    assert_eq!(escalated.body["template"]["status"], "pending_review");
    let admin_told = app.get("/api/v1/notifications", Some(&admin.token)).await;
    assert!(admin_told.text.contains("Escalated"), "{}", admin_told.text);
    let reviewer_again = app
        .patch(&path, Some(&rita.token), json!({ "status": "approved" }))
        .await;
    assert_eq!(reviewer_again.status, StatusCode::FORBIDDEN);
    let rejected = app
        .patch(
            &path,
            Some(&admin.token),
            json!({ "status": "rejected", "reason": "The title promises returns." }),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    assert_eq!(rejected.body["template"]["status"], "rejected");
    let mine = app
        .get("/api/v1/templates/mine", Some(&educator.token))
        .await;
    assert_eq!(
        mine.body["items"][0]["review"]["reason"],
        "The title promises returns."
    );
    // A rejected template cannot be taken down or cloned; unknown filters are named.
    let takedown = app
        .post(
            "/api/v1/admin/compliance/takedowns",
            Some(&rita.token),
            json!({ "template_id": template, "reason": "x" }),
        )
        .await;
    assert_eq!(takedown.status, StatusCode::CONFLICT, "{}", takedown.text);
    let clone = app
        .post(
            &format!("/api/v1/templates/{template}/clone"),
            Some(&rita.token),
            json!({ "acknowledge_disclosure": true }),
        )
        .await;
    assert_eq!(clone.status, StatusCode::NOT_FOUND, "{}", clone.text);
    let bad = app
        .get(
            "/api/v1/admin/compliance/events?status=maybe",
            Some(&rita.token),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["details"]["field"], "status");
    // Admins grant the reviewer duty.
    let sam = app.register("sam@example.com").await;
    let granted = app
        .patch(
            &format!("/api/v1/admin/users/{}", sam.id),
            Some(&admin.token),
            json!({ "reviewer": true }),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
    assert_eq!(granted.body["reviewer"], true);
    let sees = app
        .get("/api/v1/admin/compliance/events", Some(&sam.token))
        .await;
    assert_eq!(sees.status, StatusCode::OK, "{}", sees.text);
}
