//! The equity and drawdown series, and their downsampling for charts.

use serde::{Deserialize, Serialize};

/// Equity at one bar's close and its drawdown from the running peak.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquityPoint {
    /// Open time of the bar, Unix ms (equity is taken at its close).
    pub ts: i64,
    /// Cash plus the open position at the close, quote currency.
    pub equity: f64,
    /// Percent below the highest equity so far (zero or negative).
    pub drawdown_pct: f64,
}

/// All points, or about `max_points` of them: the bars are cut into equal buckets and each
/// bucket keeps its lowest-equity and highest-equity bars (in time order), so peaks and
/// troughs, and with them the maximum drawdown, survive downsampling. The first and last
/// bars are always kept. `max_points == 0` keeps everything.
pub(crate) fn equity_points(
    ts: &[i64],
    equity: &[f64],
    drawdown: &[f64],
    max_points: usize,
) -> Vec<EquityPoint> {
    let n = equity.len();
    let point = |i: usize| EquityPoint {
        ts: ts[i],
        equity: equity[i],
        drawdown_pct: drawdown[i],
    };
    if max_points == 0 || n <= max_points.max(4) {
        return (0..n).map(point).collect();
    }
    let buckets = (max_points / 2).max(1);
    let mut keep = Vec::with_capacity(buckets * 2 + 2);
    keep.push(0);
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        if start >= end {
            continue;
        }
        let mut lo = start;
        let mut hi = start;
        for i in start..end {
            if equity[i] < equity[lo] {
                lo = i;
            }
            if equity[i] > equity[hi] {
                hi = i;
            }
        }
        keep.push(lo.min(hi));
        keep.push(lo.max(hi));
    }
    keep.push(n - 1);
    keep.sort_unstable();
    keep.dedup();
    keep.into_iter().map(point).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_extremes_when_downsampling() {
        let n = 10_000;
        let ts: Vec<i64> = (0..n as i64).collect();
        let mut equity: Vec<f64> = (0..n).map(|i| 100.0 + (i % 7) as f64).collect();
        equity[4321] = 10.0; // the deepest trough
        let dd = bb_metrics::drawdown_series(&equity);
        let points = equity_points(&ts, &equity, &dd, 200);
        assert!(points.len() <= 202, "{}", points.len());
        assert!(points.iter().any(|p| p.ts == 4321));
        assert_eq!(points.first().unwrap().ts, 0);
        assert_eq!(points.last().unwrap().ts, n as i64 - 1);
        let min_dd = points.iter().map(|p| p.drawdown_pct).fold(0.0, f64::min);
        assert_eq!(min_dd, dd.iter().cloned().fold(0.0, f64::min));
        assert_eq!(
            equity_points(&ts[..3], &equity[..3], &dd[..3], 200).len(),
            3
        );
    }
}
