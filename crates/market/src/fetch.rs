//! Fetching a dataset's candles from its sources into the store: a backfill from a start
//! date, or an incremental update from the last stored candle.
//!
//! When Binance's data dumps are given (the dataset's first source is Binance), the deep
//! history comes first from them, one checked file per month (or per day in the current
//! month). The rest — today, and any period without a published file — is cut into windows
//! of `window_bars` candles served by the failover list. Each file or window is stored in its
//! own transaction (with the name of the source that delivered it), so an interruption keeps
//! what was fetched and the next run carries on.

use std::collections::BTreeMap;

use bb_domain::Timeframe;
use bb_store::{Dataset, Db};
use serde::Serialize;

use crate::clock::Clock;
use crate::dumps::{self, BinanceDumps, Period};
use crate::error::{MarketError, SourceError};
use crate::failover::Failover;

/// The source named for candles from Binance's dumps: they are Binance's candles.
const DUMPS_SOURCE: &str = "binance";

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
    /// Dump files read (each checked against its checksum).
    pub dump_files: usize,
    pub received: usize,
    pub inserted: usize,
    pub unchanged: usize,
    /// Stored candles replaced by a source's corrected values (`FetchRange::revise`).
    pub revised: usize,
    /// `FetchRange::revise` only: open times of the candles revised or stored into a gap
    /// before the last one (what a paper run may have passed).
    pub changed_ts: Vec<i64>,
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
    /// Store a source's corrections: a candle stored with other values is replaced and the
    /// values replaced are kept (`bb_store::CandleStore::revise`), instead of failing the
    /// fetch. Live refreshes re-read the last candles this way.
    pub revise: bool,
}

impl Default for FetchRange {
    fn default() -> Self {
        FetchRange {
            from_ms: None,
            to_ms: None,
            window_bars: WINDOW_BARS,
            revise: false,
        }
    }
}

/// Fetches `range` of `dataset` into the store — from `dumps` first when given, then from
/// `sources` — reporting progress after each file and window.
pub async fn fetch_into(
    db: &Db,
    dataset: &Dataset,
    sources: &Failover,
    dumps: Option<&BinanceDumps>,
    range: FetchRange,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<FetchReport, MarketError> {
    let FetchRange {
        from_ms,
        to_ms,
        window_bars,
        revise,
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
        dump_files: 0,
        received: 0,
        inserted: 0,
        unchanged: 0,
        revised: 0,
        changed_ts: Vec::new(),
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
    if let Some(dumps) = dumps {
        at = from_dumps(db, dataset, dumps, from, to, clock, &mut report, progress).await?;
    }
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
        let store = db.candles();
        let summary = if revise {
            store
                .revise(&dataset.id, &fetched.candles, &fetched.source)
                .await?
        } else {
            store
                .import(&dataset.id, &fetched.candles, &fetched.source)
                .await?
        };
        report.windows += 1;
        report.revised += summary.revised;
        report.changed_ts.extend(&summary.changed_ts);
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

/// The dumps' part of a fetch: files oldest first, until one is missing where the klines
/// API must take over. Returns where the klines should start.
#[allow(clippy::too_many_arguments)]
async fn from_dumps(
    db: &Db,
    dataset: &Dataset,
    dumps: &BinanceDumps,
    from: i64,
    to: i64,
    clock: &dyn Clock,
    report: &mut FetchReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<i64, MarketError> {
    let tf = dataset.timeframe;
    let now = clock.now_ms();
    let this_month = Period::month_of(now).start_ms();
    let mut queue: std::collections::VecDeque<Period> = dumps::periods(tf, from, to, now).into();
    let mut at = from;
    while let Some(period) = queue.pop_front() {
        let end = period.end_ms().min(to);
        if end <= at {
            continue;
        }
        match dumps.fetch(&dataset.symbol, tf, period).await {
            Ok(Some(candles)) => {
                let complete = tf.bucket_start(now);
                let candles = candles.between(Some(at), Some(end.min(complete)));
                let summary = db
                    .candles()
                    .import(&dataset.id, &candles, DUMPS_SOURCE)
                    .await?;
                report.dump_files += 1;
                report.received += candles.len();
                report.inserted += summary.inserted;
                report.unchanged += summary.unchanged;
                *report.by_source.entry(DUMPS_SOURCE.to_owned()).or_default() += candles.len();
                at = end;
                progress(Progress {
                    at_ms: at,
                    from_ms: from,
                    to_ms: to,
                    candles: report.received,
                });
            }
            // Last month's file may not be out yet: its days are.
            Ok(None)
                if matches!(period, Period::Month { .. })
                    && period.end_ms() == this_month
                    && dumps::has_daily_files(tf) =>
            {
                for day in dumps::days_of(period).into_iter().rev() {
                    queue.push_front(day);
                }
            }
            // No file for an older month: the market did not trade then.
            Ok(None) if matches!(period, Period::Month { .. }) && period.end_ms() < this_month => {
                at = end;
            }
            // A day not published yet: the klines API serves the rest.
            Ok(None) => break,
            // A damaged or refused file: the klines API serves the rest, and the report says why.
            Err(e) => {
                report.skipped.push(e);
                break;
            }
        }
    }
    Ok(at)
}

/// What a dataset stored from `first_ts` to `last_ts` (open times; `None` when empty) lacks
/// of `[from_ms, to_ms)` at `tf`: the part before its first candle and the part after its
/// last one, on the timeframe's grid. Gaps inside the stored span are the market's (the
/// quality report shows them), not fetched again.
pub fn missing_ranges(
    tf: Timeframe,
    stored: Option<(i64, i64)>,
    from_ms: i64,
    to_ms: i64,
) -> Vec<[i64; 2]> {
    let (from, to) = (align_up(tf, from_ms), to_ms);
    if from >= to {
        return Vec::new();
    }
    let Some((first, last)) = stored else {
        return vec![[from, to]];
    };
    let mut out = Vec::new();
    if from < first {
        out.push([from, first.min(to)]);
    }
    let after = last + tf.millis();
    if after < to {
        out.push([after.max(from), to]);
    }
    out
}

fn align_up(tf: Timeframe, ts: i64) -> i64 {
    let start = tf.bucket_start(ts);
    if start == ts { ts } else { start + tf.millis() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_head_and_the_tail_are_missing() {
        let h = Timeframe::HOUR;
        let hr = 3_600_000;
        assert_eq!(
            missing_ranges(h, None, 10 * hr, 20 * hr),
            vec![[10 * hr, 20 * hr]]
        );
        // stored 12..=15: 10..12 and 16..20 are missing
        let stored = Some((12 * hr, 15 * hr));
        assert_eq!(
            missing_ranges(h, stored, 10 * hr, 20 * hr),
            vec![[10 * hr, 12 * hr], [16 * hr, 20 * hr]]
        );
        // inside what is stored: nothing
        assert!(missing_ranges(h, stored, 12 * hr, 16 * hr).is_empty());
        // entirely after: from the request's start, not from the stored end
        assert_eq!(
            missing_ranges(h, stored, 30 * hr, 40 * hr),
            vec![[30 * hr, 40 * hr]]
        );
        // entirely before
        assert_eq!(missing_ranges(h, stored, hr, 5 * hr), vec![[hr, 5 * hr]]);
        // an unaligned start rounds up to the next candle
        assert_eq!(
            missing_ranges(h, None, 10 * hr + 1, 12 * hr),
            vec![[11 * hr, 12 * hr]]
        );
        assert!(missing_ranges(h, None, 5 * hr, 5 * hr).is_empty());
    }

    #[test]
    fn starts_are_aligned_up_to_the_grid() {
        let h = Timeframe::HOUR;
        assert_eq!(align_up(h, 3_600_000), 3_600_000);
        assert_eq!(align_up(h, 3_600_001), 7_200_000);
    }
}
