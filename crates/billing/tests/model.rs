//! Stripe's objects as Stripe sends them (the fixtures, in the pinned API version's shape)
//! read into our types, and each handled event's target.

use bb_billing::{Event, Subscription, Target};
use serde_json::{Value, json};

const SUBSCRIPTION: &str = include_str!("fixtures/subscription.json");
const SESSION: &str = include_str!("fixtures/checkout_session.json");
const INVOICE: &str = include_str!("fixtures/invoice.json");
const EVENT: &str = include_str!("fixtures/event.json");

fn event(kind: &str, object: &str) -> Event {
    let mut e: Value = serde_json::from_str(EVENT).unwrap();
    e["type"] = json!(kind);
    e["data"]["object"] = serde_json::from_str(object).unwrap();
    serde_json::from_value(e).unwrap()
}

#[test]
fn a_subscription_reads_its_price_period_end_and_user() {
    let s: Subscription = serde_json::from_str(SUBSCRIPTION).unwrap();
    assert_eq!(s.id, "sub_1QxYzAB2cDeFgHiJ");
    assert_eq!(s.customer, "cus_RaBcDeFgHiJkLm");
    assert_eq!(s.status, "active");
    assert_eq!(s.price_id(), Some("price_premium"));
    assert_eq!(s.current_period_end(), Some(1_767_657_600));
    assert_eq!(s.user_id(), Some("USER_ID"));
    assert!(!s.cancel_at_period_end);
}

#[test]
fn every_handled_event_names_its_subscription_and_what_it_knows_of_the_owner() {
    let expected = |user: Option<&str>| Target {
        subscription_id: "sub_1QxYzAB2cDeFgHiJ".into(),
        user_id: user.map(str::to_owned),
        customer_id: Some("cus_RaBcDeFgHiJkLm".into()),
    };
    let e = event("checkout.session.completed", SESSION);
    assert_eq!(e.target().unwrap(), Some(expected(Some("USER_ID"))));
    assert_eq!(e.id, "evt_1QxYzCAB2cDeFgHiJkLmNoPq");
    assert!(!e.livemode);
    for kind in [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ] {
        assert_eq!(
            event(kind, SUBSCRIPTION).target().unwrap(),
            Some(expected(Some("USER_ID")))
        );
    }
    for kind in ["invoice.paid", "invoice.payment_failed"] {
        assert_eq!(
            event(kind, INVOICE).target().unwrap(),
            Some(expected(None)),
            "{kind}"
        );
    }
}

#[test]
fn an_invoice_in_the_older_shape_still_names_its_subscription() {
    let mut invoice: Value = serde_json::from_str(INVOICE).unwrap();
    invoice["parent"] = Value::Null;
    invoice["subscription"] = json!("sub_legacy");
    let e = event("invoice.paid", &invoice.to_string());
    assert_eq!(e.target().unwrap().unwrap().subscription_id, "sub_legacy");
}

#[test]
fn other_kinds_and_sessions_without_a_subscription_ask_for_nothing() {
    assert_eq!(
        event("customer.created", "{\"id\":\"cus_1\"}")
            .target()
            .unwrap(),
        None
    );
    let mut session: Value = serde_json::from_str(SESSION).unwrap();
    session["subscription"] = Value::Null;
    let e = event("checkout.session.completed", &session.to_string());
    assert_eq!(e.target().unwrap(), None);
    // A handled kind whose object is not Stripe's shape is an error, not a guess.
    assert!(
        event("customer.subscription.updated", "{\"id\":5}")
            .target()
            .is_err()
    );
}
