//! Fetching a dataset's candles from its sources into the store: a backfill from a start
//! date, or an incremental update from the last stored candle. The range is cut into windows
//! of `window_bars` candles; each window is served by the failover list and stored in its own
//! transaction (with the name of the source that delivered it), so an interruption keeps what
//! was fetched and the next run carries on.

use std::collections::BTreeMap;

use bb_domain::Timeframe;
use bb_store::{Dataset, Db};
use serde::Serialize;

use crate::clock::Clock;
use crate::error::{MarketError, SourceError};
use crate::failover::Failover;

/// Candles per window (one Binance page).
pub const WINDOW_BARS: usize = 1000;

/// How far a fetch has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Open time of the next candle to fetch, and the end of the range (Unix ms).
    pub at_ms: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Candles received so far.
    pub candles: usize,
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchReport {
    pub dataset_id: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub windows: usize,
    pub received: usize,
    pub inserted: usize,
    pub unchanged: usize,
    /// Candles received per source.
    pub by_source: BTreeMap<String, usize>,
    /// Sources passed over, and why (one entry per failed attempt).
    #[serde(skip)]
    pub skipped: Vec<SourceError>,
}

/// The range of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRange {
    /// Default: the candle after the last stored one (an incremental update); an empty
    /// dataset needs one.
    pub from_ms: Option<i64>,
    /// Default: the open time of the candle now forming (only complete candles are fetched).
    pub to_ms: Option<i64>,
    /// Candles per window (per stored transaction).
    pub window_bars: usize,
}

impl Default for FetchRange {
    fn default() -> Self {
        FetchRange {
            from_ms: None,
            to_ms: None,
            window_bars: WINDOW_BARS,
        }
    }
}

/// Fetches `range` of `dataset` from `sources` into the store, reporting progress after each
/// window.
pub async fn fetch_into(
    db: &Db,
    dataset: &Dataset,
    sources: &Failover,
    range: FetchRange,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<FetchReport, MarketError> {
    let FetchRange {
        from_ms,
        to_ms,
        window_bars,
    } = range;
    let tf = dataset.timeframe;
    let from = match (from_ms, dataset.last_ts) {
        (Some(f), _) => align_up(tf, f),
        (None, Some(last)) => last + tf.millis(),
        (None, None) => {
            return Err(MarketError::Invalid(format!(
                "dataset {} is empty: give a start date for the first fetch",
                dataset.spec()
            )));
        }
    };
    let to = to_ms.unwrap_or_else(|| tf.bucket_start(clock.now_ms()));
    let mut report = FetchReport {
        dataset_id: dataset.id.clone(),
        from_ms: from,
        to_ms: to,
        windows: 0,
        received: 0,
        inserted: 0,
        unchanged: 0,
        by_source: BTreeMap::new(),
        skipped: Vec::new(),
    };
    let step = tf
        .millis()
        .saturating_mul(i64::try_from(window_bars.max(1)).unwrap_or(1000));
    let mut at = from;
    progress(Progress {
        at_ms: at,
        from_ms: from,
        to_ms: to,
        candles: 0,
    });
    while at < to {
        let end = at.saturating_add(step).min(to);
        let fetched = sources
            .fetch(&dataset.symbol, tf, at, end)
            .await
            .map_err(|errors| MarketError::AllSourcesFailed {
                from: bb_data::format_utc(at),
                to: bb_data::format_utc(end),
                errors,
            })?;
        report.skipped.extend(fetched.skipped);
        let summary = db
            .candles()
            .import(&dataset.id, &fetched.candles, &fetched.source)
            .await?;
        report.windows += 1;
        report.received += fetched.candles.len();
        report.inserted += summary.inserted;
        report.unchanged += summary.unchanged;
        *report.by_source.entry(fetched.source).or_default() += fetched.candles.len();
        at = end;
        progress(Progress {
            at_ms: at,
            from_ms: from,
            to_ms: to,
            candles: report.received,
        });
    }
    Ok(report)
}

fn align_up(tf: Timeframe, ts: i64) -> i64 {
    let start = tf.bucket_start(ts);
    if start == ts { ts } else { start + tf.millis() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_aligned_up_to_the_grid() {
        let h = Timeframe::HOUR;
        assert_eq!(align_up(h, 3_600_000), 3_600_000);
        assert_eq!(align_up(h, 3_600_001), 7_200_000);
    }
}
