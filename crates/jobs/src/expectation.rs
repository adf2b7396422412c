//! What the backtest expects of a paper run: the same strategy backtested over the candles
//! before the run started, cut into windows as long as the run has been trading, and the
//! range of those windows' drawdowns and returns — so a run's drawdown can be read as usual
//! or unusual for this strategy on this market, not just as a number.

use bb_domain::Timeframe;
use bb_store::{Db, PaperRun};
use serde::Serialize;

use crate::run::JobError;

/// Candles of history backtested at most.
const MAX_HISTORY: usize = 20_000;
/// Candles a run has processed before its drawdown is compared.
const MIN_CANDLES: usize = 20;
/// Windows needed for a range worth stating.
const MIN_WINDOWS: usize = 5;

/// A range over the backtest's windows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowRange {
    /// The best window, the median and the worst (percent).
    pub best: f64,
    pub median: f64,
    pub worst: f64,
}

/// The backtest's expectation for a run as long as this one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expectation {
    /// The history backtested: open times of its first and last candle.
    pub from_ts: i64,
    pub to_ts: i64,
    /// Windows compared, each `window_candles` long (the run's length so far).
    pub windows: usize,
    pub window_candles: usize,
    /// Maximum drawdown within each window (zero or negative).
    pub max_drawdown_pct: WindowRange,
    /// Return over each window.
    pub return_pct: WindowRange,
    /// The run's own, over its candles.
    pub paper_max_drawdown_pct: f64,
    pub paper_return_pct: f64,
    /// Share of the backtest's windows with a deeper drawdown than the run's (percent).
    pub deeper_windows_pct: f64,
    /// In one or two sentences.
    pub verdict: String,
}

/// The expectation for `run`, whose equity at each processed candle is `paper_equity`;
/// `None` when there is too little history before the run for `MIN_WINDOWS` windows (the
/// reason in words).
pub async fn expectation(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
    capital: f64,
    paper_equity: &[f64],
) -> Result<Result<Expectation, String>, JobError> {
    let length = paper_equity.len();
    if length < MIN_CANDLES {
        return Ok(Err(format!(
            "The run has processed {length} candle(s): the comparison starts at {MIN_CANDLES}."
        )));
    }
    let history_len = (length * 20).clamp(1_000, MAX_HISTORY);
    // (a basket's history is its first market's time span, all its markets replayed)
    let from = run
        .start_ts
        .saturating_sub(tf.millis().saturating_mul(history_len as i64));
    let dataset = db.candles().get_dataset(&run.dataset_id).await?;
    let history = db
        .candles()
        .load_at(&dataset, tf, Some(from), Some(run.start_ts))
        .await?;
    let Some((&first, &last)) = history.ts.first().zip(history.ts.last()) else {
        return Ok(Err("No candles are stored before the run's start.".into()));
    };
    let history_equity = match &run.basket {
        None => {
            let mut engine = crate::paper::engine_at(db, run, tf, first).await?;
            engine
                .replay(&history)
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            engine.equity().to_vec()
        }
        Some(basket) => {
            let (engine, _) =
                crate::paper_basket::replay_stored(db, run, basket, tf, first, run.start_ts)
                    .await?;
            engine.equity().to_vec()
        }
    };
    let equity = history_equity.as_slice();
    let step = (length / 4).max(1);
    let mut drawdowns = Vec::new();
    let mut returns = Vec::new();
    let mut start = 0;
    while start + length <= equity.len() {
        let before = if start == 0 {
            capital
        } else {
            equity[start - 1]
        };
        let window = &equity[start..start + length];
        drawdowns.push(max_drawdown(before, window));
        returns.push((window[length - 1] / before - 1.0) * 100.0);
        start += step;
    }
    if drawdowns.len() < MIN_WINDOWS {
        return Ok(Err(format!(
            "{} candles are stored before the run's start: too few to cut {MIN_WINDOWS} windows \
             of {length} candles.",
            history.len()
        )));
    }
    let paper_dd = max_drawdown(capital, paper_equity);
    let paper_ret = (paper_equity[length - 1] / capital - 1.0) * 100.0;
    let deeper = drawdowns.iter().filter(|&&d| d < paper_dd).count();
    let deeper_pct = deeper as f64 * 100.0 / drawdowns.len() as f64;
    let dd = range(&mut drawdowns);
    let ret = range(&mut returns);
    let verdict = if paper_dd < dd.worst {
        format!(
            "The run's drawdown of {paper_dd:.1}% is deeper than in any of the backtest's {} \
             windows of {length} candles (the worst was {:.1}%): the strategy is doing worse \
             than its history on this market.",
            drawdowns.len(),
            dd.worst
        )
    } else if deeper_pct < 10.0 {
        format!(
            "The run's drawdown of {paper_dd:.1}% is among the worst tenth of the backtest's \
             windows of {length} candles ({:.1}% to {:.1}%, median {:.1}%).",
            dd.best, dd.worst, dd.median
        )
    } else {
        format!(
            "The run's drawdown of {paper_dd:.1}% is within the backtest's usual range for \
             {length} candles ({:.1}% to {:.1}%, median {:.1}%).",
            dd.best, dd.worst, dd.median
        )
    };
    Ok(Ok(Expectation {
        from_ts: first,
        to_ts: last,
        windows: drawdowns.len(),
        window_candles: length,
        max_drawdown_pct: dd,
        return_pct: ret,
        paper_max_drawdown_pct: paper_dd,
        paper_return_pct: paper_ret,
        deeper_windows_pct: deeper_pct,
        verdict,
    }))
}

/// The deepest fall from a peak (starting at `before`), in percent (zero or negative).
fn max_drawdown(before: f64, equity: &[f64]) -> f64 {
    let mut peak = before;
    let mut worst: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        if peak > 0.0 {
            worst = worst.min((e / peak - 1.0) * 100.0);
        }
    }
    worst
}

/// Best (highest), median and worst (lowest) of `values`.
fn range(values: &mut [f64]) -> WindowRange {
    values.sort_by(|a, b| b.total_cmp(a));
    WindowRange {
        best: values[0],
        median: values[values.len() / 2],
        worst: values[values.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_counts_from_the_equity_before_the_window() {
        assert_eq!(max_drawdown(100.0, &[50.0, 75.0, 200.0, 150.0]), -50.0);
        assert_eq!(max_drawdown(100.0, &[75.0, 200.0, 150.0]), -25.0);
        assert_eq!(max_drawdown(100.0, &[101.0, 102.0]), 0.0);
    }

    #[test]
    fn range_is_best_median_worst() {
        let r = range(&mut [-3.0, -1.0, -9.0, -4.0, -2.0]);
        assert_eq!((r.best, r.median, r.worst), (-1.0, -3.0, -9.0));
    }
}
