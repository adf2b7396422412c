//! `bb-billing`: Stripe billing (outer ring). [`signature`] checks `Stripe-Signature`,
//! [`client`] makes the few API calls we need and [`model`] reads Stripe's objects and
//! events. Which plan a subscription gives is the store's rule (`bb_store::access`).

pub mod client;
pub mod model;
pub mod signature;

pub use client::{API_VERSION, CheckoutRequest, DEFAULT_BASE, StripeClient, StripeError};
pub use model::{CheckoutSession, Event, HANDLED, Invoice, PortalSession, Subscription, Target};
pub use signature::{StripeSignatureError, TOLERANCE_SECS, signature_header, verify};
