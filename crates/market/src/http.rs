//! GET with bounded retries, shared by the connectors: 429 and 418 wait for `Retry-After`
//! (on the injected clock), 5xx and network failures back off exponentially, everything else
//! is returned to the connector to interpret. Error messages never contain the URL (some
//! providers take the API key as a query parameter).

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderMap;

use crate::clock::Clock;
use crate::error::{SourceError, SourceErrorKind};

/// How hard to try before giving up on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff before retry `n` (from 0) is `base_delay × 2ⁿ` for failures without
    /// `Retry-After`.
    pub base_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the request fails at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// The largest response body read (a month of one-minute klines zipped is about 2 MiB).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// A response the connector interprets.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text, cut to a sentence's length, for error messages.
    pub(crate) fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_owned(),
        }
    }
}

/// An HTTP client for one source.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: Option<reqwest::Client>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    source: &'static str,
}

impl Http {
    pub(crate) fn new(source: &'static str, timeout: Duration, clock: Arc<dyn Clock>) -> Http {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("blockbuilders/", env!("CARGO_PKG_VERSION")))
            .build()
            .ok();
        Http {
            client,
            clock,
            retry: RetryPolicy::default(),
            source,
        }
    }

    fn error(&self, kind: SourceErrorKind, status: Option<u16>, message: String) -> SourceError {
        SourceError::new(self.source, kind, status, message)
    }

    /// The body, read chunk by chunk and refused beyond [`MAX_BODY_BYTES`], so a provider
    /// (or something pretending to be one) cannot fill the memory.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        status: u16,
    ) -> Result<Vec<u8>, SourceError> {
        let too_large = || {
            self.error(
                SourceErrorKind::BadResponse,
                Some(status),
                format!(
                    "{}: the response is larger than {} MiB",
                    self.source,
                    MAX_BODY_BYTES >> 20
                ),
            )
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(self.error(
                        SourceErrorKind::Network,
                        Some(status),
                        format!("{}: the response was cut off: {}", self.source, describe(e)),
                    ));
                }
            }
        }
    }

    /// GETs `url` with `headers`, retrying as the policy allows.
    pub(crate) async fn get(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
    ) -> Result<Reply, SourceError> {
        let Some(client) = &self.client else {
            return Err(self.error(
                SourceErrorKind::Network,
                None,
                format!(
                    "{}: the HTTP client could not be created (TLS setup failed)",
                    self.source
                ),
            ));
        };
        let mut attempt = 0;
        loop {
            let mut request = client.get(url.clone());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let retry_in = match request.send().await {
                Err(e) => {
                    let message = describe(e);
                    if attempt >= self.retry.max_retries {
                        return Err(self.error(
                            SourceErrorKind::Network,
                            None,
                            format!(
                                "{}: cannot reach the server after {} attempts: {message}",
                                self.source,
                                attempt + 1
                            ),
                        ));
                    }
                    self.backoff(attempt)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let body = self.read_body(response, status).await?;
                    let reply = Reply {
                        status,
                        headers,
                        body,
                    };
                    match status {
                        429 | 418 => {
                            let wait = reply
                                .header("retry-after")
                                .and_then(|v| v.trim().parse::<u64>().ok())
                                .map(Duration::from_secs);
                            let what = if status == 418 {
                                "banned this IP for sending too many requests"
                            } else {
                                "is rate limiting requests"
                            };
                            if let Some(w) = wait
                                && w > self.retry.max_wait
                            {
                                return Err(self.error(
                                    SourceErrorKind::RateLimited,
                                    Some(status),
                                    format!(
                                        "{} {what} (HTTP {status}) and asks to wait {} s; try again later",
                                        self.source,
                                        w.as_secs()
                                    ),
                                ));
                            }
                            if attempt >= self.retry.max_retries {
                                return Err(self.error(
                                    SourceErrorKind::RateLimited,
                                    Some(status),
                                    format!(
                                        "{} {what} (HTTP {status}); gave up after {} attempts",
                                        self.source,
                                        attempt + 1
                                    ),
                                ));
                            }
                            wait.unwrap_or_else(|| self.backoff(attempt))
                        }
                        500..=599 => {
                            if attempt >= self.retry.max_retries {
                                return Err(self.error(
                                    SourceErrorKind::Server,
                                    Some(status),
                                    format!(
                                        "{} failed (HTTP {status}) {} times: {}",
                                        self.source,
                                        attempt + 1,
                                        reply.snippet()
                                    ),
                                ));
                            }
                            self.backoff(attempt)
                        }
                        _ => return Ok(reply),
                    }
                }
            };
            self.clock.sleep(retry_in).await;
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry
            .base_delay
            .saturating_mul(1 << attempt.min(16))
            .min(self.retry.max_wait)
    }
}

/// A reqwest error and its causes, without the URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `base` + `path` with query parameters (values are encoded).
pub(crate) fn url(base: &str, path: &str, params: &[(&str, String)]) -> Result<Url, String> {
    let joined = format!("{}{}", base.trim_end_matches('/'), path);
    Url::parse_with_params(&joined, params).map_err(|e| format!("invalid URL {joined}: {e}"))
}
