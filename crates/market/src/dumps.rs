//! Binance's public data dumps (`data.binance.vision`): deep history in one request per month
//! or day instead of one per 1,000 candles.
//!
//! Layout: `{base}/data/spot/monthly/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM}.zip`
//! and `…/daily/klines/…-{YYYY-MM-DD}.zip`, each a zip of one header-less CSV with the
//! klines' twelve columns, beside a `.CHECKSUM` file: `<sha256 of the zip, hex>  <name>`. A
//! monthly file appears in the first days of the next month, a daily one the next day; daily
//! files exist for `1m` … `1d` only. Spot files dated 2025-01-01 or later carry times in
//! microseconds, older ones in milliseconds; `bb-data`'s reader tells them apart per file.
//! A file that is not there answers 404 (an S3 `NoSuchKey`): the period is then fetched
//! from the klines API instead.

use std::io::Read;
use std::sync::Arc;

use bb_data::{Format, ReadOptions};
use bb_domain::calendar::{self, DAY_MS};
use bb_domain::{Candles, Timeframe};
use sha2::{Digest, Sha256};

use crate::binance::{binance_symbol, interval};
use crate::clock::Clock;
use crate::config::MarketConfig;
use crate::error::{SourceError, SourceErrorKind};
use crate::http::{Http, url};

const NAME: &str = "binance";
/// The most a dump's CSV may expand to (a month of one-minute klines is about 6 MiB).
const MAX_CSV_BYTES: u64 = 64 << 20;

/// One dump file's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// A calendar month (UTC).
    Month { year: i64, month: u32 },
    /// A UTC day.
    Day { year: i64, month: u32, day: u32 },
}

impl Period {
    /// The month of `ms`.
    pub fn month_of(ms: i64) -> Period {
        let (year, month) = calendar::year_month(ms);
        Period::Month { year, month }
    }

    /// The day of `ms`.
    pub fn day_of(ms: i64) -> Period {
        let (year, month, day) = calendar::civil_from_days(ms.div_euclid(DAY_MS));
        Period::Day { year, month, day }
    }

    /// First millisecond.
    pub fn start_ms(self) -> i64 {
        match self {
            Period::Month { year, month } => calendar::month_start_ms(year, month),
            Period::Day { year, month, day } => {
                calendar::days_from_civil(year, month, day) * DAY_MS
            }
        }
    }

    /// The first millisecond after it.
    pub fn end_ms(self) -> i64 {
        match self {
            Period::Month { year, month: 12 } => calendar::month_start_ms(year + 1, 1),
            Period::Month { year, month } => calendar::month_start_ms(year, month + 1),
            Period::Day { .. } => self.start_ms() + DAY_MS,
        }
    }

    /// `monthly` or `daily`: the folder.
    fn folder(self) -> &'static str {
        match self {
            Period::Month { .. } => "monthly",
            Period::Day { .. } => "daily",
        }
    }

    /// `2024-01` or `2024-01-15`: the file name's date.
    pub fn label(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year:04}-{month:02}"),
            Period::Day { year, month, day } => format!("{year:04}-{month:02}-{day:02}"),
        }
    }
}

/// The dump files that may hold `[from_ms, to_ms)` at `tf`, oldest first, as of `now_ms`:
/// whole months that ended before today's month, then the days of this month that ended
/// before today (for timeframes with daily files). What they cannot cover (today, and the
/// coarse timeframes' current month) is left to the klines API. Months not published yet
/// answer 404, and the fetch then asks for their days.
pub fn periods(tf: Timeframe, from_ms: i64, to_ms: i64, now_ms: i64) -> Vec<Period> {
    let mut out = Vec::new();
    if from_ms >= to_ms || interval(tf).is_none() {
        return out;
    }
    let this_month = Period::month_of(now_ms).start_ms();
    let today = calendar::day_start_ms(now_ms);
    let mut at = Period::month_of(from_ms).start_ms();
    while at < to_ms.min(this_month) {
        let month = Period::month_of(at);
        out.push(month);
        at = month.end_ms();
    }
    if has_daily_files(tf) {
        let mut day = calendar::day_start_ms(from_ms.max(this_month));
        while day < to_ms.min(today) {
            out.push(Period::day_of(day));
            day += DAY_MS;
        }
    }
    out
}

/// The days of a month, for a month whose file is not published yet.
pub fn days_of(month: Period) -> Vec<Period> {
    let mut out = Vec::new();
    let mut day = month.start_ms();
    while day < month.end_ms() {
        out.push(Period::day_of(day));
        day += DAY_MS;
    }
    out
}

/// Whether Binance publishes daily files at `tf` (`1m` … `1d`; `3d` and `1w` are monthly only).
pub fn has_daily_files(tf: Timeframe) -> bool {
    interval(tf).is_some() && tf.millis() <= DAY_MS
}

/// The dumps connector.
#[derive(Debug, Clone)]
pub struct BinanceDumps {
    http: Http,
    base_url: String,
}

impl BinanceDumps {
    /// The connector, unless dumps are turned off (`BB_BINANCE_DUMPS_URL=off`).
    pub fn new(config: &MarketConfig, clock: Arc<dyn Clock>) -> Option<BinanceDumps> {
        Some(BinanceDumps {
            http: Http::new(NAME, config.timeout, clock),
            base_url: config.binance_dumps_url.clone()?,
        })
    }

    /// The connector for a dataset fetched from `sources` (failover order): only when Binance
    /// is the first, since the dumps hold Binance's candles.
    pub fn for_sources(
        config: &MarketConfig,
        sources: &[String],
        clock: Arc<dyn Clock>,
    ) -> Option<BinanceDumps> {
        (sources.first().map(String::as_str) == Some(NAME))
            .then(|| BinanceDumps::new(config, clock))
            .flatten()
    }

    /// Another retry policy (tests fail fast).
    pub fn with_retry(mut self, retry: crate::RetryPolicy) -> BinanceDumps {
        self.http.retry = retry;
        self
    }

    fn error(&self, kind: SourceErrorKind, status: Option<u16>, m: String) -> SourceError {
        SourceError::new(NAME, kind, status, m)
    }

    fn path(symbol: &str, tf: Timeframe, period: Period) -> Option<(String, String)> {
        let symbol = binance_symbol(symbol);
        let interval = interval(tf)?;
        let name = format!("{symbol}-{interval}-{}.zip", period.label());
        Some((
            format!(
                "/data/spot/{}/klines/{symbol}/{interval}/{name}",
                period.folder()
            ),
            name,
        ))
    }

    /// The candles of one dump file, checked against its `.CHECKSUM`; `None` when Binance has
    /// no such file (not published yet, or the market did not trade then).
    pub async fn fetch(
        &self,
        symbol: &str,
        tf: Timeframe,
        period: Period,
    ) -> Result<Option<Candles>, SourceError> {
        let Some((path, name)) = Self::path(symbol, tf, period) else {
            return Err(self.error(
                SourceErrorKind::Unsupported,
                None,
                format!("Binance publishes no {tf} dumps"),
            ));
        };
        let what = format!("Binance's dump {name}");
        let zip_url = url(&self.base_url, &path, &[])
            .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
        let zip = self.http.get(&zip_url, &[]).await?;
        match zip.status {
            404 => return Ok(None),
            200..=299 => {}
            status => return Err(self.refusal(status, &what, &zip.snippet())),
        }
        let sum_url = url(&self.base_url, &format!("{path}.CHECKSUM"), &[])
            .map_err(|m| self.error(SourceErrorKind::Unsupported, None, m))?;
        let sum = self.http.get(&sum_url, &[]).await?;
        if !(200..300).contains(&sum.status) {
            return Err(self.refusal(sum.status, &format!("{what}'s checksum"), &sum.snippet()));
        }
        let expected = parse_checksum(&sum.body, &name).map_err(|m| {
            self.error(
                SourceErrorKind::BadResponse,
                Some(sum.status),
                format!("{what}: {m}"),
            )
        })?;
        let actual = hex::encode(Sha256::digest(&zip.body));
        if actual != expected {
            return Err(self.error(
                SourceErrorKind::BadResponse,
                Some(zip.status),
                format!(
                    "{what} does not match its checksum (expected sha256 {expected}, got \
                     {actual}): it was damaged or replaced in transit"
                ),
            ));
        }
        let body = zip.body;
        let parsed = tokio::task::spawn_blocking(move || read_zip(&body))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
        let candles = parsed.map_err(|m| {
            self.error(
                SourceErrorKind::BadResponse,
                Some(zip.status),
                format!("{what}: {m}"),
            )
        })?;
        Ok(Some(candles))
    }

    fn refusal(&self, status: u16, what: &str, body: &str) -> SourceError {
        let kind = match status {
            451 => SourceErrorKind::Restricted,
            401 | 403 => SourceErrorKind::Unauthorized,
            400..=499 => SourceErrorKind::BadRequest,
            _ => SourceErrorKind::Server,
        };
        self.error(
            kind,
            Some(status),
            format!("{what} could not be downloaded (HTTP {status}): {body}"),
        )
    }
}

/// The hex sha256 of a `.CHECKSUM` file (`<64 hex>  <name>`), which must name `name`.
fn parse_checksum(body: &[u8], name: &str) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the checksum file is not text")?;
    let mut parts = text.split_whitespace();
    let (Some(sum), file) = (parts.next(), parts.next()) else {
        return Err("the checksum file is empty".into());
    };
    if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the checksum file does not hold a sha256".into());
    }
    if let Some(file) = file
        && file.trim_start_matches('*') != name
    {
        return Err(format!("the checksum file is for {file}, not {name}"));
    }
    Ok(sum.to_ascii_lowercase())
}

/// The candles of the one CSV inside a dump's zip.
fn read_zip(bytes: &[u8]) -> Result<Candles, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip: {e}"))?;
    if archive.len() != 1 {
        return Err(format!(
            "expected one file in the zip, found {}",
            archive.len()
        ));
    }
    let file = archive
        .by_index(0)
        .map_err(|e| format!("cannot open the file in the zip: {e}"))?;
    let mut csv = Vec::new();
    file.take(MAX_CSV_BYTES + 1)
        .read_to_end(&mut csv)
        .map_err(|e| format!("cannot unpack the zip: {e}"))?;
    if csv.len() as u64 > MAX_CSV_BYTES {
        return Err(format!(
            "the file in the zip is larger than {} MiB",
            MAX_CSV_BYTES >> 20
        ));
    }
    // Futures files since 2022 start with a header row; spot files do not.
    let body = match csv.iter().position(|&b| b == b'\n') {
        Some(end) if !csv.first().is_some_and(u8::is_ascii_digit) => &csv[end + 1..],
        _ => &csv[..],
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Candles::default());
    }
    let options = ReadOptions {
        format: Some(Format::BinanceKlines),
        ..ReadOptions::default()
    };
    bb_data::parse_bytes(body, &options)
        .map(|import| import.candles)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: &str) -> i64 {
        calendar::parse_iso(t).unwrap()
    }

    #[test]
    fn periods_are_past_months_then_past_days_of_this_month() {
        let h = Timeframe::HOUR;
        let now = ms("2026-12-06T10:30:00Z");
        let p = periods(h, ms("2026-10-15T00:00:00Z"), now, now);
        let labels: Vec<String> = p.iter().map(|p| p.label()).collect();
        assert_eq!(
            labels,
            [
                "2026-10",
                "2026-11",
                "2026-12-01",
                "2026-12-02",
                "2026-12-03",
                "2026-12-04",
                "2026-12-05"
            ]
        );
        // a range that ends inside a past month still takes that month's file
        let p = periods(
            h,
            ms("2025-01-01T00:00:00Z"),
            ms("2025-02-10T00:00:00Z"),
            now,
        );
        assert_eq!(p.len(), 2);
        // weeks: monthly files only
        let w: Timeframe = "1w".parse().unwrap();
        assert_eq!(periods(w, ms("2026-11-01T00:00:00Z"), now, now).len(), 1);
        assert!(periods(h, now, now, now).is_empty());
        assert_eq!(
            days_of(Period::Month {
                year: 2024,
                month: 2
            })
            .len(),
            29
        );
        assert_eq!(
            Period::Month {
                year: 2024,
                month: 12
            }
            .end_ms(),
            ms("2025-01-01T00:00:00Z")
        );
    }

    #[test]
    fn checksums_are_read_as_sha256sum_writes_them() {
        let sum = "a".repeat(64);
        let ok = format!("{sum}  BTCUSDT-1h-2024-01.zip\n");
        assert_eq!(
            parse_checksum(ok.as_bytes(), "BTCUSDT-1h-2024-01.zip").unwrap(),
            sum
        );
        assert!(parse_checksum(ok.as_bytes(), "ETHUSDT-1h-2024-01.zip").is_err());
        assert!(parse_checksum(b"", "x.zip").is_err());
        assert!(parse_checksum(b"xyz  x.zip", "x.zip").is_err());
    }
}
