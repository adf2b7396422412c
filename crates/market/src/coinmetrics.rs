//! Coin Metrics API v4 market candles:
//! `GET /v4/timeseries/market-candles?markets=&frequency=&start_time=&end_time=&page_size=&api_key=`.
//!
//! Wire format: `{"data": [{"market": "coinbase-btc-usd-spot", "time":
//! "2020-06-08T20:45:00.000000000Z" (the candle's start), "price_open", "price_close",
//! "price_high", "price_low", "vwap", "volume" (base units), "candle_usd_volume",
//! "candle_trades_count"}], "next_page_token": "...", "next_page_url": "..."}` with every
//! number a string; the token is absent on the last page. Errors: `{"error": {"type":
//! "bad_parameter", "message": "..."}}` with a 4xx status (401/403 for keys). Coin Metrics
//! candles are gapless: a period without trades repeats the previous close with volume 0.
//!
//! Frequencies: 1m, 5m, 10m, 15m, 30m, 1h, 4h, 1d; other timeframes are resampled from the
//! largest of these that divides them.

use std::sync::Arc;

use bb_domain::{Candles, Timeframe};
use serde_json::Value;

use crate::clock::{BoxFuture, Clock};
use crate::config::{ApiKey, MarketConfig};
use crate::error::{SourceError, SourceErrorKind};
use crate::http::{Http, RetryPolicy, url};
use crate::source::CandleSource;

const NAME: &str = "coinmetrics";
/// Rows per page (the API's maximum is 10,000).
pub const PAGE_SIZE: usize = 10_000;
const FREQUENCIES: [u32; 8] = [1, 5, 10, 15, 30, 60, 240, 1440];

/// The Coin Metrics connector.
#[derive(Debug, Clone)]
pub struct CoinMetrics {
    http: Http,
    base_url: String,
    api_key: Option<ApiKey>,
    exchange: String,
    page_size: usize,
}

impl CoinMetrics {
    pub fn new(config: &MarketConfig, clock: Arc<dyn Clock>) -> CoinMetrics {
        CoinMetrics {
            http: Http::new(NAME, config.timeout, clock),
            base_url: config.coinmetrics_url.clone(),
            api_key: config.coinmetrics_api_key.clone(),
            exchange: config.coinmetrics_exchange.clone(),
            page_size: PAGE_SIZE,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> CoinMetrics {
        self.base_url = base_url.into();
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> CoinMetrics {
        self.http.retry = retry;
        self
    }

    pub fn with_page_size(mut self, size: usize) -> CoinMetrics {
        self.page_size = size.clamp(1, PAGE_SIZE);
        self
    }

    fn error(&self, kind: SourceErrorKind, status: Option<u16>, m: String) -> SourceError {
        SourceError::new(NAME, kind, status, m)
    }

    /// The Coin Metrics market id: `coinbase-btc-usd-spot` from `BTC-USD`; a symbol that
    /// already is a market id is used as it is.
    pub fn market_id(&self, symbol: &str) -> String {
        let s = symbol.trim().to_ascii_lowercase().replace('/', "-");
        if s.matches('-').count() >= 3 {
            s
        } else {
            format!("{}-{s}-spot", self.exchange.to_ascii_lowercase())
        }
    }

    async fn fetch_all(
        &self,
        symbol: &str,
        tf: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Candles, SourceError> {
        let base_minutes = FREQUENCIES
            .iter()
            .rev()
            .copied()
            .find(|&m| tf.minutes().is_multiple_of(m))
            .unwrap_or(1);
        let base = Timeframe::from_minutes(base_minutes).unwrap_or(Timeframe::MINUTE);
        let market = self.market_id(symbol);
        let mut params = vec![
            ("markets", market.clone()),
            ("frequency", frequency(base)),
            ("start_time", rfc3339(from_ms)),
            ("end_time", rfc3339(to_ms)),
            ("end_inclusive", "false".to_owned()),
            ("paging_from", "start".to_owned()),
            ("page_size", self.page_size.to_string()),
        ];
        if let Some(key) = &self.api_key {
            params.push(("api_key", key.expose().to_owned()));
        }
        let now = self.http.clock.now_ms();
        let mut out = Candles::default();
        let mut token: Option<String> = None;
        loop {
            let mut page_params = params.clone();
            if let Some(t) = &token {
                page_params.push(("next_page_token", t.clone()));
            }
            let url = url(&self.base_url, "/timeseries/market-candles", &page_params)
                .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
            let reply = self.http.get(&url, &[]).await?;
            let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
            if !(200..300).contains(&reply.status) {
                let message = body
                    .as_ref()
                    .and_then(|b| b.get("error"))
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| reply.snippet());
                let (kind, hint) = SourceErrorKind::of_refusal(
                    reply.status,
                    "BB_COINMETRICS_API_KEY",
                    self.api_key.is_some(),
                );
                return Err(self.error(
                    kind,
                    Some(reply.status),
                    format!(
                        "Coin Metrics refused the request for {market} (HTTP {}): {message}{hint}",
                        reply.status
                    ),
                ));
            }
            let body = body.ok_or_else(|| {
                self.error(
                    SourceErrorKind::BadResponse,
                    Some(reply.status),
                    format!(
                        "Coin Metrics sent something that is not JSON: {}",
                        reply.snippet()
                    ),
                )
            })?;
            let rows = body.get("data").and_then(Value::as_array).ok_or_else(|| {
                self.error(
                    SourceErrorKind::BadResponse,
                    Some(reply.status),
                    "Coin Metrics' response has no \"data\" array".into(),
                )
            })?;
            for (i, row) in rows.iter().enumerate() {
                let bad = |what: &str| {
                    self.error(
                        SourceErrorKind::BadResponse,
                        Some(reply.status),
                        format!("Coin Metrics candle {}: {what}", i + 1),
                    )
                };
                let time = row
                    .get("time")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("no time"))?;
                let ts = bb_data::parse_timestamp(time, None)
                    .map_err(|_| bad(&format!("time \"{time}\" is not RFC 3339")))?;
                let num = |name: &str| {
                    row.get(name)
                        .and_then(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .or_else(|| v.as_f64().map(|x| x.to_string()))
                        })
                        .and_then(|s| s.parse::<f64>().ok())
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| bad(&format!("{name} is missing or not a number")))
                };
                let values = [
                    num("price_open")?,
                    num("price_high")?,
                    num("price_low")?,
                    num("price_close")?,
                    num("volume")?,
                ];
                let complete = ts + base.millis() <= now;
                if ts >= from_ms && ts < to_ms && complete && out.ts.last().is_none_or(|&t| ts > t)
                {
                    let [o, h, l, c, v] = values;
                    out.push(ts, o, h, l, c, v);
                }
            }
            token = body
                .get("next_page_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() || rows.is_empty() {
                break;
            }
        }
        Ok(if base == tf {
            out
        } else {
            bb_domain::resample(&out, base, tf)
        })
    }
}

impl CandleSource for CoinMetrics {
    fn name(&self) -> &str {
        NAME
    }

    fn fetch<'a>(
        &'a self,
        symbol: &'a str,
        timeframe: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxFuture<'a, Result<Candles, SourceError>> {
        Box::pin(self.fetch_all(symbol, timeframe, from_ms, to_ms))
    }
}

fn frequency(tf: Timeframe) -> String {
    match tf.minutes() {
        1440 => "1d".into(),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

/// `2024-01-01T00:00:00Z` of Unix ms (whole seconds).
fn rfc3339(ms: i64) -> String {
    bb_data::format_utc(ms).replacen(' ', "T", 1) + "Z"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    #[test]
    fn markets_frequencies_and_times() {
        let cm = CoinMetrics::new(&MarketConfig::default(), Arc::new(SystemClock));
        assert_eq!(cm.market_id("BTC-USD"), "coinbase-btc-usd-spot");
        assert_eq!(cm.market_id("kraken-eth-eur-spot"), "kraken-eth-eur-spot");
        assert_eq!(frequency("4h".parse().unwrap()), "4h");
        assert_eq!(frequency(Timeframe::DAY), "1d");
        assert_eq!(frequency("15m".parse().unwrap()), "15m");
        assert_eq!(rfc3339(1_704_067_200_000), "2024-01-01T00:00:00Z");
    }
}
