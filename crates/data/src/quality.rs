//! The quality report of a candle series: what is missing, doubtful or made up. Pure: it reads
//! candles and returns a serde value; nothing is changed or dropped here.
//!
//! Outlier rules (tuned on the real files in the shared data set so that they flag events,
//! not noise):
//! - **volume**: a bar's volume is more than [`Thresholds::volume_ratio`] (50) times the median
//!   volume of the previous [`Thresholds::window`] (30) bars. 10× flags 1.5% of the bars of a
//!   month of BTC 1-minute candles and 2.6% of some 5-minute altcoin pairs (ordinary bursts);
//!   50× flags about 0.05% to 0.15%, the bursts worth a look;
//! - **price**: the close-to-close log return is more than [`Thresholds::return_sigmas`] (8)
//!   standard deviations away from the mean of the previous 30 returns (per √(k+1) across a
//!   gap of k missing bars), so a steady trend is not an outlier but a jump is.

use bb_domain::{Candles, Timeframe};
use serde::{Deserialize, Serialize};

use crate::fill::{Filled, GapPolicy};
use crate::format::{Compression, Format};
use crate::rows::DroppedDuplicate;
use crate::time::format_utc;

/// Lists in the report keep their first this many items (the counts are always complete).
pub const MAX_LISTED: usize = 100;

/// A count and the first [`MAX_LISTED`] items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listed<T> {
    /// How many in all.
    pub count: usize,
    /// The first 100 of them.
    pub items: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            count: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Listed<T> {
    fn push(&mut self, item: T) {
        self.count += 1;
        if self.items.len() < MAX_LISTED {
            self.items.push(item);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A run of missing bars, by the bars around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GapRange {
    /// Open time of the last bar before the gap, Unix ms.
    pub last_before_ts: i64,
    /// Open time of the first bar after the gap, Unix ms.
    pub first_after_ts: i64,
    /// Bars missing in this gap.
    pub missing_bars: i64,
}

/// One bar and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BarProblem {
    /// Open time of the bar, Unix ms.
    pub ts: i64,
    /// What is wrong, in words.
    pub problem: String,
}

/// Consecutive bars sharing a property (e.g. zero volume).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BarRun {
    /// Open time of the first bar of the run, Unix ms.
    pub from_ts: i64,
    /// Open time of the last bar of the run, Unix ms.
    pub to_ts: i64,
    /// Bars in the run.
    pub bars: usize,
}

/// A bar whose volume is far above its recent median.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeOutlier {
    /// Open time of the bar, Unix ms.
    pub ts: i64,
    /// The bar's volume, base currency.
    pub volume: f64,
    /// Median volume of the previous bars (the window).
    pub rolling_median: f64,
    /// volume / rolling_median.
    pub ratio: f64,
}

/// A close far from the previous close, measured in recent standard deviations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceOutlier {
    /// Open time of the bar, Unix ms.
    pub ts: i64,
    /// The bar's close.
    pub close: f64,
    /// The close before it.
    pub previous_close: f64,
    /// (close / previous_close - 1) × 100.
    pub change_pct: f64,
    /// |log return − rolling mean| / the rolling standard deviation of log returns.
    pub sigmas: f64,
}

/// How the candles were read, when they came from a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileNotes {
    pub format: Format,
    pub compression: Compression,
    /// Data rows read, dropped duplicates included.
    pub rows_read: usize,
    /// The last line had no line terminator (its number). It was read in full, but tools that
    /// expect one (`wc -l`, some line readers) drop or truncate such a row.
    pub unterminated_last_line: Option<usize>,
    /// The instrument taken from a file holding several (DBN).
    pub instrument: Option<String>,
}

/// The thresholds of the checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Bars of history for the rolling median volume and the rolling standard deviation.
    pub window: usize,
    pub volume_ratio: f64,
    pub return_sigmas: f64,
    /// Shortest run of zero-volume bars that is reported.
    pub zero_volume_run: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            window: 30,
            volume_ratio: 50.0,
            return_sigmas: 8.0,
            zero_volume_run: 3,
        }
    }
}

/// Everything found about one candle series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityReport {
    /// Candles checked.
    pub rows: usize,
    /// Open time of the first candle, Unix ms.
    pub first_ts: Option<i64>,
    /// Open time of the last candle, Unix ms.
    pub last_ts: Option<i64>,
    /// e.g. "1m", "1d"; `None` when it cannot be told (fewer than two bars).
    pub timeframe: Option<String>,
    /// What a backtest on these candles does about gaps, and how many bars it made up.
    pub gap_policy: GapPolicy,
    /// Candles made up by forward-filling gaps (0 when gaps are left).
    pub filled_bars: usize,
    /// Places where candles are missing, as ranges.
    pub gaps: Listed<GapRange>,
    /// Candles missing in all.
    pub missing_bars: i64,
    /// Bars whose open time is not on the timeframe's UTC grid.
    pub misaligned_bars: Listed<i64>,
    /// Rows dropped because an earlier row had the same time and values.
    pub duplicates_dropped: Listed<DroppedDuplicate>,
    /// Bars with a price of zero or below.
    pub non_positive_prices: Listed<BarProblem>,
    /// high < low, or open or close outside [low, high].
    pub inconsistent_bars: Listed<BarProblem>,
    /// Runs of consecutive bars without volume.
    pub zero_volume_runs: Listed<BarRun>,
    /// Bars whose volume is far above its recent median.
    pub volume_outliers: Listed<VolumeOutlier>,
    /// Bars whose close-to-close move is far outside the recent spread.
    pub price_outliers: Listed<PriceOutlier>,
    /// Present when the candles were read from a file.
    pub file: Option<FileNotes>,
}

/// Checks `candles` of timeframe `timeframe` (inferred from the data when `None`) with the
/// default thresholds.
pub fn assess(candles: &Candles, timeframe: Option<Timeframe>) -> QualityReport {
    assess_with(candles, timeframe, &Thresholds::default())
}

/// [`assess`] with explicit thresholds.
pub fn assess_with(
    candles: &Candles,
    timeframe: Option<Timeframe>,
    t: &Thresholds,
) -> QualityReport {
    let tf = timeframe.or_else(|| candles.timeframe());
    let mut r = QualityReport {
        rows: candles.len(),
        first_ts: candles.ts.first().copied(),
        last_ts: candles.ts.last().copied(),
        timeframe: tf.map(|tf| tf.to_string()),
        gap_policy: GapPolicy::Leave,
        filled_bars: 0,
        gaps: Listed::default(),
        missing_bars: 0,
        misaligned_bars: Listed::default(),
        duplicates_dropped: Listed::default(),
        non_positive_prices: Listed::default(),
        inconsistent_bars: Listed::default(),
        zero_volume_runs: Listed::default(),
        volume_outliers: Listed::default(),
        price_outliers: Listed::default(),
        file: None,
    };
    if let Some(tf) = tf {
        for (i, missing) in candles.gaps(tf) {
            r.missing_bars += missing;
            r.gaps.push(GapRange {
                last_before_ts: candles.ts[i - 1],
                first_after_ts: candles.ts[i],
                missing_bars: missing,
            });
        }
        for &ts in &candles.ts {
            if tf.bucket_start(ts) != ts {
                r.misaligned_bars.push(ts);
            }
        }
    }
    check_bars(candles, &mut r);
    zero_volume_runs(candles, t, &mut r);
    volume_outliers(candles, t, &mut r);
    price_outliers(candles, tf, t, &mut r);
    r
}

fn check_bars(c: &Candles, r: &mut QualityReport) {
    for i in 0..c.len() {
        let (o, h, l, cl) = (c.open[i], c.high[i], c.low[i], c.close[i]);
        let non_positive: Vec<String> = [("open", o), ("high", h), ("low", l), ("close", cl)]
            .iter()
            .filter(|(_, v)| *v <= 0.0)
            .map(|(name, v)| format!("{name} is {v}"))
            .collect();
        if !non_positive.is_empty() {
            r.non_positive_prices.push(BarProblem {
                ts: c.ts[i],
                problem: non_positive.join(", "),
            });
        }
        let mut problems = Vec::new();
        if h < l {
            problems.push(format!("high {h} is below low {l}"));
        }
        for (name, v) in [("open", o), ("close", cl)] {
            if v < l || v > h {
                problems.push(format!("{name} {v} is outside [low {l}, high {h}]"));
            }
        }
        if !problems.is_empty() {
            r.inconsistent_bars.push(BarProblem {
                ts: c.ts[i],
                problem: problems.join("; "),
            });
        }
    }
}

fn zero_volume_runs(c: &Candles, t: &Thresholds, r: &mut QualityReport) {
    let mut start = None;
    for i in 0..=c.len() {
        let zero = i < c.len() && c.volume[i] == 0.0;
        match (zero, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= t.zero_volume_run {
                    r.zero_volume_runs.push(BarRun {
                        from_ts: c.ts[s],
                        to_ts: c.ts[i - 1],
                        bars: i - s,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
}

fn volume_outliers(c: &Candles, t: &Thresholds, r: &mut QualityReport) {
    let w = t.window;
    if w == 0 {
        return;
    }
    let mut scratch = vec![0.0; w];
    for i in w..c.len() {
        scratch.copy_from_slice(&c.volume[i - w..i]);
        let median = median_in_place(&mut scratch);
        if median > 0.0 && c.volume[i] > t.volume_ratio * median {
            r.volume_outliers.push(VolumeOutlier {
                ts: c.ts[i],
                volume: c.volume[i],
                rolling_median: median,
                ratio: c.volume[i] / median,
            });
        }
    }
}

/// The median of `v` (reordered in place); the mean of the two middle values for even lengths.
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let mid = n / 2;
    let (lower, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + upper) / 2.0
    }
}

fn price_outliers(c: &Candles, tf: Option<Timeframe>, t: &Thresholds, r: &mut QualityReport) {
    let w = t.window;
    if c.len() < 2 || w < 2 {
        return;
    }
    // Log return of bar i against bar i-1 (NaN where a close is not positive), and the
    // number of bar steps it spans (more than one across a gap).
    let steps = |i: usize| -> f64 {
        tf.map_or(1.0, |tf| {
            ((c.ts[i] - c.ts[i - 1]) / tf.millis()).max(1) as f64
        })
    };
    let returns: Vec<f64> = (1..c.len())
        .map(|i| {
            if c.close[i] > 0.0 && c.close[i - 1] > 0.0 {
                // normalised to one bar: a move across a gap is compared per √step
                (c.close[i] / c.close[i - 1]).ln() / steps(i).sqrt()
            } else {
                f64::NAN
            }
        })
        .collect();
    for k in w..returns.len() {
        let window = &returns[k - w..k];
        if window.iter().any(|x| x.is_nan()) || returns[k].is_nan() {
            continue;
        }
        let mean = window.iter().sum::<f64>() / w as f64;
        let var = window.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / w as f64;
        let sd = var.sqrt();
        let deviation = (returns[k] - mean).abs();
        if sd > 0.0 && deviation > t.return_sigmas * sd {
            let i = k + 1;
            r.price_outliers.push(PriceOutlier {
                ts: c.ts[i],
                close: c.close[i],
                previous_close: c.close[i - 1],
                change_pct: (c.close[i] / c.close[i - 1] - 1.0) * 100.0,
                sigmas: deviation / sd,
            });
        }
    }
}

impl QualityReport {
    /// Adds what the file reader noticed: its format and the exact duplicates it dropped.
    pub fn record_import(&mut self, notes: &crate::ImportNotes) {
        self.duplicates_dropped = Listed::default();
        for d in &notes.duplicates_dropped {
            self.duplicates_dropped.push(*d);
        }
        self.file = Some(FileNotes {
            format: notes.format,
            compression: notes.compression,
            rows_read: notes.rows_read,
            unterminated_last_line: notes.unterminated_last_line,
            instrument: notes.instrument.clone(),
        });
    }

    /// Records the gap policy a backtest applied and how many bars it made up.
    pub fn record_fill(&mut self, filled: &Filled) {
        self.gap_policy = filled.policy;
        self.filled_bars = filled.filled_count();
    }

    /// Number of findings a user should look at (gaps, duplicates, bad prices, inconsistent
    /// bars, zero-volume runs, outliers, misaligned bars, an unterminated last line).
    pub fn issue_count(&self) -> usize {
        self.gaps.count
            + self.misaligned_bars.count
            + self.duplicates_dropped.count
            + self.non_positive_prices.count
            + self.inconsistent_bars.count
            + self.zero_volume_runs.count
            + self.volume_outliers.count
            + self.price_outliers.count
            + usize::from(
                self.file
                    .as_ref()
                    .is_some_and(|f| f.unterminated_last_line.is_some()),
            )
    }

    /// The report in a few sentences, one per line, for a terminal or the assumptions card.
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        let span = match (self.first_ts, self.last_ts) {
            (Some(a), Some(b)) => format!(" from {} to {}", format_utc(a), format_utc(b)),
            _ => String::new(),
        };
        out.push(format!(
            "{} bars of {}{span}",
            self.rows,
            self.timeframe.as_deref().unwrap_or("unknown timeframe")
        ));
        if let Some(f) = &self.file {
            let mut line = format!("read as {} ({} rows", f.format, f.rows_read);
            if f.compression != Compression::None {
                line.push_str(&format!(", {}-compressed", f.compression.as_str()));
            }
            if let Some(i) = &f.instrument {
                line.push_str(&format!(", instrument {i}"));
            }
            line.push(')');
            out.push(line);
            if let Some(line) = f.unterminated_last_line {
                out.push(format!(
                    "the last line ({line}) has no line terminator: it was read in full, but \
                     line-based tools may drop or truncate it"
                ));
            }
        }
        if self.gaps.is_empty() {
            out.push("no gaps".into());
        } else {
            let longest = self.gaps.items.iter().max_by_key(|g| g.missing_bars);
            let mut line = format!(
                "{} gap(s), {} missing bar(s)",
                self.gaps.count, self.missing_bars
            );
            if let Some(g) = longest {
                line.push_str(&format!(
                    "; longest {} bars after {}",
                    g.missing_bars,
                    format_utc(g.last_before_ts)
                ));
            }
            out.push(line);
        }
        out.push(match self.gap_policy {
            GapPolicy::Leave => "gap policy: leave (missing bars stay missing)".to_owned(),
            GapPolicy::ForwardFill => format!(
                "gap policy: forward fill ({} bar(s) made up from the previous close, volume 0)",
                self.filled_bars
            ),
        });
        let mut counted = |n: usize, what: &str, first: Option<String>| {
            if n > 0 {
                let first = first.map_or(String::new(), |f| format!(" (first: {f})"));
                out.push(format!("{n} {what}{first}"));
            }
        };
        counted(
            self.duplicates_dropped.count,
            "exact duplicate row(s) dropped",
            self.duplicates_dropped
                .items
                .first()
                .map(|d| format!("line {}, same as line {}", d.line, d.kept_line)),
        );
        counted(
            self.misaligned_bars.count,
            "bar(s) not aligned to the timeframe",
            self.misaligned_bars.items.first().map(|&t| format_utc(t)),
        );
        counted(
            self.non_positive_prices.count,
            "bar(s) with a zero or negative price",
            self.non_positive_prices.items.first().map(problem),
        );
        counted(
            self.inconsistent_bars.count,
            "inconsistent bar(s)",
            self.inconsistent_bars.items.first().map(problem),
        );
        counted(
            self.zero_volume_runs.count,
            "run(s) of 3+ bars with zero volume",
            self.zero_volume_runs
                .items
                .first()
                .map(|r| format!("{} bars from {}", r.bars, format_utc(r.from_ts))),
        );
        counted(
            self.volume_outliers.count,
            "volume outlier(s) (over 50× the median of the previous 30 bars)",
            self.volume_outliers
                .items
                .first()
                .map(|o| format!("{} at {:.1}×", format_utc(o.ts), o.ratio)),
        );
        counted(
            self.price_outliers.count,
            "price outlier(s) (close-to-close move over 8 rolling standard deviations)",
            self.price_outliers
                .items
                .first()
                .map(|o| format!("{} {:+.1}%", format_utc(o.ts), o.change_pct)),
        );
        out
    }
}

fn problem(p: &BarProblem) -> String {
    format!("{} {}", format_utc(p.ts), p.problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(rows: &[(i64, [f64; 5])]) -> Candles {
        let mut c = Candles::default();
        for &(ts, [o, h, l, cl, v]) in rows {
            c.push(ts, o, h, l, cl, v);
        }
        c
    }

    fn steady(n: usize) -> Candles {
        let mut c = Candles::default();
        for i in 0..n {
            let p = 100.0 + (i as f64 * 0.9).sin();
            c.push(
                i as i64 * 60_000,
                p,
                p + 0.5,
                p - 0.5,
                p + 0.1,
                10.0 + (i % 7) as f64,
            );
        }
        c
    }

    #[test]
    fn clean_data_has_no_issues() {
        let r = assess(&steady(200), None);
        assert_eq!(r.rows, 200);
        assert_eq!(r.timeframe.as_deref(), Some("1m"));
        assert_eq!(r.issue_count(), 0, "{r:#?}");
        assert_eq!(r.summary()[1], "no gaps");
    }

    #[test]
    fn gaps_have_ranges_and_counts() {
        let c = bars(&[
            (0, [1.0, 2.0, 0.5, 1.5, 1.0]),
            (60_000, [1.0, 2.0, 0.5, 1.5, 1.0]),
            (300_000, [1.0, 2.0, 0.5, 1.5, 1.0]),
        ]);
        let r = assess(&c, Some(Timeframe::MINUTE));
        assert_eq!(r.gaps.count, 1);
        assert_eq!(
            r.gaps.items[0],
            GapRange {
                last_before_ts: 60_000,
                first_after_ts: 300_000,
                missing_bars: 3
            }
        );
        assert_eq!(r.missing_bars, 3);
    }

    #[test]
    fn bad_bars_are_flagged() {
        let c = bars(&[
            (0, [1.0, 2.0, 0.5, 1.5, 1.0]),
            (60_000, [0.0, 2.0, 0.0, 1.5, 1.0]), // non-positive open and low
            (120_000, [1.0, 0.5, 2.0, 1.5, 1.0]), // high < low
            (180_000, [3.0, 2.0, 0.5, 1.5, 0.0]), // open above high
            (240_000, [1.0, 2.0, 0.5, 1.5, 0.0]),
            (300_000, [1.0, 2.0, 0.5, 1.5, 0.0]), // three zero volumes in a row
            (330_000, [1.0, 2.0, 0.5, 1.5, 1.0]), // not on the 1m grid
        ]);
        let r = assess(&c, Some(Timeframe::MINUTE));
        assert_eq!(r.non_positive_prices.count, 1);
        assert_eq!(
            r.non_positive_prices.items[0].problem,
            "open is 0, low is 0"
        );
        assert_eq!(r.inconsistent_bars.count, 2);
        assert!(
            r.inconsistent_bars.items[0]
                .problem
                .contains("high 0.5 is below low 2")
        );
        assert!(
            r.inconsistent_bars.items[1]
                .problem
                .contains("open 3 is outside")
        );
        assert_eq!(
            r.zero_volume_runs.items,
            vec![BarRun {
                from_ts: 180_000,
                to_ts: 300_000,
                bars: 3
            }]
        );
        assert_eq!(r.misaligned_bars.items, vec![330_000]);
    }

    #[test]
    fn outliers_need_a_large_move_against_recent_history() {
        let mut c = steady(60);
        c.volume[45] = 5000.0; // about 400× the median
        c.close[50] *= 1.5;
        let r = assess(&c, None);
        assert_eq!(r.volume_outliers.count, 1);
        assert_eq!(r.volume_outliers.items[0].ts, c.ts[45]);
        assert!(r.volume_outliers.items[0].ratio > 50.0);
        // the jump and the return from it are both far outside the recent spread
        assert_eq!(r.price_outliers.items[0].ts, c.ts[50]);
        assert!(r.price_outliers.items[0].change_pct > 40.0);
    }

    #[test]
    fn a_steady_trend_is_not_an_outlier_but_a_jump_is() {
        let mut c = Candles::default();
        for i in 0..100 {
            let p = 42_000.0 + i as f64;
            c.push(i * 3_600_000, p, p + 5.0, p - 5.0, p + 1.0, 10.0);
        }
        assert_eq!(assess(&c, None).price_outliers.count, 0);
        c.close[70] -= 99.0;
        let r = assess(&c, None);
        assert_eq!(r.price_outliers.items[0].ts, c.ts[70]);
    }

    #[test]
    fn median_of_even_and_odd_windows() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn listed_keeps_the_first_items_and_the_full_count() {
        let mut l = Listed::default();
        for i in 0..(MAX_LISTED + 5) {
            l.push(i);
        }
        assert_eq!(l.count, MAX_LISTED + 5);
        assert_eq!(l.items.len(), MAX_LISTED);
    }

    #[test]
    fn report_round_trips_through_json() {
        let r = assess(&steady(50), None);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["gap_policy"], "leave");
        let back: QualityReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
