//! Billing: plans bought through Stripe. A user starts a Checkout Session for a plan (the
//! browser goes to Stripe and back to `/plan`), manages cards and invoices in Stripe's
//! Customer Portal, and cancels at the period's end (or resumes). Nothing is granted on the
//! way back from Checkout: Stripe's signed events to `/api/v1/billing/stripe-webhook`
//! change the plan, each stored once by its id, each read again from Stripe's API so that
//! duplicates and any order of arrival end in the same state (see `crate::billing`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use bb_store::{BillingSubscription, EventSeen, NewStripeEvent, PlanTier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::extractor::AuthUser;
use crate::billing::BillingSetup;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::routes::market::access::field_error;
use crate::state::AppState;

/// Where Stripe posts events.
pub const WEBHOOK_PATH: &str = "/api/v1/billing/stripe-webhook";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_billing))
        .routes(routes!(checkout))
        .routes(routes!(portal))
        .routes(routes!(cancel))
        .routes(routes!(resume))
        .routes(routes!(stripe_webhook))
}

/// A plan that can be bought.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOffer {
    /// `premium` or `educator`.
    pub plan: String,
    pub name: String,
    /// A Stripe price is set up for it.
    pub available: bool,
}

/// A subscription, as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    /// The plan it buys.
    pub plan: String,
    /// Stripe's status: `active`, `trialing`, `past_due`, `unpaid`, `canceled`,
    /// `incomplete`, `incomplete_expired` or `paused`.
    pub status: String,
    /// When the paid period ends (Unix ms).
    pub current_period_end: Option<i64>,
    /// It ends at `current_period_end` (cancelled, not renewed).
    pub cancel_at_period_end: bool,
    /// When a renewal payment was first seen failing (Unix ms).
    pub past_due_since: Option<i64>,
    /// While past due, the plan is kept until then (Unix ms).
    pub grace_until: Option<i64>,
}

/// Billing as the plan page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingView {
    /// Online billing is set up on this server; otherwise an administrator changes plans.
    pub configured: bool,
    pub plans: Vec<PlanOffer>,
    /// The user has a Stripe customer (the Customer Portal can open).
    pub customer: bool,
    /// The live subscription, else the newest one.
    pub subscription: Option<SubscriptionView>,
    /// Something the user must know now (a failed payment, an ended grace period).
    pub notice: Option<String>,
}

/// Which plan to buy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// `premium` or `educator`.
    pub plan: String,
}

/// Where to send the browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedirectView {
    pub url: String,
}

/// What the webhook did with an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// `applied`, `ignored`, `stale`, `no_user`, `unreadable`, `duplicate` or
    /// `wrong_mode`.
    pub outcome: String,
}

fn plan_name(plan: PlanTier) -> &'static str {
    match plan {
        PlanTier::Free => "Free",
        PlanTier::Premium => "Premium",
        PlanTier::Educator => "Educator",
    }
}

fn setup(state: &AppState) -> Result<&BillingSetup, ApiError> {
    state.billing().ok_or_else(|| {
        ApiError::Conflict(
            "Online billing is not set up on this server; ask your administrator to change \
             your plan."
                .into(),
        )
    })
}

fn upstream(e: bb_billing::StripeError) -> ApiError {
    tracing::warn!(error = %e, "a Stripe call failed");
    ApiError::UpstreamUnavailable(format!("Stripe could not do it now ({e}); try again."))
}

fn subscription_view(s: &BillingSubscription, now: i64, grace_ms: i64) -> SubscriptionView {
    let grace_until = match s.access(now, grace_ms) {
        bb_store::Access::Grace { until } => Some(until),
        _ => None,
    };
    SubscriptionView {
        id: s.id.clone(),
        plan: s.plan.as_str().into(),
        status: s.status.clone(),
        current_period_end: s.current_period_end,
        cancel_at_period_end: s.cancel_at_period_end,
        past_due_since: s.past_due_since,
        grace_until,
    }
}

async fn view(state: &AppState, user_id: &str) -> Result<BillingView, ApiError> {
    let offers = |b: Option<&BillingSetup>| {
        [PlanTier::Premium, PlanTier::Educator]
            .into_iter()
            .map(|p| PlanOffer {
                plan: p.as_str().into(),
                name: plan_name(p).into(),
                available: b.is_some_and(|b| b.price_of(p).is_some()),
            })
            .collect()
    };
    let Some(b) = state.billing() else {
        return Ok(BillingView {
            configured: false,
            plans: offers(None),
            customer: false,
            subscription: None,
            notice: None,
        });
    };
    let now = bb_store::now_ms();
    let grace = b.grace_ms();
    let subs = state.db().billing().subscriptions(user_id).await?;
    let current = bb_store::current_subscription(&subs, now, grace);
    // The plan in force is the user's row (what the quotas read): a grace period ended by
    // the sweep shows as ended even if this clock has not quite reached it.
    let plan = state.db().users().get(user_id).await?.plan;
    let in_grace = |s: &BillingSubscription| {
        s.status == "past_due" && s.plan == plan && s.access(now, grace).grants()
    };
    let notice = current.and_then(|s| match s.status.as_str() {
        "past_due" if in_grace(s) => Some(format!(
            "Your last payment for the {} plan failed. You keep it during a grace period; \
             update your card under Manage billing.",
            plan_name(s.plan)
        )),
        "past_due" | "unpaid" => Some(format!(
            "Your payment failed and the grace period ended: you are on the Free plan. Pay \
             the open invoice under Manage billing to get the {} plan back.",
            plan_name(s.plan)
        )),
        _ => None,
    });
    let subscription = current.map(|s| {
        let mut v = subscription_view(s, now, grace);
        if !in_grace(s) {
            v.grace_until = None;
        }
        v
    });
    Ok(BillingView {
        configured: true,
        plans: offers(Some(b)),
        customer: state.db().billing().customer(user_id).await?.is_some(),
        subscription,
        notice,
    })
}

/// The address the browser comes back to: `--public-url`, else this request's host.
fn public_url(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(url) = &state.config().public_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .ok_or_else(|| ApiError::bad_request("The request has no usable Host header."))?;
    Ok(format!("http://{host}"))
}

/// Billing: the plans on sale, the subscription and what to know about it.
#[utoipa::path(
    get,
    path = "/api/v1/billing",
    tag = "billing",
    security(("bearer" = [])),
    responses((status = 200, body = BillingView), (status = 401, body = ErrorEnvelope))
)]
async fn get_billing(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<BillingView>, ApiError> {
    Ok(Json(view(&state, &caller.id).await?))
}

/// Start buying a plan: a Stripe Checkout Session (subscription mode). Send the browser to
/// `url`; Stripe brings it back to `/plan?checkout=success` or `/plan?checkout=canceled`.
/// The plan changes when Stripe's event arrives, not on the way back.
#[utoipa::path(
    post,
    path = "/api/v1/billing/checkout",
    tag = "billing",
    request_body = CheckoutRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RedirectView),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Billing is not set up, or a subscription is already live (change it under Manage billing)", body = ErrorEnvelope),
        (status = 422, description = "Not a plan on sale (`details.field` = plan)", body = ErrorEnvelope),
        (status = 502, description = "Stripe cannot be reached", body = ErrorEnvelope),
    )
)]
async fn checkout(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
    Json(req): Json<CheckoutRequest>,
) -> Result<Json<RedirectView>, ApiError> {
    let b = setup(&state)?;
    let plan = match req.plan.as_str() {
        "premium" => PlanTier::Premium,
        "educator" => PlanTier::Educator,
        _ => {
            return Err(field_error(
                "plan",
                "plan is `premium` or `educator`".to_owned(),
            ));
        }
    };
    let price = b.price_of(plan).ok_or_else(|| {
        field_error(
            "plan",
            format!("the {} plan is not on sale here", plan_name(plan)),
        )
    })?;
    let now = bb_store::now_ms();
    let subs = state.db().billing().subscriptions(&caller.id).await?;
    if let Some(owing) = subs
        .iter()
        .find(|s| matches!(s.status.as_str(), "past_due" | "unpaid"))
    {
        return Err(ApiError::Conflict(format!(
            "Your {} subscription has an unpaid invoice; pay it under Manage billing instead \
             of buying again.",
            plan_name(owing.plan)
        )));
    }
    if let Some(live) = subs.iter().find(|s| s.access(now, b.grace_ms()).grants()) {
        return Err(ApiError::Conflict(format!(
            "You already have the {} plan through Stripe; change or cancel it under Manage \
             billing.",
            plan_name(live.plan)
        )));
    }
    let user = state.db().users().get(&caller.id).await?;
    let customer = state.db().billing().customer(&caller.id).await?;
    let base = public_url(&state, &headers)?;
    let success = format!("{base}/plan?checkout=success&session_id={{CHECKOUT_SESSION_ID}}");
    let cancel = format!("{base}/plan?checkout=canceled");
    // One key per attempt: a retried call (same key) cannot make two sessions.
    let key = format!("checkout:{}:{}", caller.id, bb_store::now_ms());
    let session = b
        .client
        .create_checkout_session(
            &bb_billing::CheckoutRequest {
                price,
                user_id: &caller.id,
                customer: customer.as_deref(),
                email: &user.email,
                success_url: &success,
                cancel_url: &cancel,
            },
            &key,
        )
        .await
        .map_err(upstream)?;
    let url = session
        .url
        .ok_or_else(|| ApiError::UpstreamUnavailable("Stripe gave no checkout address.".into()))?;
    Ok(Json(RedirectView { url }))
}

/// Open Stripe's Customer Portal (cards, invoices, the subscription). Send the browser to
/// `url`; it comes back to `/plan`.
#[utoipa::path(
    post,
    path = "/api/v1/billing/portal",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RedirectView),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Billing is not set up, or nothing was ever bought", body = ErrorEnvelope),
        (status = 502, description = "Stripe cannot be reached", body = ErrorEnvelope),
    )
)]
async fn portal(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
) -> Result<Json<RedirectView>, ApiError> {
    let b = setup(&state)?;
    let customer = state
        .db()
        .billing()
        .customer(&caller.id)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict("You have not bought a plan yet: there is nothing to manage.".into())
        })?;
    let back = format!("{}/plan", public_url(&state, &headers)?);
    let key = format!("portal:{}:{}", caller.id, bb_store::now_ms());
    let session = b
        .client
        .create_portal_session(&customer, &back, &key)
        .await
        .map_err(upstream)?;
    Ok(Json(RedirectView { url: session.url }))
}

async fn set_cancel(
    state: &AppState,
    user_id: &str,
    cancel: bool,
) -> Result<BillingView, ApiError> {
    let b = setup(state)?;
    let now = bb_store::now_ms();
    let subs = state.db().billing().subscriptions(user_id).await?;
    let live = subs
        .iter()
        .filter(|s| s.access(now, b.grace_ms()).grants())
        .max_by_key(|s| s.created_at)
        .ok_or_else(|| ApiError::Conflict("You have no subscription to change.".into()))?;
    let key = format!("cancel:{}:{}:{}", live.id, cancel, now);
    let fetched_at = bb_store::now_ms();
    let sub = b
        .client
        .set_cancel_at_period_end(&live.id, cancel, &key)
        .await
        .map_err(upstream)?;
    b.store(state.db(), &sub, user_id, fetched_at).await?;
    view(state, user_id).await
}

/// Cancel the subscription at the end of the paid period (the plan stays until then).
#[utoipa::path(
    post,
    path = "/api/v1/billing/cancel",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = BillingView),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Billing is not set up, or no live subscription", body = ErrorEnvelope),
        (status = 502, description = "Stripe cannot be reached", body = ErrorEnvelope),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<BillingView>, ApiError> {
    Ok(Json(set_cancel(&state, &caller.id, true).await?))
}

/// Keep a subscription that was set to end at the period's end.
#[utoipa::path(
    post,
    path = "/api/v1/billing/resume",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = BillingView),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Billing is not set up, or no live subscription", body = ErrorEnvelope),
        (status = 502, description = "Stripe cannot be reached", body = ErrorEnvelope),
    )
)]
async fn resume(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<BillingView>, ApiError> {
    Ok(Json(set_cancel(&state, &caller.id, false).await?))
}

/// Stripe's events (not for people). The `Stripe-Signature` header must hold a `v1`
/// HMAC-SHA256 of `t.body` under the endpoint's secret, `t` within 5 minutes of now. An
/// event is stored once by its id and answered 200; one already handled is answered 200
/// and nothing happens. 500 when it could not be handled now (Stripe delivers again).
#[utoipa::path(
    post,
    path = "/api/v1/billing/stripe-webhook",
    tag = "billing",
    request_body(content = String, content_type = "application/json", description = "A Stripe event, as Stripe sends it"),
    params(("Stripe-Signature" = String, Header, description = "`t=…,v1=…`")),
    responses(
        (status = 200, body = WebhookAck),
        (status = 400, description = "No valid signature, or not an event", body = ErrorEnvelope),
        (status = 404, description = "Billing is not set up", body = ErrorEnvelope),
        (status = 500, description = "Not handled now; Stripe delivers it again", body = ErrorEnvelope),
    )
)]
async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    // The cheap check first: no signature, no further look.
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("The Stripe-Signature header is missing."))?;
    let b = state
        .billing()
        .ok_or_else(|| ApiError::NotFound("Billing is not set up on this server.".into()))?;
    let now = bb_store::now_ms() / 1000;
    bb_billing::verify(signature, &body, &b.webhook_secrets(), now)
        .map_err(|e| ApiError::bad_request(format!("Refused: {e}.")))?;
    let event: bb_billing::Event = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("The body is not a Stripe event: {e}.")))?;
    let ack = |outcome: &str| {
        Json(WebhookAck {
            received: true,
            outcome: outcome.to_owned(),
        })
    };
    if event.livemode != b.client.livemode() {
        tracing::warn!(event = %event.id, livemode = event.livemode, "a Stripe event of the other mode; ignored");
        return Ok(ack("wrong_mode"));
    }
    let seen = state
        .db()
        .billing()
        .record_event(NewStripeEvent {
            id: event.id.clone(),
            kind: event.kind.clone(),
            created: event.created,
            livemode: event.livemode,
            payload: String::from_utf8_lossy(&body).into_owned(),
        })
        .await?;
    if seen == EventSeen::Processed {
        return Ok(ack("duplicate"));
    }
    match b.handle(state.db(), &event).await {
        Ok(outcome) => {
            state
                .db()
                .billing()
                .event_processed(&event.id, outcome)
                .await?;
            tracing::info!(event = %event.id, kind = %event.kind, outcome, "Stripe event");
            Ok(ack(outcome))
        }
        Err(crate::billing::HandleError::Shape(e)) => {
            tracing::warn!(event = %event.id, error = %e, "an unreadable Stripe event; kept");
            let _ = state.db().billing().event_failed(&event.id, &e).await;
            state
                .db()
                .billing()
                .event_processed(&event.id, "unreadable")
                .await?;
            Ok(ack("unreadable"))
        }
        Err(e) => {
            let _ = state
                .db()
                .billing()
                .event_failed(&event.id, &e.to_string())
                .await;
            Err(ApiError::internal(format!(
                "Stripe event {}: {e}",
                event.id
            )))
        }
    }
}
