//! A local fake of Stripe's API for the calls the app makes (form-encoded requests with
//! bracketed keys, Stripe's JSON objects and error shape, idempotency keys replayed), plus
//! what Stripe does on its side in a test: complete a checkout, change a subscription's
//! status, and sign events (`Stripe-Signature`) built from the fixtures in Stripe's payload
//! format (`crates/billing/tests/fixtures`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub const KEY: &str = "sk_test_fake_key";
pub const SECRET: &str = "whsec_fake_endpoint_secret";
pub const PREMIUM: &str = "price_premium";
pub const EDUCATOR: &str = "price_educator";

const SUBSCRIPTION: &str = include_str!("../../../billing/tests/fixtures/subscription.json");
const SESSION: &str = include_str!("../../../billing/tests/fixtures/checkout_session.json");
const INVOICE: &str = include_str!("../../../billing/tests/fixtures/invoice.json");
const EVENT: &str = include_str!("../../../billing/tests/fixtures/event.json");

/// One API request as the fake got it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub form: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
    pub version: Option<String>,
}

impl Request {
    pub fn field(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Value>,
    subscriptions: HashMap<String, Value>,
    requests: Vec<Request>,
    replies: HashMap<String, Value>,
    /// Answer this many next requests with a 500.
    fail_next: usize,
    seq: u64,
}

impl Inner {
    fn id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}_fake{:06}", self.seq)
    }
}

#[derive(Clone)]
pub struct FakeStripe {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn stripe_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "type": kind, "message": message } })),
    )
        .into_response()
}

/// Checks the key and the version, records the request; `Err` is the answer to give.
fn admit(
    inner: &mut Inner,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &str,
) -> Result<Request, Box<Response>> {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if header("authorization").as_deref() != Some(&format!("Bearer {KEY}")) {
        return Err(Box::new(stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Invalid API Key provided",
        )));
    }
    let request = Request {
        path: path.to_owned(),
        form: serde_urlencoded::from_str(body).unwrap_or_default(),
        idempotency_key: header("idempotency-key"),
        version: header("stripe-version"),
    };
    inner.requests.push(request.clone());
    if inner.fail_next > 0 {
        inner.fail_next -= 1;
        return Err(Box::new(stripe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Something went wrong on Stripe's end.",
        )));
    }
    if method == "POST" && request.idempotency_key.is_none() {
        return Err(Box::new(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "this fake wants an Idempotency-Key on every POST",
        )));
    }
    Ok(request)
}

/// The answer already given for this idempotency key, if any.
fn replay(inner: &Inner, request: &Request) -> Option<Response> {
    let key = request.idempotency_key.as_ref()?;
    inner
        .replies
        .get(key)
        .map(|v| axum::Json(v.clone()).into_response())
}

fn remember(inner: &mut Inner, request: &Request, reply: Value) -> Response {
    if let Some(key) = &request.idempotency_key {
        inner.replies.insert(key.clone(), reply.clone());
    }
    axum::Json(reply).into_response()
}

async fn create_session(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    let request = match admit(&mut inner, "POST", "/v1/checkout/sessions", &headers, &body) {
        Ok(r) => r,
        Err(answer) => return *answer,
    };
    if let Some(answer) = replay(&inner, &request) {
        return answer;
    }
    for needed in [
        "mode",
        "line_items[0][price]",
        "line_items[0][quantity]",
        "success_url",
        "cancel_url",
    ] {
        if request.field(needed).is_none() {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("Missing required param: {needed}."),
            );
        }
    }
    let id = inner.id("cs_test");
    let mut session: Value = serde_json::from_str(SESSION).unwrap();
    session["id"] = json!(id);
    session["status"] = json!("open");
    session["payment_status"] = json!("unpaid");
    session["subscription"] = Value::Null;
    session["customer"] = json!(request.field("customer"));
    session["customer_email"] = json!(request.field("customer_email"));
    session["client_reference_id"] = json!(request.field("client_reference_id"));
    session["metadata"] = json!({ "user_id": request.field("metadata[user_id]") });
    session["success_url"] = json!(request.field("success_url"));
    session["cancel_url"] = json!(request.field("cancel_url"));
    session["url"] = json!(format!("https://checkout.stripe.test/c/pay/{id}"));
    // What the test completes later.
    session["_price"] = json!(request.field("line_items[0][price]"));
    session["_sub_user"] = json!(request.field("subscription_data[metadata][user_id]"));
    inner.sessions.insert(id, session.clone());
    let mut reply = session;
    reply
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.starts_with('_'));
    remember(&mut inner, &request, reply)
}

async fn create_portal(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    let request = match admit(
        &mut inner,
        "POST",
        "/v1/billing_portal/sessions",
        &headers,
        &body,
    ) {
        Ok(r) => r,
        Err(answer) => return *answer,
    };
    if let Some(answer) = replay(&inner, &request) {
        return answer;
    }
    let id = inner.id("bps");
    let reply = json!({
        "id": id, "object": "billing_portal.session", "customer": request.field("customer"),
        "livemode": false, "return_url": request.field("return_url"),
        "url": format!("https://billing.stripe.test/p/session/{id}"),
    });
    remember(&mut inner, &request, reply)
}

async fn get_subscription(
    State(fake): State<FakeStripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    let path = format!("/v1/subscriptions/{id}");
    if let Err(answer) = admit(&mut inner, "GET", &path, &headers, "") {
        return *answer;
    }
    match inner.subscriptions.get(&id) {
        Some(sub) => axum::Json(sub.clone()).into_response(),
        None => stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such subscription: '{id}'"),
        ),
    }
}

async fn update_subscription(
    State(fake): State<FakeStripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    let path = format!("/v1/subscriptions/{id}");
    let request = match admit(&mut inner, "POST", &path, &headers, &body) {
        Ok(r) => r,
        Err(answer) => return *answer,
    };
    if let Some(answer) = replay(&inner, &request) {
        return answer;
    }
    let Some(sub) = inner.subscriptions.get_mut(&id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such subscription: '{id}'"),
        );
    };
    if let Some(cancel) = request.field("cancel_at_period_end") {
        sub["cancel_at_period_end"] = json!(cancel == "true");
    }
    let reply = sub.clone();
    remember(&mut inner, &request, reply)
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeStripe {
            addr: listener.local_addr().unwrap(),
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route(
                "/v1/subscriptions/{id}",
                get(get_subscription).post(update_subscription),
            )
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points a server configuration at this fake, selling both plans.
    pub fn configure(&self, config: &mut bb_server::config::Config) {
        config.stripe_secret_key = Some(bb_server::config::Secret::new(KEY));
        config.stripe_webhook_secret = vec![bb_server::config::Secret::new(SECRET)];
        config.stripe_api_base = self.base();
        config.stripe_price_premium = Some(PREMIUM.to_owned());
        config.stripe_price_educator = Some(EDUCATOR.to_owned());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Answer the next `n` API requests with a 500.
    pub fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail_next = n;
    }

    /// The customer pays: the session completes with a new customer (unless it named
    /// one) and an active subscription to its price. Returns the session as completed.
    pub fn complete(&self, session_id: &str) -> Value {
        let mut inner = self.inner.lock().unwrap();
        let customer = inner.sessions[session_id]["customer"]
            .as_str()
            .map(str::to_owned);
        let customer = customer.unwrap_or_else(|| inner.id("cus"));
        let sub_id = inner.id("sub");
        let session = inner.sessions.get_mut(session_id).unwrap();
        let price = session["_price"].as_str().unwrap().to_owned();
        let user = session["_sub_user"].clone();
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["customer"] = json!(customer);
        session["subscription"] = json!(sub_id);
        session["url"] = Value::Null;
        let mut completed = session.clone();
        completed
            .as_object_mut()
            .unwrap()
            .retain(|k, _| !k.starts_with('_'));
        let mut sub: Value = serde_json::from_str(SUBSCRIPTION).unwrap();
        sub["id"] = json!(sub_id);
        sub["customer"] = json!(customer);
        sub["metadata"] = json!({ "user_id": user });
        sub["items"]["data"][0]["price"]["id"] = json!(price);
        sub["items"]["data"][0]["subscription"] = json!(sub_id);
        inner.subscriptions.insert(sub_id, sub);
        completed
    }

    /// The subscription as Stripe has it now.
    pub fn subscription(&self, id: &str) -> Value {
        self.inner.lock().unwrap().subscriptions[id].clone()
    }

    /// Changes a subscription's status on Stripe's side.
    pub fn set_status(&self, id: &str, status: &str) {
        self.inner
            .lock()
            .unwrap()
            .subscriptions
            .get_mut(id)
            .unwrap()["status"] = json!(status);
    }

    /// An invoice of the subscription (basil shape: `parent.subscription_details`).
    pub fn invoice(&self, sub_id: &str, status: &str) -> Value {
        let sub = self.subscription(sub_id);
        let mut invoice: Value = serde_json::from_str(INVOICE).unwrap();
        invoice["customer"] = sub["customer"].clone();
        invoice["status"] = json!(status);
        invoice["parent"]["subscription_details"]["subscription"] = json!(sub_id);
        invoice["parent"]["subscription_details"]["metadata"] = sub["metadata"].clone();
        invoice
    }
}

/// An event of `kind` about `object`, as Stripe sends it (a fresh `evt_` id).
pub fn event(kind: &str, object: Value) -> Value {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    event["id"] = json!(format!("evt_fake{n:08}"));
    event["type"] = json!(kind);
    event["created"] = json!(now_secs());
    event["data"] = json!({ "object": object });
    event
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `Stripe-Signature` for a body.
pub fn sign(body: &str, secret: &str, t: i64) -> String {
    bb_billing::signature_header(body.as_bytes(), secret, t)
}
