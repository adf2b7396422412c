//! Why a market data source failed.

use std::fmt;

/// What kind of failure (the failover and the retry loop decide on this, never on text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceErrorKind {
    /// The provider refuses this location (Binance's HTTP 451).
    Restricted,
    /// Still rate limited after the retries allowed (HTTP 429 or 418).
    RateLimited,
    /// The API key is missing, wrong or lacks the permission (HTTP 401/403).
    Unauthorized,
    /// The request was refused as invalid (unknown symbol, bad parameter: HTTP 4xx).
    BadRequest,
    /// The provider failed (HTTP 5xx, after retries).
    Server,
    /// The provider could not be reached (connection refused, timeout, TLS).
    Network,
    /// The response did not have the documented shape.
    BadResponse,
    /// The provider does not offer what was asked (a timeframe, a market).
    Unsupported,
}

impl SourceErrorKind {
    /// How a keyed vendor's refusal reads: the kind of a non-2xx status and, for a refused
    /// key (401/403), a hint naming the variable that holds it (`key_var`), worded by whether
    /// a key was configured.
    pub(crate) fn of_refusal(
        status: u16,
        key_var: &str,
        has_key: bool,
    ) -> (SourceErrorKind, String) {
        match status {
            401 | 403 => {
                let verb = if has_key { "check" } else { "set" };
                (
                    SourceErrorKind::Unauthorized,
                    format!(" ({verb} {key_var})"),
                )
            }
            400..=499 => (SourceErrorKind::BadRequest, String::new()),
            _ => (SourceErrorKind::Server, String::new()),
        }
    }
}

/// A failure of one source, with a sentence for the user that names the provider. Never
/// contains an API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    /// The source's name ("binance", "coindesk", "coinmetrics").
    pub source_name: String,
    pub kind: SourceErrorKind,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl SourceError {
    pub(crate) fn new(
        source: &str,
        kind: SourceErrorKind,
        status: Option<u16>,
        message: impl Into<String>,
    ) -> SourceError {
        SourceError {
            source_name: source.to_owned(),
            kind,
            status,
            message: message.into(),
        }
    }
}

/// Why fetching into the store failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MarketError {
    /// Every source failed for a window; one error per source, in failover order.
    #[error("no source could deliver the candles from {from} to {to}: {}", list(.errors))]
    AllSourcesFailed {
        from: String,
        to: String,
        errors: Vec<SourceError>,
    },
    #[error(transparent)]
    Store(#[from] bb_store::StoreError),
    #[error(transparent)]
    Data(#[from] bb_data::DataError),
    /// The request cannot be served as given.
    #[error("{0}")]
    Invalid(String),
}

/// The errors' messages (each names its provider).
fn list(errors: &[SourceError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::SourceErrorKind as K;

    #[test]
    fn refusals_read_by_status_and_name_the_key_variable() {
        assert_eq!(
            K::of_refusal(401, "BB_X_KEY", false),
            (K::Unauthorized, " (set BB_X_KEY)".into())
        );
        assert_eq!(
            K::of_refusal(403, "BB_X_KEY", true),
            (K::Unauthorized, " (check BB_X_KEY)".into())
        );
        assert_eq!(
            K::of_refusal(404, "BB_X_KEY", true),
            (K::BadRequest, String::new())
        );
        assert_eq!(
            K::of_refusal(502, "BB_X_KEY", true),
            (K::Server, String::new())
        );
    }
}
