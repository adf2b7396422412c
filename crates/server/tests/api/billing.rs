//! Stripe billing over real HTTP against a local fake of Stripe's API
//! (`fake_stripe.rs`), with events in Stripe's payload format signed as Stripe signs them:
//! a checkout upgrades only once Stripe's event arrives and the limits change at once;
//! duplicated and out-of-order events end in one, correct state with one audited change; a
//! failed payment keeps the plan for the grace period, then downgrades; cancel and resume;
//! Stripe's outages are retried with the same idempotency key; bad signatures are refused
//! and store nothing; every route is tried as anonymous, as another user and with hostile
//! input.

use crate::common::{ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::fake_stripe::{self, FakeStripe, event, now_secs, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PLAN_CHANGED: &str = "user.plan_changed";

async fn app_with(fake: &FakeStripe, postgres: bool) -> TestApp {
    let configure = |c: &mut bb_server::config::Config| {
        fake.configure(c);
        c.billing_grace = std::time::Duration::from_secs(3 * 86_400);
    };
    if postgres {
        TestApp::spawn_postgres_with(configure).await
    } else {
        TestApp::spawn_with(configure).await
    }
}

/// Posts an event as Stripe would (signed now with the endpoint's secret).
async fn deliver(app: &TestApp, event: &Value) -> crate::common::Reply {
    let body = event.to_string();
    deliver_raw(app, &body, &sign(&body, fake_stripe::SECRET, now_secs())).await
}

async fn deliver_raw(app: &TestApp, body: &str, signature: &str) -> crate::common::Reply {
    let response = app
        .client
        .post(app.url("/api/v1/billing/stripe-webhook"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    crate::common::Reply::from(response).await
}

async fn plan_changes(app: &TestApp, user_id: &str) -> Vec<Value> {
    // the chain names users by pseudonym
    let user_id = app
        .state
        .db()
        .audit()
        .pseudonym(user_id)
        .await
        .unwrap()
        .unwrap_or_default();
    app.state
        .db()
        .audit()
        .list(None, None, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == PLAN_CHANGED && e.entity_id == user_id)
        .map(|e| e.payload)
        .collect()
}

async fn notification_kinds(app: &TestApp, token: &str) -> Vec<String> {
    let list = app
        .get("/api/v1/notifications?limit=100", Some(token))
        .await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Checkout through the API, then the customer pays on the fake; returns the completed
/// session and the subscription id.
async fn buy(app: &TestApp, fake: &FakeStripe, token: &str, plan: &str) -> (Value, String) {
    let reply = app
        .post(
            "/api/v1/billing/checkout",
            Some(token),
            json!({ "plan": plan }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let url = reply.body["url"].as_str().unwrap();
    let session_id = url.rsplit('/').next().unwrap();
    let session = fake.complete(session_id);
    let sub = session["subscription"].as_str().unwrap().to_owned();
    (session, sub)
}

async fn journey(postgres: bool) {
    let fake = FakeStripe::start().await;
    let app = app_with(&fake, postgres).await;
    let ada = app.register("ada-billing@example.com").await;

    let view = app.get("/api/v1/billing", Some(&ada.token)).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_conforms("BillingView", &view.body);
    assert_eq!(view.body["configured"], true);
    assert_eq!(view.body["subscription"], Value::Null);
    assert_eq!(view.body["customer"], false);
    assert!(
        view.body["plans"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["available"] == true)
    );
    let free = app.get("/api/v1/plan-usage", Some(&ada.token)).await.body;
    assert_eq!(free["plan"], "free");

    let (session, sub) = buy(&app, &fake, &ada.token, "premium").await;
    // The request Stripe got: form-encoded, bracketed keys, pinned version, idempotent.
    let request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/checkout/sessions")
        .unwrap();
    assert_eq!(request.field("mode"), Some("subscription"));
    assert_eq!(
        request.field("line_items[0][price]"),
        Some(fake_stripe::PREMIUM)
    );
    assert_eq!(request.field("line_items[0][quantity]"), Some("1"));
    assert_eq!(request.field("client_reference_id"), Some(ada.id.as_str()));
    assert_eq!(
        request.field("subscription_data[metadata][user_id]"),
        Some(ada.id.as_str())
    );
    assert_eq!(
        request.field("customer_email"),
        Some("ada-billing@example.com")
    );
    assert!(
        request
            .field("success_url")
            .unwrap()
            .ends_with("/plan?checkout=success&session_id={CHECKOUT_SESSION_ID}")
    );
    assert_eq!(request.version.as_deref(), Some(bb_billing::API_VERSION));
    assert!(request.idempotency_key.is_some());
    // Coming back from Checkout grants nothing: only Stripe's event does.
    let still = app.get("/api/v1/plan-usage", Some(&ada.token)).await.body;
    assert_eq!(still["plan"], "free");

    let completed = event("checkout.session.completed", session);
    let reply = deliver(&app, &completed).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_conforms("WebhookAck", &reply.body);
    assert_eq!(reply.body["outcome"], "applied");
    let premium = app.get("/api/v1/plan-usage", Some(&ada.token)).await.body;
    assert_eq!(premium["plan"], "premium");
    assert!(
        premium["backtests_today"]["limit"].as_i64() > free["backtests_today"]["limit"].as_i64(),
        "{premium} vs {free}"
    );
    assert!(premium["strategies"]["limit"].as_i64() > free["strategies"]["limit"].as_i64());

    // Stripe delivers at least once: the same event again changes nothing.
    let again = deliver(&app, &completed).await;
    assert_eq!(again.body["outcome"], "duplicate", "{}", again.text);
    let created = deliver(
        &app,
        &event("customer.subscription.created", fake.subscription(&sub)),
    )
    .await;
    assert_eq!(created.body["outcome"], "applied");
    let changes = plan_changes(&app, &ada.id).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["from"], "free");
    assert_eq!(changes[0]["to"], "premium");
    assert_eq!(changes[0]["by"], "billing");
    assert!(
        notification_kinds(&app, &ada.token)
            .await
            .contains(&"billing.plan_changed".to_owned())
    );

    let view = app.get("/api/v1/billing", Some(&ada.token)).await;
    assert_conforms("BillingView", &view.body);
    assert_eq!(view.body["customer"], true);
    assert_eq!(view.body["subscription"]["id"], sub.as_str());
    assert_eq!(view.body["subscription"]["plan"], "premium");
    assert_eq!(view.body["subscription"]["status"], "active");
    assert_eq!(
        view.body["subscription"]["current_period_end"],
        1_767_657_600_000_i64
    );
    assert_eq!(view.body["notice"], Value::Null);

    // A second checkout while one is live is refused; the portal opens instead.
    let twice = app
        .post(
            "/api/v1/billing/checkout",
            Some(&ada.token),
            json!({ "plan": "educator" }),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(
        twice.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Manage billing")
    );
    let portal = app
        .post("/api/v1/billing/portal", Some(&ada.token), json!({}))
        .await;
    assert_eq!(portal.status, StatusCode::OK, "{}", portal.text);
    assert_conforms("RedirectView", &portal.body);
    let portal_request = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/billing_portal/sessions")
        .unwrap();
    assert_eq!(
        portal_request.field("customer"),
        Some(session_customer(&fake, &sub).as_str())
    );
    assert!(
        portal_request
            .field("return_url")
            .unwrap()
            .ends_with("/plan")
    );

    // Cancel at the period's end: the plan stays; resume undoes it.
    let cancelled = app
        .post("/api/v1/billing/cancel", Some(&ada.token), json!({}))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_conforms("BillingView", &cancelled.body);
    assert_eq!(cancelled.body["subscription"]["cancel_at_period_end"], true);
    assert_eq!(fake.subscription(&sub)["cancel_at_period_end"], true);
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&ada.token)).await.body["plan"],
        "premium"
    );
    let resumed = app
        .post("/api/v1/billing/resume", Some(&ada.token), json!({}))
        .await;
    assert_eq!(resumed.body["subscription"]["cancel_at_period_end"], false);

    // The period ends cancelled: Stripe deletes it and the plan goes at once.
    fake.set_status(&sub, "canceled");
    let deleted = deliver(
        &app,
        &event("customer.subscription.deleted", fake.subscription(&sub)),
    )
    .await;
    assert_eq!(deleted.body["outcome"], "applied");
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&ada.token)).await.body["plan"],
        "free"
    );
    let changes = plan_changes(&app, &ada.id).await;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1]["to"], "free");
    // Buying again reuses the Stripe customer.
    let (_, _) = buy(&app, &fake, &ada.token, "educator").await;
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/v1/checkout/sessions")
        .unwrap();
    assert_eq!(
        last.field("customer"),
        Some(session_customer(&fake, &sub).as_str())
    );
    assert_eq!(last.field("customer_email"), None);
}

fn session_customer(fake: &FakeStripe, sub: &str) -> String {
    fake.subscription(sub)["customer"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_checkout_upgrades_when_stripe_says_so_and_the_limits_change_at_once() {
    journey(false).await;
}

#[tokio::test]
async fn a_checkout_upgrades_on_postgres_too() {
    journey(true).await;
}

#[tokio::test]
async fn duplicated_and_out_of_order_events_end_in_one_correct_state() {
    let fake = FakeStripe::start().await;
    let app = app_with(&fake, false).await;

    // Bought, then cancelled at once; Stripe delivers the deletion first and the rest
    // late, twice each. The user never had premium as far as the app can tell now.
    let bo = app.register("bo-billing@example.com").await;
    let (session, sub) = buy(&app, &fake, &bo.token, "premium").await;
    let created = event("customer.subscription.created", fake.subscription(&sub));
    let completed = event("checkout.session.completed", session);
    fake.set_status(&sub, "canceled");
    let deleted = event("customer.subscription.deleted", fake.subscription(&sub));
    let mut outcomes = Vec::new();
    for e in [
        &deleted, &created, &completed, &created, &deleted, &completed,
    ] {
        let reply = deliver(&app, e).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        outcomes.push(reply.body["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        outcomes,
        [
            "applied",
            "applied",
            "applied",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&bo.token)).await.body["plan"],
        "free"
    );
    assert!(plan_changes(&app, &bo.id).await.is_empty());
    let view = app.get("/api/v1/billing", Some(&bo.token)).await.body;
    assert_eq!(view["subscription"]["status"], "canceled");

    // A failed payment that was then paid, the two invoices arriving in reverse order:
    // premium throughout, no grace notice.
    let cy = app.register("cy-billing@example.com").await;
    let (session, sub) = buy(&app, &fake, &cy.token, "premium").await;
    deliver(&app, &event("checkout.session.completed", session)).await;
    let failed = event("invoice.payment_failed", fake.invoice(&sub, "open"));
    let paid = event("invoice.paid", fake.invoice(&sub, "paid"));
    assert_eq!(deliver(&app, &paid).await.body["outcome"], "applied");
    assert_eq!(deliver(&app, &failed).await.body["outcome"], "applied");
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&cy.token)).await.body["plan"],
        "premium"
    );
    assert!(
        !notification_kinds(&app, &cy.token)
            .await
            .contains(&"billing.payment_failed".to_owned())
    );
    assert_eq!(plan_changes(&app, &cy.id).await.len(), 1);

    // A read of Stripe that started before the stored one never overwrites it.
    let billing = app.state.billing().unwrap();
    let stored = app
        .state
        .db()
        .billing()
        .subscription(&sub)
        .await
        .unwrap()
        .unwrap();
    fake.set_status(&sub, "canceled");
    let old: bb_billing::Subscription = serde_json::from_value(fake.subscription(&sub)).unwrap();
    let applied = billing
        .store(app.state.db(), &old, &cy.id, stored.fetched_at - 1)
        .await
        .unwrap();
    assert!(applied.stale);
    assert_eq!(applied.plan_after, bb_store::PlanTier::Premium);
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&cy.token)).await.body["plan"],
        "premium"
    );
}

#[tokio::test]
async fn a_failed_payment_keeps_the_plan_for_the_grace_period_then_downgrades() {
    let fake = FakeStripe::start().await;
    let app = app_with(&fake, false).await;
    let di = app.register("di-billing@example.com").await;
    let (session, sub) = buy(&app, &fake, &di.token, "educator").await;
    deliver(&app, &event("checkout.session.completed", session)).await;
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&di.token)).await.body["plan"],
        "educator"
    );

    fake.set_status(&sub, "past_due");
    let before = bb_store::now_ms();
    let failed = deliver(
        &app,
        &event("invoice.payment_failed", fake.invoice(&sub, "open")),
    )
    .await;
    assert_eq!(failed.body["outcome"], "applied");
    let view = app.get("/api/v1/billing", Some(&di.token)).await.body;
    assert_conforms("BillingView", &view);
    assert_eq!(view["subscription"]["status"], "past_due");
    let grace = 3 * 86_400_000_i64;
    let until = view["subscription"]["grace_until"].as_i64().unwrap();
    assert!(
        until >= before + grace && until <= bb_store::now_ms() + grace,
        "{until}"
    );
    assert!(view["notice"].as_str().unwrap().contains("failed"));
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&di.token)).await.body["plan"],
        "educator"
    );
    assert!(
        notification_kinds(&app, &di.token)
            .await
            .contains(&"billing.payment_failed".to_owned())
    );
    // The subscription.updated that follows changes nothing more (no second notice).
    deliver(
        &app,
        &event("customer.subscription.updated", fake.subscription(&sub)),
    )
    .await;
    let failures = notification_kinds(&app, &di.token)
        .await
        .iter()
        .filter(|k| *k == "billing.payment_failed")
        .count();
    assert_eq!(failures, 1);

    // The sweep before the grace ends keeps the plan; after, it downgrades, once.
    let db = app.state.db();
    assert!(
        db.billing()
            .expire_grace(until - 1, grace)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.billing().expire_grace(until, grace).await.unwrap(),
        vec![di.id.clone()]
    );
    assert!(
        db.billing()
            .expire_grace(until + 1, grace)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&di.token)).await.body["plan"],
        "free"
    );
    let changes = plan_changes(&app, &di.id).await;
    assert_eq!(
        changes.last().unwrap()["why"],
        "the payment grace period ended"
    );
    let view = app.get("/api/v1/billing", Some(&di.token)).await.body;
    assert!(
        view["notice"]
            .as_str()
            .unwrap()
            .contains("grace period ended"),
        "{view}"
    );
    // Buying again while an invoice is open is refused: pay it instead.
    let again = app
        .post(
            "/api/v1/billing/checkout",
            Some(&di.token),
            json!({ "plan": "premium" }),
        )
        .await;
    assert_eq!(again.error_code(), ErrorCode::Conflict);
    assert!(
        again.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unpaid invoice")
    );

    // Paying the open invoice brings the plan back.
    fake.set_status(&sub, "active");
    deliver(&app, &event("invoice.paid", fake.invoice(&sub, "paid"))).await;
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&di.token)).await.body["plan"],
        "educator"
    );
    assert_eq!(
        app.get("/api/v1/billing", Some(&di.token)).await.body["notice"],
        Value::Null
    );
}

#[tokio::test]
async fn stripe_outages_are_retried_with_the_same_key_or_redelivered() {
    let fake = FakeStripe::start().await;
    let app = app_with(&fake, false).await;
    let ed = app.register("ed-billing@example.com").await;

    // Two 500s, then the call goes through: three tries with one idempotency key.
    fake.fail_next(2);
    let (session, sub) = buy(&app, &fake, &ed.token, "premium").await;
    let tries: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .collect();
    assert_eq!(tries.len(), 3);
    assert!(
        tries
            .iter()
            .all(|t| t.idempotency_key == tries[0].idempotency_key)
    );

    // Stripe's API down while an event arrives: 500, the event kept unprocessed; the
    // redelivery applies it.
    fake.fail_next(3);
    let completed = event("checkout.session.completed", session);
    let down = deliver(&app, &completed).await;
    assert_eq!(down.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = completed["id"].as_str().unwrap();
    assert_eq!(
        app.state.db().billing().event_outcome(id).await.unwrap(),
        Some((false, None))
    );
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&ed.token)).await.body["plan"],
        "free"
    );
    let again = deliver(&app, &completed).await;
    assert_eq!(again.body["outcome"], "applied", "{}", again.text);
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&ed.token)).await.body["plan"],
        "premium"
    );
    assert_eq!(
        app.get("/api/v1/billing", Some(&ed.token)).await.body["subscription"]["id"],
        sub.as_str()
    );

    // Stripe refusing the checkout is a clear 502, not a crash.
    let other = app.register("ed2-billing@example.com").await;
    fake.fail_next(3);
    let refused = app
        .post(
            "/api/v1/billing/checkout",
            Some(&other.token),
            json!({ "plan": "premium" }),
        )
        .await;
    assert_eq!(refused.error_code(), ErrorCode::UpstreamUnavailable);
}

#[tokio::test]
async fn the_webhook_refuses_what_stripe_did_not_sign_and_stores_nothing() {
    let fake = FakeStripe::start().await;
    let rolled = "whsec_the_new_secret";
    let app = TestApp::spawn_with(|c| {
        fake.configure(c);
        c.stripe_webhook_secret
            .push(bb_server::config::Secret::new(rolled));
    })
    .await;
    let fay = app.register("fay-billing@example.com").await;
    let (session, _) = buy(&app, &fake, &fay.token, "premium").await;
    let body = event("checkout.session.completed", session).to_string();
    let now = now_secs();
    let good = sign(&body, fake_stripe::SECRET, now);
    let v1 = good.split_once(",v1=").unwrap().1;
    let refused = [
        ("no header", String::new()),
        (
            "tampered",
            sign(&(body.clone() + " "), fake_stripe::SECRET, now),
        ),
        ("too old", sign(&body, fake_stripe::SECRET, now - 301)),
        (
            "from the future",
            sign(&body, fake_stripe::SECRET, now + 301),
        ),
        ("another secret", sign(&body, "whsec_somebody_else", now)),
        ("v0 only", format!("t={now},v0={v1}")),
        ("no timestamp", format!("v1={v1}")),
    ];
    for (what, header) in refused {
        let reply = if header.is_empty() {
            app.call_raw(
                reqwest::Method::POST,
                "/api/v1/billing/stripe-webhook",
                None,
                body.clone(),
            )
            .await
        } else {
            deliver_raw(&app, &body, &header).await
        };
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::BadRequest);
    }
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.state.db().billing().event_outcome(&id).await.unwrap(),
        None
    );
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&fay.token)).await.body["plan"],
        "free"
    );

    // A signed body that is not an event.
    let junk = "{\"hello\":1}";
    let reply = deliver_raw(&app, junk, &sign(junk, fake_stripe::SECRET, now)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    // Stripe rolling its secret: two v1, the second one matching.
    let both = format!("t={now},v1={},v1={v1}", "ab".repeat(32));
    let reply = deliver_raw(&app, &body, &both).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // Our own roll: the new secret signs too.
    let e = event("customer.created", json!({ "id": "cus_rolled" })).to_string();
    let reply = deliver_raw(&app, &e, &sign(&e, rolled, now)).await;
    assert_eq!(reply.body["outcome"], "ignored", "{}", reply.text);
    // A handled kind whose object is not what Stripe documents: kept, acknowledged (a
    // redelivery would not read any better), nothing changed.
    let odd = event("customer.subscription.updated", json!({ "id": 5 }));
    assert_eq!(deliver(&app, &odd).await.body["outcome"], "unreadable");
    // So is one about a subscription Stripe does not have, or with an id that is not
    // Stripe's: acknowledged, not refused for Stripe to redeliver for days.
    let mut invoice: Value =
        serde_json::from_str(include_str!("../../../billing/tests/fixtures/invoice.json")).unwrap();
    for id in ["sub_nobody_has", "../../v1/customers"] {
        invoice["parent"]["subscription_details"]["subscription"] = json!(id);
        let reply = deliver(&app, &event("invoice.paid", invoice.clone())).await;
        assert_eq!(reply.status, StatusCode::OK, "{id}: {}", reply.text);
        assert_eq!(reply.body["outcome"], "unreadable", "{id}");
    }
    // A live-mode event to a test-mode server is acknowledged and ignored.
    let mut live = event("invoice.paid", json!({}));
    live["livemode"] = json!(true);
    assert_eq!(deliver(&app, &live).await.body["outcome"], "wrong_mode");
    // Kinds we do not act on are stored and acknowledged.
    let other = event("customer.created", json!({ "id": "cus_x" }));
    assert_eq!(deliver(&app, &other).await.body["outcome"], "ignored");
}

#[tokio::test]
async fn billing_routes_refuse_anonymous_other_users_and_hostile_input() {
    let fake = FakeStripe::start().await;
    let app = app_with(&fake, false).await;
    let gus = app.register("gus-billing@example.com").await;
    let hal = app.register("hal-billing@example.com").await;

    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/billing"),
        (reqwest::Method::POST, "/api/v1/billing/checkout"),
        (reqwest::Method::POST, "/api/v1/billing/portal"),
        (reqwest::Method::POST, "/api/v1/billing/cancel"),
        (reqwest::Method::POST, "/api/v1/billing/resume"),
    ] {
        let reply = app
            .call(method, path, None, Some(json!({ "plan": "premium" })))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for plan in [
        json!("free"),
        json!("root"),
        json!("x".repeat(10_000)),
        json!(1),
    ] {
        let reply = app
            .post(
                "/api/v1/billing/checkout",
                Some(&gus.token),
                json!({ "plan": plan }),
            )
            .await;
        assert!(
            matches!(
                reply.error_code(),
                ErrorCode::ValidationFailed | ErrorCode::BadRequest
            ),
            "{}",
            reply.text
        );
    }
    let extra = app
        .post(
            "/api/v1/billing/checkout",
            Some(&gus.token),
            json!({ "plan": "premium", "price": "price_free" }),
        )
        .await;
    assert_eq!(extra.error_code(), ErrorCode::ValidationFailed);
    for path in [
        "/api/v1/billing/portal",
        "/api/v1/billing/cancel",
        "/api/v1/billing/resume",
    ] {
        let reply = app.post(path, Some(&gus.token), json!({})).await;
        assert_eq!(reply.error_code(), ErrorCode::Conflict, "{path}");
    }

    // Gus buys; Hal sees nothing of it and cannot cancel it.
    let (session, _) = buy(&app, &fake, &gus.token, "premium").await;
    deliver(&app, &event("checkout.session.completed", session)).await;
    let hal_view = app.get("/api/v1/billing", Some(&hal.token)).await.body;
    assert_eq!(hal_view["subscription"], Value::Null);
    assert_eq!(hal_view["customer"], false);
    assert_eq!(
        app.post("/api/v1/billing/cancel", Some(&hal.token), json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.get("/api/v1/plan-usage", Some(&hal.token)).await.body["plan"],
        "free"
    );

    // Without Stripe set up: the page says so, buying is refused, the webhook is absent.
    let plain = TestApp::spawn().await;
    let ivy = plain.register("ivy-billing@example.com").await;
    let view = plain.get("/api/v1/billing", Some(&ivy.token)).await.body;
    assert_eq!(view["configured"], false);
    let reply = plain
        .post(
            "/api/v1/billing/checkout",
            Some(&ivy.token),
            json!({ "plan": "premium" }),
        )
        .await;
    assert_eq!(reply.error_code(), ErrorCode::Conflict);
    let reply = plain
        .call_raw(
            reqwest::Method::POST,
            "/api/v1/billing/stripe-webhook",
            None,
            "{}",
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "no signature: refused first"
    );
    let reply = deliver_raw(&plain, "{}", &sign("{}", fake_stripe::SECRET, now_secs())).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
