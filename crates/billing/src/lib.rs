//! `bb-billing`: Stripe billing (outer ring). For now, the check of Stripe's webhook
//! signature ([`signature`]); the client, the event store and the plan changes come next.

pub mod signature;

pub use signature::{StripeSignatureError, TOLERANCE_SECS, signature_header, verify};
