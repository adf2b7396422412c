//! Stripe's objects, as far as we read them (unknown fields are ignored), in the shape of
//! the pinned API version ([`crate::API_VERSION`]): since 2025-03-31 ("basil") a
//! subscription's period lies on its items and an invoice names its subscription under
//! `parent.subscription_details`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// An event as Stripe delivers it to a webhook endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_…`: delivered at least once, so it is the idempotency key.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    pub livemode: bool,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object as it was when the event happened (a snapshot: never acted on for the
    /// subscription's state, which is read again from the API).
    pub object: serde_json::Value,
}

/// Lists (`{"object":"list","data":[…]}`).
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
}

/// A subscription.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// `sub_…`.
    pub id: String,
    /// `cus_…`.
    pub customer: String,
    /// `trialing`, `active`, `past_due`, `unpaid`, `canceled`, `incomplete`,
    /// `incomplete_expired` or `paused`.
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// Unix seconds.
    pub created: i64,
    /// Ours: `user_id`, set through the Checkout Session's `subscription_data`.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub items: List<SubscriptionItem>,
}

impl Subscription {
    /// The price of its first item (we sell one price per subscription).
    pub fn price_id(&self) -> Option<&str> {
        self.items.data.first().map(|i| i.price.id.as_str())
    }

    /// When the paid period ends (Unix seconds): the latest over its items.
    pub fn current_period_end(&self) -> Option<i64> {
        self.items
            .data
            .iter()
            .filter_map(|i| i.current_period_end)
            .max()
    }

    /// The user it was bought for (`metadata.user_id`).
    pub fn user_id(&self) -> Option<&str> {
        self.metadata.get("user_id").map(String::as_str)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: Price,
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Price {
    /// `price_…`.
    pub id: String,
}

/// A Checkout Session.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: String,
    /// Where to send the browser (while the session is open).
    pub url: Option<String>,
    pub client_reference_id: Option<String>,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A Customer Portal session.
#[derive(Debug, Clone, Deserialize)]
pub struct PortalSession {
    pub id: String,
    pub url: String,
}

/// An invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    /// `in_…`.
    pub id: String,
    pub customer: Option<String>,
    /// Before 2025-03-31 the subscription was named here.
    #[serde(default)]
    pub subscription: Option<String>,
    #[serde(default)]
    pub parent: Option<InvoiceParent>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceParent {
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionDetails {
    pub subscription: Option<String>,
}

impl Invoice {
    /// The subscription it bills, in either API shape.
    pub fn subscription_id(&self) -> Option<&str> {
        self.parent
            .as_ref()
            .and_then(|p| p.subscription_details.as_ref())
            .and_then(|d| d.subscription.as_deref())
            .or(self.subscription.as_deref())
    }
}

/// What an event asks us to do: read this subscription again and apply it, with what the
/// event says about its owner. `None` from [`Event::target`] for the kinds we do not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub subscription_id: String,
    /// Our user, when the event names one (a Checkout Session's `client_reference_id`, a
    /// subscription's `metadata.user_id`).
    pub user_id: Option<String>,
    pub customer_id: Option<String>,
}

/// The kinds of event that change a plan.
pub const HANDLED: &[&str] = &[
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
];

impl Event {
    /// The subscription this event is about, for the kinds in [`HANDLED`]. `Ok(None)` for
    /// other kinds and for a Checkout Session that bought no subscription; `Err` when a
    /// handled kind's object does not have the shape Stripe documents.
    pub fn target(&self) -> Result<Option<Target>, serde_json::Error> {
        let object = || self.data.object.clone();
        Ok(match self.kind.as_str() {
            "checkout.session.completed" => {
                let s: CheckoutSession = serde_json::from_value(object())?;
                s.subscription.map(|id| Target {
                    subscription_id: id,
                    user_id: s
                        .client_reference_id
                        .or_else(|| s.metadata.get("user_id").cloned()),
                    customer_id: s.customer,
                })
            }
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted" => {
                let s: Subscription = serde_json::from_value(object())?;
                Some(Target {
                    user_id: s.user_id().map(str::to_owned),
                    subscription_id: s.id,
                    customer_id: Some(s.customer),
                })
            }
            "invoice.paid" | "invoice.payment_failed" => {
                let i: Invoice = serde_json::from_value(object())?;
                i.subscription_id().map(|id| Target {
                    subscription_id: id.to_owned(),
                    user_id: None,
                    customer_id: i.customer.clone(),
                })
            }
            _ => None,
        })
    }
}

/// Stripe's error body: `{"error":{"type","code","message",…}}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}
