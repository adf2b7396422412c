//! The market routes' request and response types.

use bb_data::QualityReport;
use bb_store::{Dataset, ImportSummary, SourceRange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `2022-01-31T23:59:00Z`: Unix milliseconds as ISO-8601 UTC.
pub fn iso(ms: i64) -> String {
    bb_domain::calendar::format_rfc3339(ms)
}

/// A candle dataset: one symbol at one timeframe from one source, with its coverage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetView {
    pub id: String,
    #[schema(example = "BTC-USD")]
    pub symbol: String,
    /// The stored candles' timeframe.
    #[schema(example = "1d")]
    pub timeframe: String,
    /// Where the candles come from: `demo`, `file`, `binance`, `coindesk`, `coinmetrics`.
    #[schema(example = "demo")]
    pub source: String,
    /// Where the data comes from, in words (file, vendor, licence).
    pub provenance: String,
    /// The providers new candles are fetched from, in failover order.
    pub fetch_sources: Vec<String>,
    /// The user the dataset belongs to; `null` for a shared dataset.
    pub owner_id: Option<String>,
    /// Stored candles.
    pub row_count: i64,
    /// Open time of the first stored candle, Unix ms (`null` while empty).
    pub first_ts: Option<i64>,
    /// The same, ISO-8601 UTC.
    #[schema(example = "2014-09-17T00:00:00Z")]
    pub first_at: Option<String>,
    /// Open time of the last stored candle, Unix ms.
    pub last_ts: Option<i64>,
    #[schema(example = "2022-03-01T00:00:00Z")]
    pub last_at: Option<String>,
    /// What the quality check found (`null` until the candles have been checked).
    pub quality: Option<QualitySummary>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Dataset> for DatasetView {
    fn from(d: &Dataset) -> DatasetView {
        DatasetView {
            id: d.id.clone(),
            symbol: d.symbol.clone(),
            timeframe: d.timeframe.to_string(),
            source: d.source.clone(),
            provenance: d.provenance.clone(),
            fetch_sources: d.fetch_sources.clone(),
            owner_id: d.owner_id.clone(),
            row_count: d.row_count,
            first_ts: d.first_ts,
            first_at: d.first_ts.map(iso),
            last_ts: d.last_ts,
            last_at: d.last_ts.map(iso),
            quality: bb_market::datasets::stored_quality(d)
                .as_ref()
                .map(QualitySummary::from),
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// The counts of a quality report (the full report is on `GET /market/datasets/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct QualitySummary {
    /// Findings worth a look: the counts below (missing candles counted once per gap) plus
    /// an unterminated last line.
    pub issues: usize,
    /// Runs of missing candles.
    pub gaps: usize,
    /// Candles missing in those gaps.
    pub missing_candles: i64,
    /// Candles whose open time is off the timeframe's UTC grid.
    pub misaligned_candles: usize,
    /// Exact duplicate rows dropped when the file was read.
    pub duplicates_dropped: usize,
    /// Candles with a zero or negative price.
    pub bad_prices: usize,
    /// Candles with high < low, or open or close outside [low, high].
    pub inconsistent_bars: usize,
    /// Runs of three or more zero-volume candles.
    pub zero_volume_runs: usize,
    /// Candles whose volume is over 50× the median of the 30 before.
    pub volume_outliers: usize,
    /// Closes more than 8 standard deviations from recent returns.
    pub price_outliers: usize,
    /// The imported file's last line had no line terminator.
    pub unterminated_last_line: bool,
    /// What a backtest does about gaps: `leave` or `forward_fill`.
    #[schema(example = "leave")]
    pub gap_policy: String,
}

impl From<&QualityReport> for QualitySummary {
    fn from(r: &QualityReport) -> QualitySummary {
        QualitySummary {
            issues: r.issue_count(),
            gaps: r.gaps.count,
            missing_candles: r.missing_bars,
            misaligned_candles: r.misaligned_bars.count,
            duplicates_dropped: r.duplicates_dropped.count,
            bad_prices: r.non_positive_prices.count,
            inconsistent_bars: r.inconsistent_bars.count,
            zero_volume_runs: r.zero_volume_runs.count,
            volume_outliers: r.volume_outliers.count,
            price_outliers: r.price_outliers.count,
            unterminated_last_line: r
                .file
                .as_ref()
                .is_some_and(|f| f.unterminated_last_line.is_some()),
            gap_policy: r.gap_policy.as_str().to_string(),
        }
    }
}

/// One dataset with its full quality report and which source supplied which candles.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDetail {
    #[serde(flatten)]
    pub dataset: DatasetView,
    /// The stored quality report: every gap (first 100 listed, counts complete), duplicate,
    /// bad price, inconsistent bar, zero-volume run and outlier, and how the file was read.
    pub quality_report: Option<QualityReport>,
    /// Runs of consecutive candles from one source, oldest first.
    pub sources: Vec<SourceRun>,
}

/// Consecutive stored candles that came from one source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceRun {
    pub source: String,
    /// Open time of the run's first and last candle, Unix ms and ISO-8601 UTC.
    pub from_ts: i64,
    pub from_at: String,
    pub to_ts: i64,
    pub to_at: String,
    pub candles: usize,
}

impl From<SourceRange> for SourceRun {
    fn from(r: SourceRange) -> SourceRun {
        SourceRun {
            from_at: iso(r.from_ts),
            to_at: iso(r.to_ts),
            source: r.source,
            from_ts: r.from_ts,
            to_ts: r.to_ts,
            candles: r.rows,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this symbol (case-insensitive), e.g. `BTC-USD`.
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub symbol: Option<String>,
    /// Only datasets stored at this timeframe, e.g. `1m`, `1d`.
    #[param(pattern = r"^([1-9][0-9]{0,4}(m|min|h|d|w))?$")]
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub timeframe: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetList {
    pub items: Vec<DatasetView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandlesQuery {
    /// First open time (inclusive): an ISO-8601 date or date-time (UTC), e.g. `2022-01-10`
    /// or `2022-01-10T12:00:00Z`, or Unix milliseconds. Default: the first candle.
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub from: Option<String>,
    /// Last open time (exclusive), in the same forms. Default: after the last candle.
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub to: Option<String>,
    /// Aggregate to this timeframe, a multiple of the stored one (e.g. `1h` from `1m`);
    /// complete UTC buckets only. Default: the stored timeframe.
    #[param(pattern = r"^([1-9][0-9]{0,4}(m|min|h|d|w))?$")]
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub timeframe: Option<String>,
    /// At most this many points (1 to 50,000): consecutive candles are merged into
    /// buckets (first open, highest high, lowest low, last close, summed volume). Without
    /// it, a range of more than 50,000 candles is refused.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50_000)]
    pub max_points: Option<String>,
}

/// Candles as columns, oldest first: `t[i]`, `o[i]`, `h[i]`, `l[i]`, `c[i]`, `v[i]` is
/// one candle (or one bucket of merged candles).
#[derive(Debug, Serialize, ToSchema)]
pub struct CandleColumns {
    pub dataset_id: String,
    pub symbol: String,
    /// The timeframe of the candles returned (before any merging by `max_points`).
    #[schema(example = "1h")]
    pub timeframe: String,
    /// The stored timeframe they were aggregated from, when `timeframe` asked for another.
    #[schema(example = "1m")]
    pub resampled_from: Option<String>,
    /// Candles in the range (before merging).
    pub candles: usize,
    /// Consecutive candles merged into each point (1: none). The last point may hold fewer.
    pub candles_per_point: usize,
    /// Open time of each point (of its first candle), Unix ms.
    pub t: Vec<i64>,
    pub o: Vec<f64>,
    pub h: Vec<f64>,
    pub l: Vec<f64>,
    pub c: Vec<f64>,
    pub v: Vec<f64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The symbol the candles are of, e.g. `BTC-USD` (required): 1 to 64 characters, no
    /// spaces, colons or control characters.
    #[param(required = true, pattern = r"^[^:\s\x00-\x1f\x7f-\x9f]{1,64}$")]
    pub symbol: Option<String>,
    /// Store as this timeframe: the file's own (the default) or a multiple of it, which
    /// aggregates the candles.
    pub timeframe: Option<String>,
    /// The dataset's source name (default `file`). With `symbol` and the timeframe it names
    /// the dataset: importing again with the same three adds to it. 1 to 32 characters, no
    /// spaces, colons or control characters.
    #[param(pattern = r"^[^:\s\x00-\x1f\x7f-\x9f]{1,32}$")]
    pub source: Option<String>,
    /// The file format, when detection from the content is not wanted: `csv`, `yahoo`,
    /// `binance`, `ccxt` or `dbn`.
    pub format: Option<String>,
    /// The unit of numeric timestamps in the file: `s`, `ms` or `us` (detected from their
    /// size otherwise).
    pub timestamp_unit: Option<String>,
    /// Where the data comes from, in words (kept with a new dataset).
    pub provenance: Option<String>,
    /// DBN files holding several instruments: which one (raw symbol or instrument id).
    pub instrument: Option<String>,
}

/// A candle file, sent as the raw request body (documentation only).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct CandleFile(Vec<u8>);

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// The dataset afterwards.
    pub dataset: DatasetView,
    /// The dataset was created by this import.
    pub created: bool,
    pub import: ImportCounts,
    /// The file's timeframe, when its candles were aggregated to the dataset's.
    pub resampled_from: Option<String>,
    /// The quality report of the whole dataset after the import.
    pub quality: QualityReport,
}

/// What an import did to the stored candles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportCounts {
    /// How the file was read: `csv`, `yahoo`, `binance`, `ccxt`, `dbn`.
    pub format: String,
    /// `none`, `gzip` or `zstd`.
    pub compression: String,
    /// Data rows in the file (dropped duplicates included).
    pub rows_read: usize,
    /// Candles given to the store (after aggregation).
    pub received: usize,
    /// Candles that were not stored before and now are.
    pub inserted: usize,
    /// Candles already stored with the same values (left alone).
    pub unchanged: usize,
    pub chunks_written: usize,
    pub chunks_replaced: usize,
}

impl ImportCounts {
    pub fn new(summary: &ImportSummary, notes: &bb_data::ImportNotes) -> ImportCounts {
        ImportCounts {
            format: notes.format.to_string(),
            compression: notes.compression.as_str().to_string(),
            rows_read: notes.rows_read,
            received: summary.received,
            inserted: summary.inserted,
            unchanged: summary.unchanged,
            chunks_written: summary.chunks_written,
            chunks_replaced: summary.chunks_replaced,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_are_utc_with_a_z() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_641_038_400_000), "2022-01-01T12:00:00Z");
    }
}
