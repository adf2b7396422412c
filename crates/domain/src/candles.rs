//! Candles stored as columns (one `Vec` per field), the layout every engine loop reads.

use crate::timeframe::Timeframe;

/// OHLCV candles in columns. Row `i` is the bar that opened at `ts[i]` (Unix milliseconds,
/// UTC). Timestamps are strictly increasing; gaps (missing bars) are allowed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Candles {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CandleError {
    #[error("candle columns have different lengths")]
    RaggedColumns,
    #[error(
        "row {row}: timestamp {ts} is not after the previous one ({prev}); candles must be sorted with no duplicates"
    )]
    NotIncreasing { row: usize, prev: i64, ts: i64 },
    #[error("row {row}: {field} is not a finite number")]
    NotFinite { row: usize, field: &'static str },
}

impl Candles {
    /// Checked constructor: equal column lengths, strictly increasing timestamps, finite prices.
    pub fn new(
        ts: Vec<i64>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Result<Candles, CandleError> {
        let n = ts.len();
        if [open.len(), high.len(), low.len(), close.len(), volume.len()]
            .iter()
            .any(|&l| l != n)
        {
            return Err(CandleError::RaggedColumns);
        }
        for row in 1..n {
            if ts[row] <= ts[row - 1] {
                return Err(CandleError::NotIncreasing {
                    row,
                    prev: ts[row - 1],
                    ts: ts[row],
                });
            }
        }
        for (field, col) in [
            ("open", &open),
            ("high", &high),
            ("low", &low),
            ("close", &close),
            ("volume", &volume),
        ] {
            if let Some(row) = col.iter().position(|v| !v.is_finite()) {
                return Err(CandleError::NotFinite { row, field });
            }
        }
        Ok(Candles {
            ts,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Adds one bar at the end (its timestamp must be after the last one).
    pub fn push(&mut self, ts: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) {
        debug_assert!(self.ts.last().is_none_or(|&last| ts > last));
        self.ts.push(ts);
        self.open.push(open);
        self.high.push(high);
        self.low.push(low);
        self.close.push(close);
        self.volume.push(volume);
    }

    /// The first `n` bars (all of them if `n >= len`).
    pub fn prefix(&self, n: usize) -> Candles {
        self.slice(0, n.min(self.len()))
    }

    /// Bars `start..end`.
    pub fn slice(&self, start: usize, end: usize) -> Candles {
        Candles {
            ts: self.ts[start..end].to_vec(),
            open: self.open[start..end].to_vec(),
            high: self.high[start..end].to_vec(),
            low: self.low[start..end].to_vec(),
            close: self.close[start..end].to_vec(),
            volume: self.volume[start..end].to_vec(),
        }
    }

    /// Bars whose open time lies in `[from_ms, to_ms)`; either bound may be open.
    pub fn between(&self, from_ms: Option<i64>, to_ms: Option<i64>) -> Candles {
        let start = from_ms.map_or(0, |f| self.ts.partition_point(|&t| t < f));
        let end = to_ms.map_or(self.len(), |t| self.ts.partition_point(|&x| x < t));
        self.slice(start, end.max(start))
    }

    /// The bar duration: the smallest gap between consecutive timestamps.
    /// `None` with fewer than two bars or when that gap is not whole minutes.
    pub fn timeframe(&self) -> Option<Timeframe> {
        let step = self.ts.windows(2).map(|w| w[1] - w[0]).min()?;
        Timeframe::from_millis(step)
    }

    /// Places where bars are missing: `(index of the bar after the gap, bars missing)`.
    pub fn gaps(&self, timeframe: Timeframe) -> Vec<(usize, i64)> {
        let step = timeframe.millis();
        self.ts
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| {
                let missing = (w[1] - w[0]) / step - 1;
                (missing > 0).then_some((i + 1, missing))
            })
            .collect()
    }

    /// (high + low) / 2 per bar.
    pub fn hl2(&self) -> Vec<f64> {
        self.high
            .iter()
            .zip(&self.low)
            .map(|(h, l)| (h + l) / 2.0)
            .collect()
    }

    /// (high + low + close) / 3 per bar.
    pub fn hlc3(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| (self.high[i] + self.low[i] + self.close[i]) / 3.0)
            .collect()
    }

    /// (open + high + low + close) / 4 per bar.
    pub fn ohlc4(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| (self.open[i] + self.high[i] + self.low[i] + self.close[i]) / 4.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(ts: &[i64]) -> Result<Candles, CandleError> {
        let n = ts.len();
        Candles::new(
            ts.to_vec(),
            vec![1.0; n],
            vec![2.0; n],
            vec![0.5; n],
            vec![1.5; n],
            vec![10.0; n],
        )
    }

    #[test]
    fn rejects_unsorted_and_duplicate_timestamps() {
        assert_eq!(
            bars(&[0, 60_000, 60_000]).unwrap_err(),
            CandleError::NotIncreasing {
                row: 2,
                prev: 60_000,
                ts: 60_000
            }
        );
        assert!(bars(&[60_000, 0]).is_err());
        assert!(bars(&[0, 60_000]).is_ok());
    }

    #[test]
    fn rejects_non_finite_prices() {
        let err = Candles::new(
            vec![0],
            vec![1.0],
            vec![f64::NAN],
            vec![1.0],
            vec![1.0],
            vec![1.0],
        );
        assert_eq!(
            err.unwrap_err(),
            CandleError::NotFinite {
                row: 0,
                field: "high"
            }
        );
    }

    #[test]
    fn infers_timeframe_and_finds_gaps() {
        let c = bars(&[0, 60_000, 120_000, 300_000]).unwrap();
        assert_eq!(c.timeframe(), Some(Timeframe::MINUTE));
        assert_eq!(c.gaps(Timeframe::MINUTE), vec![(3, 2)]);
    }

    #[test]
    fn between_is_half_open() {
        let c = bars(&[0, 60_000, 120_000, 180_000]).unwrap();
        assert_eq!(
            c.between(Some(60_000), Some(180_000)).ts,
            vec![60_000, 120_000]
        );
        assert_eq!(c.between(None, None).len(), 4);
        assert_eq!(c.between(Some(500_000), None).len(), 0);
    }
}
