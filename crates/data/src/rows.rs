//! Rows as they are read, checked one at a time: sorted, no conflicting duplicates. Exact
//! duplicates (same time, same values) are dropped and remembered.

use bb_domain::Candles;
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::time::format_utc;

/// A row dropped because an earlier row had the same time and the same values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DroppedDuplicate {
    /// The line of the dropped row.
    pub line: usize,
    /// The line of the row that was kept.
    pub kept_line: usize,
    /// The bar's open time, Unix ms.
    pub ts: i64,
}

/// Collects rows into [`Candles`], refusing unsorted rows and conflicting duplicates.
#[derive(Debug, Default)]
pub(crate) struct RowSink {
    pub(crate) candles: Candles,
    last_line: usize,
    pub(crate) rows_read: usize,
    pub(crate) duplicates: Vec<DroppedDuplicate>,
}

impl RowSink {
    pub(crate) fn with_capacity(n: usize) -> RowSink {
        RowSink {
            candles: Candles {
                ts: Vec::with_capacity(n),
                open: Vec::with_capacity(n),
                high: Vec::with_capacity(n),
                low: Vec::with_capacity(n),
                close: Vec::with_capacity(n),
                volume: Vec::with_capacity(n),
            },
            ..RowSink::default()
        }
    }

    /// Adds the row read on `line`: `[open, high, low, close, volume]` at `ts` (Unix ms).
    pub(crate) fn push(&mut self, line: usize, ts: i64, v: [f64; 5]) -> Result<(), DataError> {
        self.rows_read += 1;
        if let Some(reason) = impossible_bar(v) {
            return Err(DataError::row(line, reason));
        }
        let c = &self.candles;
        if let Some(&prev) = c.ts.last() {
            let kept_line = self.last_line;
            if ts == prev {
                let i = c.len() - 1;
                let kept = [c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]];
                if kept == v {
                    self.duplicates.push(DroppedDuplicate {
                        line,
                        kept_line,
                        ts,
                    });
                    return Ok(());
                }
                return Err(DataError::row(
                    line,
                    format!(
                        "timestamp {} is also on line {kept_line} with different values \
                         (line {kept_line}: {}; line {line}: {}); keep one of the two",
                        format_utc(ts),
                        ohlcv(kept),
                        ohlcv(v)
                    ),
                ));
            }
            if ts < prev {
                return Err(DataError::row(
                    line,
                    format!(
                        "timestamp {} is earlier than the previous row's {} (line {kept_line}); \
                         rows must be sorted by time",
                        format_utc(ts),
                        format_utc(prev)
                    ),
                ));
            }
        }
        self.last_line = line;
        let [o, h, l, cl, vol] = v;
        self.candles.push(ts, o, h, l, cl, vol);
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<RowSink, DataError> {
        if self.candles.is_empty() {
            return Err(DataError::Empty);
        }
        Ok(self)
    }
}

/// Why a bar cannot be real, if it cannot: a negative price or volume, a high below the
/// low, or an open or close outside the bar's range.
fn impossible_bar([o, h, l, c, vol]: [f64; 5]) -> Option<String> {
    for (name, x) in [("open", o), ("high", h), ("low", l), ("close", c)] {
        if x < 0.0 {
            return Some(format!("{name} is {x}; a price cannot be negative"));
        }
    }
    if vol < 0.0 {
        return Some(format!("volume is {vol}; a volume cannot be negative"));
    }
    if h < l {
        return Some(format!("high {h} is below low {l}"));
    }
    for (name, x) in [("open", o), ("close", c)] {
        if x < l || x > h {
            return Some(format!(
                "{name} {x} is outside the bar's range (low {l}, high {h})"
            ));
        }
    }
    None
}

fn ohlcv(v: [f64; 5]) -> String {
    format!(
        "open {} high {} low {} close {} volume {}",
        v[0], v[1], v[2], v[3], v[4]
    )
}

/// Parses one numeric cell, naming the field when it is not a finite number.
pub(crate) fn number(raw: &str, field: &str, line: usize) -> Result<f64, DataError> {
    let raw = raw.trim();
    raw.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| DataError::row(line, format!("{field} is \"{raw}\", not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_duplicates_are_dropped_and_remembered() {
        let mut s = RowSink::default();
        s.push(2, 0, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
        s.push(3, 60_000, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
        s.push(4, 60_000, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
        s.push(5, 60_000, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
        let s = s.finish().unwrap();
        assert_eq!(s.candles.len(), 2);
        assert_eq!(s.rows_read, 4);
        assert_eq!(
            s.duplicates,
            vec![
                DroppedDuplicate {
                    line: 4,
                    kept_line: 3,
                    ts: 60_000
                },
                DroppedDuplicate {
                    line: 5,
                    kept_line: 3,
                    ts: 60_000
                }
            ]
        );
    }

    #[test]
    fn conflicting_duplicates_name_both_lines() {
        let mut s = RowSink::default();
        s.push(7, 0, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
        let err = s.push(8, 0, [1.0, 2.0, 0.5, 1.5, 11.0]).unwrap_err();
        let DataError::Row { line, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(line, 8);
        assert!(message.contains("also on line 7"), "{message}");
        assert!(message.contains("volume 11"), "{message}");
    }

    #[test]
    fn impossible_bars_are_refused_with_their_line_and_reason() {
        for (v, says) in [
            (
                [-1.0, 2.0, 0.5, 1.5, 10.0],
                "open is -1; a price cannot be negative",
            ),
            (
                [1.0, 2.0, 0.5, 1.5, -3.0],
                "volume is -3; a volume cannot be negative",
            ),
            ([1.0, 0.5, 2.0, 1.0, 1.0], "high 0.5 is below low 2"),
            (
                [3.0, 2.0, 0.5, 1.5, 1.0],
                "open 3 is outside the bar's range (low 0.5, high 2)",
            ),
            ([1.0, 2.0, 0.5, 0.1, 1.0], "close 0.1 is outside"),
        ] {
            let mut s = RowSink::default();
            s.push(2, 0, [1.0, 2.0, 0.5, 1.5, 10.0]).unwrap();
            let err = s.push(3, 60_000, v).unwrap_err();
            let DataError::Row { line, message } = err else {
                panic!("{err:?}")
            };
            assert_eq!(line, 3);
            assert!(message.contains(says), "{message}");
            // nothing of the bad row was kept
            assert_eq!(s.candles.len(), 1);
        }
        // zero prices and volumes, and flat bars, are possible
        let mut s = RowSink::default();
        s.push(2, 0, [0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        s.push(3, 60_000, [1.0, 1.0, 1.0, 1.0, 0.0]).unwrap();
    }

    #[test]
    fn nothing_is_empty() {
        assert_eq!(RowSink::default().finish().unwrap_err(), DataError::Empty);
    }
}
