//! Binance public REST klines (`GET /api/v3/klines`, no key), and the markets it lists
//! (`GET /api/v3/exchangeInfo`: `{"symbols": [{"symbol": "ETHUSDT", "status": "TRADING",
//! "baseAsset": "ETH", "quoteAsset": "USDT", ...}]}`).
//!
//! Wire format: a JSON array of arrays `[open time (ms), "open", "high", "low", "close",
//! "volume", close time (ms), "quote volume", trades, "taker buy base", "taker buy quote",
//! "ignore"]`, at most `limit` (1000) per request, oldest first. Errors are
//! `{"code": -1121, "msg": "Invalid symbol."}`. Every response carries the IP's request
//! weight used in the current minute (`X-MBX-USED-WEIGHT-1M`, limit 6000); 429 asks to slow
//! down and 418 is a ban, both with `Retry-After` in seconds; 451 means Binance refuses the
//! caller's location.

use std::sync::Arc;
use std::time::Duration;

use bb_domain::{Candles, Timeframe};
use serde_json::Value;

use crate::clock::{BoxFuture, Clock};
use crate::config::MarketConfig;
use crate::error::{SourceError, SourceErrorKind};
use crate::http::{Http, RetryPolicy, url};
use crate::source::CandleSource;

const NAME: &str = "binance";
/// Klines per request (Binance's maximum).
pub const PAGE_LIMIT: usize = 1000;
/// Request weight allowed per minute and IP.
pub const WEIGHT_LIMIT: u32 = 6000;
/// Above this share of the minute's weight, wait for the next minute before asking again.
const WEIGHT_HEADROOM: f64 = 0.9;

/// Every interval Binance offers klines in, shortest first.
pub const INTERVALS: &[&str] = &[
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
];

/// A market the exchange lists, in our `BASE-QUOTE` notation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedSymbol {
    /// e.g. `ETH-USDT`.
    pub symbol: String,
    /// e.g. `ETH`.
    pub base: String,
    /// e.g. `USDT`: the currency prices and money are in.
    pub quote: String,
}

/// The Binance connector.
#[derive(Debug, Clone)]
pub struct Binance {
    http: Http,
    base_url: String,
    page_limit: usize,
    weight_limit: u32,
}

impl Binance {
    pub fn new(config: &MarketConfig, clock: Arc<dyn Clock>) -> Binance {
        Binance {
            http: Http::new(NAME, config.timeout, clock),
            base_url: config.binance_url.clone(),
            page_limit: PAGE_LIMIT,
            weight_limit: WEIGHT_LIMIT,
        }
    }

    /// Another base URL (a fake server in tests, a proxy).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Binance {
        self.base_url = base_url.into();
        self
    }

    /// Another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Binance {
        self.http.retry = retry;
        self
    }

    /// Fewer klines per request (tests paginate with small pages).
    pub fn with_page_limit(mut self, limit: usize) -> Binance {
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
        let interval = interval(tf).ok_or_else(|| {
            self.error(
                SourceErrorKind::Unsupported,
                None,
                format!(
                    "Binance has no {tf} klines (it offers 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, \
                     8h, 12h, 1d, 3d and 1w)"
                ),
            )
        })?;
        let symbol = binance_symbol(symbol);
        let mut out = Candles::default();
        let mut start = from_ms;
        while start < to_ms {
            let page = self.page(&symbol, interval, start, to_ms).await?;
            let full = page.len() >= self.page_limit;
            let now = self.http.clock.now_ms();
            let mut last_open = None;
            for k in page {
                last_open = Some(k.open_time);
                let complete = k.close_time < now && k.open_time + tf.millis() <= now;
                if k.open_time >= from_ms && k.open_time < to_ms && complete {
                    if out.ts.last().is_some_and(|&t| k.open_time <= t) {
                        continue;
                    }
                    out.push(k.open_time, k.open, k.high, k.low, k.close, k.volume);
                }
            }
            match last_open {
                Some(t) if full => start = t + tf.millis(),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn page(
        &self,
        symbol: &str,
        interval: &str,
        start: i64,
        to_ms: i64,
    ) -> Result<Vec<Kline>, SourceError> {
        let url = url(
            &self.base_url,
            "/api/v3/klines",
            &[
                ("symbol", symbol.to_owned()),
                ("interval", interval.to_owned()),
                ("startTime", start.to_string()),
                ("endTime", (to_ms - 1).to_string()),
                ("limit", self.page_limit.to_string()),
            ],
        )
        .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
        let reply = self.http.get(&url, &[]).await?;
        if reply.status == 451 {
            return Err(self.error(
                SourceErrorKind::Restricted,
                Some(451),
                "Binance is not available from your location (HTTP 451); use another source".into(),
            ));
        }
        if !(200..300).contains(&reply.status) {
            let (kind, what) = match reply.status {
                401 | 403 => (SourceErrorKind::Unauthorized, "refused the request"),
                400..=499 => (SourceErrorKind::BadRequest, "refused the request"),
                _ => (SourceErrorKind::Server, "failed"),
            };
            return Err(self.error(
                kind,
                Some(reply.status),
                format!(
                    "Binance {what} (HTTP {}): {}",
                    reply.status,
                    error_message(&reply.body).unwrap_or_else(|| reply.snippet())
                ),
            ));
        }
        // Respect the minute's request weight: close to the limit, wait for the next minute.
        if let Some(used) = reply
            .header("x-mbx-used-weight-1m")
            .and_then(|v| v.trim().parse::<u32>().ok())
            && f64::from(used) >= f64::from(self.weight_limit) * WEIGHT_HEADROOM
        {
            let now = self.http.clock.now_ms();
            let wait = 60_000 - now.rem_euclid(60_000) + 1_000;
            self.http
                .clock
                .sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(61_000)))
                .await;
        }
        parse_klines(&reply.body).map_err(|m| {
            self.error(
                SourceErrorKind::BadResponse,
                Some(reply.status),
                format!("Binance sent klines in an unexpected shape: {m}"),
            )
        })
    }
}

impl Binance {
    /// The markets Binance trades now (status `TRADING`), sorted by symbol.
    pub async fn symbols(&self) -> Result<Vec<ListedSymbol>, SourceError> {
        let url = url(&self.base_url, "/api/v3/exchangeInfo", &[])
            .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
        let reply = self.http.get(&url, &[]).await?;
        if !(200..300).contains(&reply.status) {
            return Err(self.error(
                if reply.status == 451 {
                    SourceErrorKind::Restricted
                } else {
                    SourceErrorKind::Server
                },
                Some(reply.status),
                format!(
                    "Binance did not list its markets (HTTP {}): {}",
                    reply.status,
                    error_message(&reply.body).unwrap_or_else(|| reply.snippet())
                ),
            ));
        }
        parse_exchange_info(&reply.body).map_err(|m| {
            self.error(
                SourceErrorKind::BadResponse,
                Some(reply.status),
                format!("Binance listed its markets in an unexpected shape: {m}"),
            )
        })
    }
}

/// `exchangeInfo`'s fields this reads.
#[derive(serde::Deserialize)]
struct ExchangeInfo {
    symbols: Vec<ExchangeSymbol>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExchangeSymbol {
    status: String,
    base_asset: String,
    quote_asset: String,
}

fn parse_exchange_info(body: &[u8]) -> Result<Vec<ListedSymbol>, String> {
    let info: ExchangeInfo = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let valid =
        |a: &str| !a.is_empty() && a.len() <= 20 && a.chars().all(|c| c.is_ascii_alphanumeric());
    let mut out: Vec<ListedSymbol> = info
        .symbols
        .into_iter()
        .filter(|s| s.status == "TRADING" && valid(&s.base_asset) && valid(&s.quote_asset))
        .map(|s| {
            let (base, quote) = (
                s.base_asset.to_ascii_uppercase(),
                s.quote_asset.to_ascii_uppercase(),
            );
            ListedSymbol {
                symbol: format!("{base}-{quote}"),
                base,
                quote,
            }
        })
        .collect();
    out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    out.dedup();
    Ok(out)
}

impl CandleSource for Binance {
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

/// Binance's interval name for a timeframe.
pub fn interval(tf: Timeframe) -> Option<&'static str> {
    Some(match tf.minutes() {
        1 => "1m",
        3 => "3m",
        5 => "5m",
        15 => "15m",
        30 => "30m",
        60 => "1h",
        120 => "2h",
        240 => "4h",
        360 => "6h",
        480 => "8h",
        720 => "12h",
        1440 => "1d",
        4320 => "3d",
        10080 => "1w",
        _ => return None,
    })
}

/// `BTC-USDT`, `btc/usdt` and `BTCUSDT` all become `BTCUSDT`.
pub fn binance_symbol(symbol: &str) -> String {
    symbol
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Kline {
    open_time: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    close_time: i64,
}

fn parse_klines(body: &[u8]) -> Result<Vec<Kline>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let rows = value.as_array().ok_or("expected a JSON array")?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .as_array()
                .filter(|c| c.len() >= 7)
                .ok_or_else(|| format!("kline {} is not an array of 12 values", i + 1))?;
            let int = |k: usize| {
                cells[k].as_i64().ok_or_else(|| {
                    format!("kline {}: field {k} is {}, not a time", i + 1, cells[k])
                })
            };
            let num = |k: usize| {
                cells[k]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .or_else(|| cells[k].as_f64())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        format!("kline {}: field {k} is {}, not a number", i + 1, cells[k])
                    })
            };
            Ok(Kline {
                open_time: int(0)?,
                open: num(1)?,
                high: num(2)?,
                low: num(3)?,
                close: num(4)?,
                volume: num(5)?,
                close_time: int(6)?,
            })
        })
        .collect()
}

/// The `msg` of a Binance error body.
fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let msg = v.get("msg")?.as_str()?;
    let code = v.get("code").and_then(Value::as_i64);
    Some(match code {
        Some(c) => format!("{msg} (code {c})"),
        None => msg.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_intervals() {
        assert_eq!(binance_symbol("btc-usdt"), "BTCUSDT");
        assert_eq!(binance_symbol("ETH/BTC"), "ETHBTC");
        assert_eq!(interval("4h".parse().unwrap()), Some("4h"));
        assert_eq!(interval("1w".parse().unwrap()), Some("1w"));
        assert_eq!(interval("10m".parse().unwrap()), None);
    }

    #[test]
    fn parses_the_documented_kline_shape() {
        let body = br#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#;
        let k = parse_klines(body).unwrap();
        assert_eq!(k[0].open_time, 1_499_040_000_000);
        assert_eq!(k[0].close, 0.015771);
        assert_eq!(k[0].close_time, 1_499_644_799_999);
        assert!(parse_klines(br#"[[1,"x","1","1","1","1",2]]"#).is_err());
        assert_eq!(
            error_message(br#"{"code":-1121,"msg":"Invalid symbol."}"#).as_deref(),
            Some("Invalid symbol. (code -1121)")
        );
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn exchange_info_lists_trading_markets_in_our_notation() {
        let body = br#"{"timezone":"UTC","serverTime":1,"symbols":[
            {"symbol":"ETHUSDT","status":"TRADING","baseAsset":"ETH","quoteAsset":"USDT"},
            {"symbol":"LUNABTC","status":"BREAK","baseAsset":"LUNA","quoteAsset":"BTC"},
            {"symbol":"ADABTC","status":"TRADING","baseAsset":"ADA","quoteAsset":"BTC"},
            {"symbol":"ODD","status":"TRADING","baseAsset":"A/B","quoteAsset":"USDT"}
        ]}"#;
        let listed = parse_exchange_info(body).unwrap();
        let names: Vec<&str> = listed.iter().map(|s| s.symbol.as_str()).collect();
        assert_eq!(names, ["ADA-BTC", "ETH-USDT"]);
        assert_eq!(listed[1].quote, "USDT");
        assert!(parse_exchange_info(b"[]").is_err());
    }
}
