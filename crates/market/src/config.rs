//! Market data configuration: API keys and endpoints, from `BB_*` environment variables.
//! Keys are wrapped so that `Debug` prints `[redacted]`; they are sent only in the header or
//! parameter the provider requires and never appear in an error message.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::error::{SourceError, SourceErrorKind};
use crate::{Binance, CandleSource, CoinDesk, CoinMetrics};

/// A provider API key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty or blank key.
    pub fn new(key: impl Into<String>) -> Option<ApiKey> {
        let key = key.into().trim().to_owned();
        (!key.is_empty()).then_some(ApiKey(key))
    }

    /// The key itself, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Public Binance REST endpoint.
pub const BINANCE_URL: &str = "https://api.binance.com";
/// Binance's public data dumps.
pub const BINANCE_DUMPS_URL: &str = "https://data.binance.vision";
/// CoinDesk Data API.
pub const COINDESK_URL: &str = "https://data-api.coindesk.com";
/// Coin Metrics API v4 (with a key) and its community endpoint (without one).
pub const COINMETRICS_URL: &str = "https://api.coinmetrics.io/v4";
pub const COINMETRICS_COMMUNITY_URL: &str = "https://community-api.coinmetrics.io/v4";

/// Where and how to reach the providers.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    /// `BB_COINDESK_API_KEY`.
    pub coindesk_api_key: Option<ApiKey>,
    /// `BB_COINMETRICS_API_KEY`.
    pub coinmetrics_api_key: Option<ApiKey>,
    /// `BB_BINANCE_URL`, default [`BINANCE_URL`].
    pub binance_url: String,
    /// `BB_BINANCE_DUMPS_URL`, default [`BINANCE_DUMPS_URL`]: where Binance's public data
    /// dumps are; `off` fetches everything from the klines API.
    pub binance_dumps_url: Option<String>,
    /// `BB_COINDESK_URL`, default [`COINDESK_URL`].
    pub coindesk_url: String,
    /// `BB_COINMETRICS_URL`, default [`COINMETRICS_URL`] with a key, the community API
    /// without.
    pub coinmetrics_url: String,
    /// `BB_COINDESK_MARKET` / `BB_COINMETRICS_EXCHANGE`: the exchange whose spot candles are
    /// asked for (default "coinbase").
    pub coindesk_market: String,
    pub coinmetrics_exchange: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig::from_lookup(|_| None)
    }
}

/// Whether `dataset` is fetched from a provider (and so can be brought up to date), not
/// imported from a file or bundled.
pub fn is_fetched(dataset: &bb_store::Dataset) -> bool {
    dataset.fetch_sources.iter().any(|s| {
        matches!(
            s.as_str(),
            "binance" | "coindesk" | "coinmetrics" | "coin-metrics"
        )
    })
}

impl MarketConfig {
    /// From the process environment.
    pub fn from_env() -> MarketConfig {
        MarketConfig::from_lookup(|k| std::env::var(k).ok())
    }

    /// From any key → value lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> MarketConfig {
        let non_empty = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let coinmetrics_api_key = get("BB_COINMETRICS_API_KEY").and_then(ApiKey::new);
        MarketConfig {
            coindesk_api_key: get("BB_COINDESK_API_KEY").and_then(ApiKey::new),
            binance_url: non_empty("BB_BINANCE_URL").unwrap_or_else(|| BINANCE_URL.into()),
            binance_dumps_url: match non_empty("BB_BINANCE_DUMPS_URL") {
                Some(off) if off.eq_ignore_ascii_case("off") => None,
                Some(url) => Some(url),
                None => Some(BINANCE_DUMPS_URL.into()),
            },
            coindesk_url: non_empty("BB_COINDESK_URL").unwrap_or_else(|| COINDESK_URL.into()),
            coinmetrics_url: non_empty("BB_COINMETRICS_URL").unwrap_or_else(|| {
                if coinmetrics_api_key.is_some() {
                    COINMETRICS_URL.into()
                } else {
                    COINMETRICS_COMMUNITY_URL.into()
                }
            }),
            coinmetrics_api_key,
            coindesk_market: non_empty("BB_COINDESK_MARKET").unwrap_or_else(|| "coinbase".into()),
            coinmetrics_exchange: non_empty("BB_COINMETRICS_EXCHANGE")
                .unwrap_or_else(|| "coinbase".into()),
            timeout: Duration::from_secs(30),
        }
    }

    /// The connector called `name` ("binance", "coindesk", "coinmetrics").
    pub fn source(
        &self,
        name: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<dyn CandleSource>, SourceError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "binance" => Ok(Arc::new(Binance::new(self, clock))),
            "coindesk" => Ok(Arc::new(CoinDesk::new(self, clock))),
            "coinmetrics" | "coin-metrics" => Ok(Arc::new(CoinMetrics::new(self, clock))),
            other => Err(SourceError::new(
                other,
                SourceErrorKind::Unsupported,
                None,
                format!("unknown source \"{other}\" (use binance, coindesk or coinmetrics)"),
            )),
        }
    }

    /// [`Self::source`] on the system clock.
    pub fn source_on_system_clock(&self, name: &str) -> Result<Arc<dyn CandleSource>, SourceError> {
        self.source(name, Arc::new(SystemClock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_come_from_the_environment_and_never_show_in_debug() {
        let env: HashMap<&str, &str> = HashMap::from([
            ("BB_COINDESK_API_KEY", "cd-secret-123"),
            ("BB_COINMETRICS_API_KEY", "cm-secret-456"),
        ]);
        let config = MarketConfig::from_lookup(|k| env.get(k).map(|v| v.to_string()));
        assert_eq!(
            config.coindesk_api_key.as_ref().unwrap().expose(),
            "cd-secret-123"
        );
        assert_eq!(config.coinmetrics_url, COINMETRICS_URL);
        let shown = format!("{config:?} {:#?}", config);
        assert!(!shown.contains("cd-secret-123"), "{shown}");
        assert!(!shown.contains("cm-secret-456"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        // the connectors built from it do not show the keys either
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        for name in ["coindesk", "coinmetrics"] {
            let source = config.source(name, clock.clone()).unwrap();
            let shown = format!("{source:?}");
            assert!(!shown.contains("secret"), "{shown}");
        }
    }

    #[test]
    fn without_keys_coin_metrics_uses_the_community_api() {
        let config =
            MarketConfig::from_lookup(|k| (k == "BB_COINDESK_API_KEY").then(|| "  ".into()));
        assert!(config.coindesk_api_key.is_none());
        assert_eq!(config.coinmetrics_url, COINMETRICS_COMMUNITY_URL);
        assert!(config.source("kraken", Arc::new(SystemClock)).is_err());
    }
}
