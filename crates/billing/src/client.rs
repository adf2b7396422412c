//! A thin client for the calls we make to Stripe's API (`/v1`, form-encoded bodies with
//! bracketed keys, JSON answers): create a Checkout Session, create a Customer Portal
//! session, retrieve a subscription and set its `cancel_at_period_end`. Every request
//! pins [`API_VERSION`]; every POST carries an `Idempotency-Key` that the caller derives
//! from its own operation, and a 429, a 5xx or a lost connection is retried with the same
//! key (Stripe answers a replayed key with the first answer).

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::model::{CheckoutSession, ErrorBody, PortalSession, Subscription};

/// The Stripe API version every request and our webhook endpoint are pinned to.
pub const API_VERSION: &str = "2026-09-30.endive";

/// Stripe's API.
pub const DEFAULT_BASE: &str = "https://api.stripe.com";

/// Waits before the 2nd and 3rd try of a request that may be retried.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error (`status`, its `type`, `code` and `message`).
    #[error("Stripe answered {status}: {message}")]
    Api {
        status: u16,
        kind: Option<String>,
        code: Option<String>,
        message: String,
    },
    #[error("could not reach Stripe: {0}")]
    Transport(String),
    #[error("Stripe's answer could not be read: {0}")]
    Decode(String),
}

impl StripeError {
    fn retryable(&self) -> bool {
        match self {
            StripeError::Api { status, .. } => *status == 429 || *status >= 500,
            StripeError::Transport(_) => true,
            StripeError::Decode(_) => false,
        }
    }
}

/// What a Checkout Session sells and where it returns.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    pub price: &'a str,
    /// Our user: `client_reference_id` and `metadata[user_id]` on the session and its
    /// subscription.
    pub user_id: &'a str,
    /// Reuse this Customer; else Checkout creates one for `email`.
    pub customer: Option<&'a str>,
    pub email: &'a str,
    /// May contain `{CHECKOUT_SESSION_ID}`, which Stripe fills in.
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// The client: cheap to clone.
#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl StripeClient {
    /// A client for `base` (e.g. [`DEFAULT_BASE`], or a local fake) with a secret key
    /// (`sk_live_…`, `sk_test_…` or a restricted `rk_…`).
    pub fn new(base: &str, key: &str) -> Result<StripeClient, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        Ok(StripeClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }

    /// Whether the key is a live one: live events only then, test events otherwise.
    pub fn livemode(&self) -> bool {
        self.key.starts_with("sk_live_") || self.key.starts_with("rk_live_")
    }

    /// `POST /v1/checkout/sessions` in subscription mode.
    pub async fn create_checkout_session(
        &self,
        req: &CheckoutRequest<'_>,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        let mut form = vec![
            ("mode", "subscription"),
            ("line_items[0][price]", req.price),
            ("line_items[0][quantity]", "1"),
            ("success_url", req.success_url),
            ("cancel_url", req.cancel_url),
            ("client_reference_id", req.user_id),
            ("metadata[user_id]", req.user_id),
            ("subscription_data[metadata][user_id]", req.user_id),
        ];
        match req.customer {
            Some(customer) => form.push(("customer", customer)),
            None => form.push(("customer_email", req.email)),
        }
        self.post("/v1/checkout/sessions", &form, idempotency_key)
            .await
    }

    /// `POST /v1/billing_portal/sessions`: where a customer manages cards, invoices and
    /// the subscription.
    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<PortalSession, StripeError> {
        let form = [("customer", customer), ("return_url", return_url)];
        self.post("/v1/billing_portal/sessions", &form, idempotency_key)
            .await
    }

    /// `GET /v1/subscriptions/{id}`: the subscription as it is now.
    pub async fn retrieve_subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        check_id(id)?;
        self.send(|| {
            self.http
                .get(format!("{}/v1/subscriptions/{id}", self.base))
                .header("Authorization", format!("Bearer {}", self.key))
                .header("Stripe-Version", API_VERSION)
        })
        .await
    }

    /// `POST /v1/subscriptions/{id}` with `cancel_at_period_end`: ends it when the paid
    /// period does (`true`), or keeps it going again (`false`).
    pub async fn set_cancel_at_period_end(
        &self,
        id: &str,
        cancel: bool,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        check_id(id)?;
        let form = [(
            "cancel_at_period_end",
            if cancel { "true" } else { "false" },
        )];
        self.post(&format!("/v1/subscriptions/{id}"), &form, idempotency_key)
            .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(|| {
            self.http
                .post(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.key))
                .header("Stripe-Version", API_VERSION)
                .header("Idempotency-Key", idempotency_key)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.clone())
        })
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let mut delays = RETRY_DELAYS.iter();
        loop {
            match once(request()).await {
                Err(e) if e.retryable() => match delays.next() {
                    Some(delay) => {
                        tracing::warn!(error = %e, "Stripe call failed; retrying");
                        tokio::time::sleep(*delay).await;
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }
}

/// Ids go into paths: Stripe's are `[A-Za-z0-9_]`.
fn check_id(id: &str) -> Result<(), StripeError> {
    if id.is_empty()
        || id.len() > 255
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(StripeError::Decode(format!("`{id}` is not a Stripe id")));
    }
    Ok(())
}

async fn once<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, StripeError> {
    let response = request
        .send()
        .await
        .map_err(|e| StripeError::Transport(e.to_string()))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| StripeError::Transport(e.to_string()))?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<ErrorBody>(&bytes)
            .ok()
            .map(|b| b.error);
        return Err(StripeError::Api {
            status: status.as_u16(),
            message: detail
                .as_ref()
                .and_then(|d| d.message.clone())
                .unwrap_or_else(|| format!("HTTP {status}")),
            kind: detail.as_ref().and_then(|d| d.kind.clone()),
            code: detail.and_then(|d| d.code),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()))
}
