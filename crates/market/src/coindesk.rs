//! CoinDesk Data API (formerly CCData/CryptoCompare), spot historical OHLCV+:
//! `GET /spot/v1/historical/{days|hours|minutes}?market=&instrument=&to_ts=&limit=`, API key
//! in the `Authorization: Apikey …` header.
//!
//! Wire format: `{"Data": [{"UNIT": "DAY", "TIMESTAMP": <open time, s>, "TYPE", "MARKET",
//! "INSTRUMENT", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME" (base), "QUOTE_VOLUME", ...}],
//! "Err": {}}`, oldest first, ending at `to_ts` (inclusive) and going back `limit` (≤ 2000)
//! periods; pages therefore walk backwards. Errors keep the envelope: `"Data"` empty and
//! `"Err": {"type": 2, "message": "...", "other_info": {...}}` with a 4xx status.
//!
//! Other timeframes are built from the nearest unit (5m from minutes, 4h from hours, 1w from
//! days) with bb-domain's `resample`, so buckets follow this project's UTC alignment.

use std::sync::Arc;

use bb_domain::{Candles, Timeframe};
use serde_json::Value;

use crate::clock::{BoxFuture, Clock};
use crate::config::{ApiKey, MarketConfig};
use crate::error::{SourceError, SourceErrorKind};
use crate::http::{Http, RetryPolicy, url};
use crate::source::CandleSource;

const NAME: &str = "coindesk";
/// Periods per request (the API's maximum).
pub const PAGE_LIMIT: usize = 2000;

/// The CoinDesk connector.
#[derive(Debug, Clone)]
pub struct CoinDesk {
    http: Http,
    base_url: String,
    api_key: Option<ApiKey>,
    market: String,
    page_limit: usize,
}

impl CoinDesk {
    pub fn new(config: &MarketConfig, clock: Arc<dyn Clock>) -> CoinDesk {
        CoinDesk {
            http: Http::new(NAME, config.timeout, clock),
            base_url: config.coindesk_url.clone(),
            api_key: config.coindesk_api_key.clone(),
            market: config.coindesk_market.clone(),
            page_limit: PAGE_LIMIT,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> CoinDesk {
        self.base_url = base_url.into();
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> CoinDesk {
        self.http.retry = retry;
        self
    }

    pub fn with_page_limit(mut self, limit: usize) -> CoinDesk {
        self.page_limit = limit.clamp(1, PAGE_LIMIT);
        self
    }

    fn error(&self, kind: SourceErrorKind, status: Option<u16>, m: String) -> SourceError {
        SourceError::new(NAME, kind, status, m)
    }

    async fn fetch_all(
        &self,
        symbol: &str,
        tf: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Candles, SourceError> {
        let (path, unit) = unit_for(tf);
        let unit_ms = unit.millis();
        let instrument = instrument(symbol);
        // Pages walk backwards from the last period wanted.
        let mut rows: Vec<[f64; 5]> = Vec::new();
        let mut times: Vec<i64> = Vec::new();
        let last_open = (to_ms - 1).div_euclid(unit_ms) * unit_ms;
        let mut to_ts = last_open;
        while to_ts >= from_ms {
            let periods = usize::try_from((to_ts - from_ms) / unit_ms + 1).unwrap_or(usize::MAX);
            let limit = periods.min(self.page_limit);
            let page = self.page(path, &instrument, to_ts / 1000, limit).await?;
            let Some(first) = page.first().map(|r| r.0) else {
                break;
            };
            for (ts, values) in page.into_iter().rev() {
                if ts >= from_ms && ts < to_ms && times.last().is_none_or(|&t| ts < t) {
                    times.push(ts);
                    rows.push(values);
                }
            }
            if first <= from_ms || first > to_ts {
                break;
            }
            to_ts = first - unit_ms;
        }
        let now = self.http.clock.now_ms();
        let mut out = Candles::default();
        for (ts, [o, h, l, c, v]) in times.into_iter().zip(rows).rev() {
            if ts + unit_ms <= now {
                out.push(ts, o, h, l, c, v);
            }
        }
        Ok(if unit == tf {
            out
        } else {
            bb_domain::resample(&out, unit, tf)
        })
    }

    async fn page(
        &self,
        path: &str,
        instrument: &str,
        to_ts_s: i64,
        limit: usize,
    ) -> Result<Vec<(i64, [f64; 5])>, SourceError> {
        let url = url(
            &self.base_url,
            &format!("/spot/v1/historical/{path}"),
            &[
                ("market", self.market.clone()),
                ("instrument", instrument.to_owned()),
                ("to_ts", to_ts_s.to_string()),
                ("limit", limit.to_string()),
                ("aggregate", "1".into()),
                ("fill", "false".into()),
                ("apply_mapping", "true".into()),
                ("response_format", "JSON".into()),
            ],
        )
        .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
        let headers: Vec<(&'static str, String)> = match &self.api_key {
            Some(key) => vec![("authorization", format!("Apikey {}", key.expose()))],
            None => Vec::new(),
        };
        let reply = self.http.get(&url, &headers).await?;
        let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
        let err_message = body
            .as_ref()
            .and_then(|b| b.get("Err"))
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !(200..300).contains(&reply.status) {
            let message = err_message.unwrap_or_else(|| reply.snippet());
            let (kind, hint) = SourceErrorKind::of_refusal(
                reply.status,
                "BB_COINDESK_API_KEY",
                self.api_key.is_some(),
            );
            return Err(self.error(
                kind,
                Some(reply.status),
                format!(
                    "CoinDesk refused the request (HTTP {}): {message}{hint}",
                    reply.status
                ),
            ));
        }
        let body = body.ok_or_else(|| {
            self.error(
                SourceErrorKind::BadResponse,
                Some(reply.status),
                format!(
                    "CoinDesk sent something that is not JSON: {}",
                    reply.snippet()
                ),
            )
        })?;
        if let Some(message) = err_message {
            return Err(self.error(
                SourceErrorKind::BadRequest,
                Some(reply.status),
                format!("CoinDesk: {message}"),
            ));
        }
        let data = match body.get("Data") {
            Some(Value::Array(rows)) => rows.as_slice(),
            Some(Value::Object(o)) if o.is_empty() => &[],
            _ => {
                return Err(self.error(
                    SourceErrorKind::BadResponse,
                    Some(reply.status),
                    "CoinDesk's response has no \"Data\" array".into(),
                ));
            }
        };
        data.iter()
            .enumerate()
            .map(|(i, row)| {
                let field = |name: &str| {
                    row.get(name)
                        .and_then(Value::as_f64)
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            self.error(
                                SourceErrorKind::BadResponse,
                                Some(reply.status),
                                format!(
                                    "CoinDesk row {}: {name} is missing or not a number",
                                    i + 1
                                ),
                            )
                        })
                };
                let ts = row
                    .get("TIMESTAMP")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| {
                        self.error(
                            SourceErrorKind::BadResponse,
                            Some(reply.status),
                            format!("CoinDesk row {}: TIMESTAMP is missing", i + 1),
                        )
                    })?;
                Ok((
                    ts * 1000,
                    [
                        field("OPEN")?,
                        field("HIGH")?,
                        field("LOW")?,
                        field("CLOSE")?,
                        field("VOLUME")?,
                    ],
                ))
            })
            .collect()
    }
}

impl CandleSource for CoinDesk {
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

/// The endpoint and its unit for a timeframe: days for whole days, hours for whole hours,
/// minutes otherwise.
fn unit_for(tf: Timeframe) -> (&'static str, Timeframe) {
    if tf.minutes().is_multiple_of(1440) {
        ("days", Timeframe::DAY)
    } else if tf.minutes().is_multiple_of(60) {
        ("hours", Timeframe::HOUR)
    } else {
        ("minutes", Timeframe::MINUTE)
    }
}

/// `btc-usd`, `BTC/USD` → `BTC-USD` (CoinDesk instruments are `BASE-QUOTE`).
fn instrument(symbol: &str) -> String {
    symbol.trim().replace('/', "-").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_instruments() {
        assert_eq!(unit_for("1d".parse().unwrap()).0, "days");
        assert_eq!(unit_for("1w".parse().unwrap()).0, "days");
        assert_eq!(unit_for("4h".parse().unwrap()).0, "hours");
        assert_eq!(unit_for("15m".parse().unwrap()).0, "minutes");
        assert_eq!(instrument("btc/usd"), "BTC-USD");
    }
}
