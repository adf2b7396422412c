//! Sending one attempt of a delivery: a signed POST with a timeout, no redirects (a 3xx is a
//! failure), no proxy, the response read up to a cap, and the SSRF guard on every address.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};

use crate::guard::{GuardError, GuardedResolver, check_url};
use crate::signature::signature_header;

/// How deliveries are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Deliver to loopback and private addresses too (tests; a self-hosted install whose
    /// receivers are on its own network). Off by default.
    pub allow_private: bool,
    /// The whole request, connect included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// At most this much of a response is read.
    pub max_response_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_private: false,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
        }
    }
}

/// The start of a response kept in the delivery log.
pub const EXCERPT_BYTES: usize = 1024;

/// One message to send.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// `webhook-id`: the same on every attempt, the receiver's idempotency key.
    pub id: &'a str,
    /// `webhook-timestamp`: Unix seconds of this attempt.
    pub timestamp: i64,
    /// The JSON body, byte for byte as signed.
    pub body: &'a [u8],
    /// Every secret that signs (the current one, and the previous one during a rotation).
    pub secrets: &'a [&'a str],
}

/// What happened to one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The response's status, when one came.
    pub status: Option<u16>,
    pub duration_ms: i64,
    /// Why it failed before or without a response (timeout, refused address, ...).
    pub error: Option<String>,
    /// The start of the response body (lossy UTF-8).
    pub response_excerpt: String,
    /// The destination was refused by the SSRF guard: retrying cannot help.
    pub blocked: bool,
    /// A `Retry-After` in seconds the receiver asked for.
    pub retry_after_secs: Option<u64>,
}

impl Attempt {
    /// Only a 2xx answer is a delivery.
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// 410 Gone: the receiver asks us to stop; the endpoint is disabled at once.
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }

    fn failed(error: String, blocked: bool, started: Instant) -> Attempt {
        Attempt {
            status: None,
            duration_ms: elapsed_ms(started),
            error: Some(error),
            response_excerpt: String::new(),
            blocked,
            retry_after_secs: None,
        }
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Sends webhook attempts under a [`Policy`].
#[derive(Clone, Debug)]
pub struct Sender {
    client: Option<reqwest::Client>,
    policy: Policy,
}

impl Sender {
    pub fn new(policy: Policy) -> Sender {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if !policy.allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(GuardedResolver));
        }
        Sender {
            client: builder.build().ok(),
            policy,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Sends one attempt; never panics and never takes longer than the policy's timeout
    /// (plus the time to read the capped response).
    pub async fn send(&self, url: &str, msg: Message<'_>) -> Attempt {
        let started = Instant::now();
        let Some(client) = &self.client else {
            return Attempt::failed("the HTTP client could not start".into(), false, started);
        };
        let url = match check_url(url, self.policy.allow_private) {
            Ok(u) => u,
            Err(e) => {
                let blocked = matches!(e, GuardError::Blocked(..) | GuardError::Local(_));
                return Attempt::failed(e.to_string(), blocked, started);
            }
        };
        let signature = match signature_header(msg.secrets, msg.id, msg.timestamp, msg.body) {
            Ok(s) => s,
            Err(e) => return Attempt::failed(e.to_string(), false, started),
        };
        let request = client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                USER_AGENT,
                concat!("Blockbuilders-Webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header("webhook-id", msg.id)
            .header("webhook-timestamp", msg.timestamp.to_string())
            .header("webhook-signature", signature)
            .body(msg.body.to_vec());
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let text = describe(&e);
                let blocked = text.contains("public addresses only");
                return Attempt::failed(text, blocked, started);
            }
        };
        let status = response.status().as_u16();
        let retry_after_secs = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = Vec::new();
        let mut error = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.policy.max_response_bytes.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= self.policy.max_response_bytes {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    error = Some(format!("reading the response: {}", describe(&e)));
                    break;
                }
            }
        }
        body.truncate(EXCERPT_BYTES);
        Attempt {
            status: Some(status),
            duration_ms: elapsed_ms(started),
            error,
            response_excerpt: String::from_utf8_lossy(&body).into_owned(),
            blocked: false,
            retry_after_secs,
        }
    }
}

/// A reqwest error and its causes in one line (without the URL, which may hold a token).
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_owned());
    } else if e.is_connect() {
        parts.push("could not connect".to_owned());
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push("the request failed".to_owned());
    }
    parts.join(": ")
}

/// The waits before the retries: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
/// 10 h (Svix's schedule): eight attempts over about 27.6 hours.
pub const RETRY_DELAYS_SECS: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// Attempts a delivery gets before it fails for good.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS_SECS.len() as u32 + 1;

/// The wait before the next attempt after `attempts_made` failed ones, with up to 10%
/// random jitter and at least the receiver's `Retry-After` (capped at a day); `None` once
/// the schedule is spent.
pub fn next_delay(attempts_made: u32, retry_after_secs: Option<u64>) -> Option<Duration> {
    let base = *RETRY_DELAYS_SECS.get(usize::try_from(attempts_made.checked_sub(1)?).ok()?)?;
    let jitter_ms = rand::random::<u64>() % (base * 100 + 1);
    let wait_ms = base * 1000 + jitter_ms;
    let asked_ms = retry_after_secs.unwrap_or(0).min(86_400) * 1000;
    Some(Duration::from_millis(wait_ms.max(asked_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_a_day_and_ends() {
        let total: u64 = RETRY_DELAYS_SECS.iter().sum();
        assert!((86_400..=30 * 3600).contains(&total), "{total}");
        let first = next_delay(1, None).unwrap();
        assert!(first >= Duration::from_secs(5) && first <= Duration::from_millis(5_500));
        assert!(next_delay(MAX_ATTEMPTS - 1, None).is_some());
        assert_eq!(next_delay(MAX_ATTEMPTS, None), None);
        assert_eq!(next_delay(0, None), None);
        assert!(next_delay(1, Some(120)).unwrap() >= Duration::from_secs(120));
        assert!(next_delay(1, Some(10_000_000)).unwrap() <= Duration::from_secs(86_400));
    }
}
