//! A paper run's performance with the backtest's own metrics (`bb_metrics::compute`, the
//! function every backtest report uses), over what the run's ledger recorded: the equity at
//! each processed candle, the closes, and the closed trades (a position still open is not a
//! trade yet; its time in the market counts).

use bb_domain::Timeframe;
use bb_metrics::{Metrics, MetricsInput};
use bb_store::{Db, PaperRun};
use serde::Serialize;

use crate::paper_types::{BasketTickEntry, PaperSnapshot, TickEntry, TradeEntry};
use crate::run::JobError;

/// Ledger entries read at most.
const MAX_EVENTS: usize = 500_000;

/// The run's metrics and what they cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaperMetrics {
    pub metrics: Metrics,
    /// Candles (a basket: times) the metrics cover.
    pub candles: usize,
    /// Whether a position is open (its result is not in the trade metrics yet).
    pub position_open: bool,
}

/// The metrics of `run` now.
pub async fn metrics(db: &Db, run: &PaperRun) -> Result<PaperMetrics, JobError> {
    let tf: Timeframe = run
        .timeframe
        .parse()
        .map_err(|e: bb_domain::TimeframeError| JobError::Permanent(e.to_string()))?;
    let settings: bb_backtest::Settings = serde_json::from_value(run.settings.clone())
        .map_err(|e| JobError::Permanent(format!("the run's settings cannot be read: {e}")))?;
    let mut ts = Vec::new();
    let mut equity = Vec::new();
    let mut close = Vec::new();
    // A basket: each market's closes, for the equal-weight buy and hold.
    let mut member_closes: Vec<Vec<f64>> = Vec::new();
    let mut entries = Vec::new();
    let mut after = 0;
    'read: loop {
        let page = db.paper_runs().events(&run.id, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            match e.kind.as_str() {
                "tick" => {
                    let Some(t) = e.candle_ts else { continue };
                    if let Some(tick) = TickEntry::read(&e.payload) {
                        ts.push(t);
                        equity.push(tick.equity);
                        close.push(tick.candle[3]);
                    } else if let Some(tick) = BasketTickEntry::read(&e.payload) {
                        ts.push(t);
                        equity.push(tick.equity);
                        for (m, candle) in tick.candles {
                            if member_closes.len() <= m {
                                member_closes.resize(m + 1, Vec::new());
                            }
                            member_closes[m].push(candle[3]);
                        }
                    }
                }
                "trade" => entries.extend(TradeEntry::read(&e.payload)),
                _ => {}
            }
            if ts.len() + entries.len() >= MAX_EVENTS {
                break 'read;
            }
        }
    }
    let index = |t: i64| {
        ts.partition_point(|&x| x < t)
            .min(ts.len().saturating_sub(1))
    };
    let trades: Vec<bb_domain::Trade> = entries
        .iter()
        .map(|e| e.trade(index(e.entry_ts), index(e.exit_ts)))
        .collect();
    // Time in the market: each closed trade's bars, and the open positions' so far.
    let snapshot = PaperSnapshot::read(run.snapshot.as_ref(), settings.initial_capital);
    let open: Vec<i64> = snapshot
        .position
        .iter()
        .chain(&snapshot.positions)
        .map(|p| p.entry_ts)
        .collect();
    let held: usize = trades.iter().map(|t| t.bars_held()).sum::<usize>()
        + open
            .iter()
            .map(|&e| ts.len().saturating_sub(index(e)))
            .sum::<usize>();
    // A basket's exposure is its markets' average, as in a basket backtest.
    let markets = run.basket.as_ref().map_or(1, |b| b.members.len().max(1));
    let mut metrics = bb_metrics::compute(&MetricsInput {
        ts: &ts,
        equity: &equity,
        close: &close,
        trades: &trades,
        initial_capital: settings.initial_capital,
        timeframe: tf,
        bars_in_market: (held / markets).min(ts.len()),
        risk_free_rate: 0.0,
    });
    if run.basket.is_some() && !member_closes.is_empty() {
        let each: Vec<f64> = member_closes
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| bb_metrics::buy_and_hold::buy_and_hold_return_pct(c))
            .collect();
        metrics.buy_and_hold_return_pct = each.iter().sum::<f64>() / each.len().max(1) as f64;
    }
    Ok(PaperMetrics {
        metrics,
        candles: ts.len(),
        position_open: !open.is_empty(),
    })
}
