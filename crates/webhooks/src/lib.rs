//! `bb-webhooks`: outgoing webhooks (outer ring, no database).
//!
//! - [`signature`]: Standard Webhooks v1 signatures (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`; HMAC-SHA256 with the base64-decoded `whsec_` secret), with several
//!   signatures during a secret rotation, and the receiver's check.
//! - [`guard`]: the SSRF guard: URLs checked when registered, every resolved address checked
//!   when connecting (resolve once, connect to what was checked).
//! - [`send`]: one attempt (timeout, no redirects, no proxy, response capped) and the retry
//!   schedule (about a day).
//!
//! The store keeps endpoints, deliveries and attempts; the workers' `webhook_delivery` job
//! calls [`Sender::send`] and records the outcome.

pub mod guard;
pub mod send;
pub mod signature;

pub use guard::{GuardError, check_url};
pub use send::{Attempt, MAX_ATTEMPTS, Message, Policy, Sender, next_delay};
pub use signature::{SignatureError, new_secret, sign, signature_header, verify};
