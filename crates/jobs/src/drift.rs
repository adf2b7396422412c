//! The drift report of a paper run: the backtest re-run over the run's window on the candles
//! as stored now, compared trade by trade with what the run did, every difference named with
//! its likely cause — a candle revised after it was processed, a candle missing when the run
//! passed it and stored later, a candle processed late, a pause, a newer version of the
//! strategy — and the run's numbers beside the backtest's.
//!
//! The paper run and the backtest share one engine, so on the same candles they cannot
//! differ; a difference always comes from the data or the run's history, which is what this
//! report looks for.

use std::collections::BTreeMap;

use bb_domain::{Candles, Timeframe};
use bb_store::{Db, PaperEvent, PaperRun, Revision};
use serde::Serialize;

use crate::expectation::Expectation;
use crate::paper_types::{BasketTickEntry, TickEntry, TradeEntry, side_word};
use crate::run::JobError;

/// Ledger entries read at most (a run of a year of hourly candles is about 30,000).
const MAX_EVENTS: usize = 500_000;
/// Candle revisions read at most.
const MAX_REVISIONS: usize = 10_000;

/// A trade, as the run or the backtest made it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftTrade {
    /// The market (baskets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `long` or `short`.
    pub side: String,
    pub entry_ts: i64,
    pub exit_ts: i64,
    pub entry_price: f64,
    pub exit_price: f64,
    pub pnl: f64,
}

/// Why the data or the run's history may differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftCause {
    /// `revised_candle`, `gap_filled_later`, `late_candle`, `pause` or `changed_version`.
    pub kind: String,
    /// The candle concerned, if one.
    pub candle_ts: Option<i64>,
    /// In words, with the numbers.
    pub message: String,
}

/// One trade that is not the same in the run and in the backtest.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftDifference {
    /// `missing_in_paper` (the backtest made it, the run did not), `extra_in_paper`, or
    /// `different` (same entry, another exit or result).
    pub kind: String,
    pub paper: Option<DriftTrade>,
    pub backtest: Option<DriftTrade>,
    /// The causes found on candles up to the trade's end (none: unexplained).
    pub causes: Vec<DriftCause>,
}

/// The numbers side by side.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftNumbers {
    pub trades: usize,
    pub total_pnl: f64,
    /// Zero or negative.
    pub max_drawdown_pct: f64,
    pub final_equity: Option<f64>,
}

/// The drift report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftReport {
    /// The run's window: its first and last processed candle.
    pub from_ts: i64,
    pub to_ts: Option<i64>,
    pub candles_processed: usize,
    pub candles_stored_now: usize,
    /// Trades the same in both.
    pub matched: usize,
    pub differences: Vec<DriftDifference>,
    /// Everything found in the window that can make a run differ from a backtest.
    pub causes: Vec<DriftCause>,
    pub paper: DriftNumbers,
    pub backtest: DriftNumbers,
    /// The backtest's range of drawdowns and returns over windows as long as the run, on
    /// the candles before it started, with the run's own beside them.
    pub expectation: Option<Expectation>,
    /// Why there is no expectation, when there is none.
    pub expectation_missing: Option<String>,
    /// In one sentence.
    pub verdict: String,
}

/// One market of a run: what the run saw of it and what is stored now.
struct Market {
    /// `None` for a run on one market.
    symbol: Option<String>,
    dataset_id: String,
    /// Each candle as processed: open time → (values, when processed).
    seen: BTreeMap<i64, ([f64; 5], i64)>,
    stored: Candles,
}

/// The drift report of `run` now.
pub async fn drift(db: &Db, run: &PaperRun) -> Result<DriftReport, JobError> {
    let tf: Timeframe = run
        .timeframe
        .parse()
        .map_err(|e: bb_domain::TimeframeError| JobError::Permanent(e.to_string()))?;
    let mut events: Vec<PaperEvent> = Vec::new();
    let mut after = 0;
    loop {
        let page = db.paper_runs().events(&run.id, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        events.extend(page);
        if events.len() >= MAX_EVENTS {
            break;
        }
    }
    let window = run.last_candle_ts.map(|last| (run.start_ts, last + 1));
    let mut markets = markets(run, &events);
    for m in &mut markets {
        if let Some((from, to)) = window {
            let dataset = db.candles().get_dataset(&m.dataset_id).await?;
            m.stored = db
                .candles()
                .load_at(&dataset, tf, Some(from), Some(to))
                .await?;
        }
    }
    let mut causes = Vec::new();
    for m in &markets {
        let revisions = match window {
            Some((from, to)) => {
                db.candles()
                    .revisions(&m.dataset_id, from, to, MAX_REVISIONS)
                    .await?
            }
            None => Vec::new(),
        };
        causes.extend(candle_causes(run, tf, m, &revisions));
    }
    causes.sort_by_key(|c| c.candle_ts);
    causes.extend(history_causes(db, run, &events).await?);

    // The backtest now: the run's engine on the stored candles.
    let (expected, backtest_equity) = backtest_now(db, run, tf, &markets).await?;
    let made: Vec<DriftTrade> = events
        .iter()
        .filter(|e| e.kind == "trade")
        .filter_map(|e| TradeEntry::read(&e.payload))
        .filter(|t| t.reason != bb_domain::ExitReason::EndOfData)
        .map(|t| DriftTrade {
            symbol: t.symbol,
            side: t.side,
            entry_ts: t.entry_ts,
            exit_ts: t.exit_ts,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            pnl: t.pnl,
        })
        .collect();

    let same_entry = |a: &DriftTrade, b: &DriftTrade| {
        a.entry_ts == b.entry_ts && a.side == b.side && a.symbol == b.symbol
    };
    let mut differences = Vec::new();
    let mut matched = 0;
    for p in &made {
        match expected.iter().find(|b| same_entry(b, p)) {
            Some(b) if b == p => matched += 1,
            Some(b) => differences.push(difference("different", Some(p), Some(b), &causes)),
            None => differences.push(difference("extra_in_paper", Some(p), None, &causes)),
        }
    }
    for b in &expected {
        if !made.iter().any(|p| same_entry(p, b)) {
            differences.push(difference("missing_in_paper", None, Some(b), &causes));
        }
    }
    differences.sort_by_key(|d| {
        d.paper
            .as_ref()
            .or(d.backtest.as_ref())
            .map_or(0, |t| t.entry_ts)
    });

    let paper_equity: Vec<f64> = events
        .iter()
        .filter(|e| e.kind == "tick")
        .filter_map(|e| {
            TickEntry::read(&e.payload)
                .map(|t| t.equity)
                .or_else(|| BasketTickEntry::read(&e.payload).map(|t| t.equity))
        })
        .collect();
    let capital = serde_json::from_value::<bb_backtest::Settings>(run.settings.clone())
        .map_err(|e| JobError::Permanent(format!("the run's settings cannot be read: {e}")))?
        .initial_capital;
    let (expectation, expectation_missing) =
        match crate::expectation::expectation(db, run, tf, capital, &paper_equity).await? {
            Ok(e) => (Some(e), None),
            Err(why) => (None, Some(why)),
        };
    let paper = numbers(&made, &paper_equity);
    let backtest = numbers(&expected, &backtest_equity);
    let verdict = if differences.is_empty() {
        format!(
            "The run made exactly the backtest's {matched} trades on the candles stored now{}.",
            if causes.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} event(s) in its history changed nothing)",
                    causes.len()
                )
            }
        )
    } else {
        let unexplained = differences.iter().filter(|d| d.causes.is_empty()).count();
        format!(
            "{} trade(s) differ from the backtest on the candles stored now; {}.",
            differences.len(),
            if unexplained == 0 {
                "each has a cause below".to_owned()
            } else {
                format!("{unexplained} without a cause found")
            }
        )
    };
    Ok(DriftReport {
        from_ts: run.start_ts,
        to_ts: run.last_candle_ts,
        candles_processed: events.iter().filter(|e| e.kind == "tick").count(),
        candles_stored_now: markets
            .iter()
            .flat_map(|m| m.stored.ts.iter().copied())
            .collect::<std::collections::BTreeSet<i64>>()
            .len(),
        matched,
        differences,
        causes,
        paper,
        backtest,
        expectation,
        expectation_missing,
        verdict,
    })
}

/// What the run saw of each market, from its ledger's ticks.
fn markets(run: &PaperRun, events: &[PaperEvent]) -> Vec<Market> {
    let ticks = events.iter().filter(|e| e.kind == "tick");
    match &run.basket {
        None => {
            let seen = ticks
                .filter_map(|e| {
                    let t = TickEntry::read(&e.payload)?;
                    Some((
                        e.candle_ts?,
                        (t.candle, t.processed_at.unwrap_or(e.created_at)),
                    ))
                })
                .collect();
            vec![Market {
                symbol: None,
                dataset_id: run.dataset_id.clone(),
                seen,
                stored: Candles::default(),
            }]
        }
        Some(basket) => {
            let mut out: Vec<Market> = basket
                .members
                .iter()
                .map(|m| Market {
                    symbol: Some(m.symbol.clone()),
                    dataset_id: m.dataset_id.clone(),
                    seen: BTreeMap::new(),
                    stored: Candles::default(),
                })
                .collect();
            for e in ticks {
                let (Some(ts), Some(t)) = (e.candle_ts, BasketTickEntry::read(&e.payload)) else {
                    continue;
                };
                for (m, candle) in t.candles {
                    if let Some(market) = out.get_mut(m) {
                        market
                            .seen
                            .insert(ts, (candle, t.processed_at.unwrap_or(e.created_at)));
                    }
                }
            }
            out
        }
    }
}

/// The backtest of the run's window on the candles stored now: its trades (with their
/// market, for a basket) and its equity.
async fn backtest_now(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
    markets: &[Market],
) -> Result<(Vec<DriftTrade>, Vec<f64>), JobError> {
    let Some(last) = run.last_candle_ts else {
        return Ok((Vec::new(), Vec::new()));
    };
    match &run.basket {
        None => {
            let mut engine = crate::paper::fresh_engine(db, run, tf).await?;
            engine
                .replay(&markets[0].stored)
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            let trades = engine.trades().iter().map(|t| trade(None, t)).collect();
            Ok((trades, engine.equity().to_vec()))
        }
        Some(basket) => {
            let (engine, _) =
                crate::paper_basket::replay_stored(db, run, basket, tf, run.start_ts, last + 1)
                    .await?;
            let mut trades: Vec<DriftTrade> = (0..basket.members.len())
                .flat_map(|m| {
                    let symbol = basket.members[m].symbol.clone();
                    engine
                        .trades(m)
                        .iter()
                        .map(move |t| trade(Some(symbol.clone()), t))
                        .collect::<Vec<_>>()
                })
                .collect();
            trades.sort_by_key(|t| (t.entry_ts, t.exit_ts));
            Ok((trades, engine.equity().to_vec()))
        }
    }
}

/// Revised candles, candles stored after the run passed them, and candles processed late,
/// of one market.
fn candle_causes(
    run: &PaperRun,
    tf: Timeframe,
    market: &Market,
    revisions: &[Revision],
) -> Vec<DriftCause> {
    let mut out = Vec::new();
    let stored = &market.stored;
    let of = match &market.symbol {
        Some(s) => format!("{s} candle"),
        None => "candle".to_owned(),
    };
    for i in 0..stored.len() {
        let ts = stored.ts[i];
        let now = [
            stored.open[i],
            stored.high[i],
            stored.low[i],
            stored.close[i],
            stored.volume[i],
        ];
        match market.seen.get(&ts) {
            None => out.push(DriftCause {
                kind: "gap_filled_later".into(),
                candle_ts: Some(ts),
                message: format!(
                    "The {of} of {} was missing when the run passed it; it is stored now.",
                    bb_data::format_utc(ts)
                ),
            }),
            Some(&(then, processed)) => {
                if then
                    .iter()
                    .zip(now)
                    .any(|(a, b)| a.to_bits() != b.to_bits())
                {
                    let by = revisions
                        .iter()
                        .rev()
                        .find(|r| (ts..ts + tf.millis()).contains(&r.ts))
                        .map(|r| {
                            format!(
                                " (corrected by {} at {})",
                                r.source,
                                bb_data::format_utc(r.revised_at)
                            )
                        })
                        .unwrap_or_default();
                    out.push(DriftCause {
                        kind: "revised_candle".into(),
                        candle_ts: Some(ts),
                        message: format!(
                            "The {of} of {} was revised after the run processed it{by}: {}.",
                            bb_data::format_utc(ts),
                            changes(&then, &now)
                        ),
                    });
                }
                let closed = ts + tf.millis();
                if run.mode == "live" && TickEntry::late(ts, tf, processed) {
                    out.push(DriftCause {
                        kind: "late_candle".into(),
                        candle_ts: Some(ts),
                        message: format!(
                            "The {of} of {} was processed {} minute(s) after it closed (in \
                             order, so it changed no decision).",
                            bb_data::format_utc(ts),
                            (processed - closed) / 60_000
                        ),
                    });
                }
            }
        }
    }
    out
}

/// Pauses and newer versions of the strategy.
async fn history_causes(
    db: &Db,
    run: &PaperRun,
    events: &[PaperEvent],
) -> Result<Vec<DriftCause>, JobError> {
    let mut out = Vec::new();
    let mut paused_at: Option<&PaperEvent> = None;
    for e in events.iter().filter(|e| e.kind == "status") {
        match e.payload["status"].as_str() {
            Some("paused") => paused_at = Some(e),
            Some("active") => {
                if let Some(p) = paused_at.take() {
                    out.push(DriftCause {
                        kind: "pause".into(),
                        candle_ts: None,
                        message: format!(
                            "Paused from {} to {}; the candles that closed meanwhile were \
                             processed on resume, in order.",
                            bb_data::format_utc(p.created_at),
                            bb_data::format_utc(e.created_at)
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    if let Ok(strategy) = db.strategies().get(&run.strategy_id).await
        && strategy.latest_version > run.version
    {
        out.push(DriftCause {
            kind: "changed_version".into(),
            candle_ts: None,
            message: format!(
                "Version {} of the strategy was saved since; this run trades version {}, and so \
                 does this comparison.",
                strategy.latest_version, run.version
            ),
        });
    }
    Ok(out)
}

/// "close 101 then, 103.5 now; volume 12 then, 14 now": the values that changed.
fn changes(then: &[f64; 5], now: &[f64; 5]) -> String {
    const NAMES: [&str; 5] = ["open", "high", "low", "close", "volume"];
    NAMES
        .iter()
        .zip(then.iter().zip(now))
        .filter(|(_, (a, b))| a.to_bits() != b.to_bits())
        .map(|(name, (a, b))| format!("{name} {a} then, {b} now"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn difference(
    kind: &str,
    paper: Option<&DriftTrade>,
    backtest: Option<&DriftTrade>,
    causes: &[DriftCause],
) -> DriftDifference {
    let end = paper
        .iter()
        .chain(backtest.iter())
        .map(|t| t.exit_ts.max(t.entry_ts))
        .max()
        .unwrap_or(i64::MAX);
    DriftDifference {
        kind: kind.into(),
        paper: paper.cloned(),
        backtest: backtest.cloned(),
        causes: causes
            .iter()
            .filter(|c| {
                matches!(c.kind.as_str(), "revised_candle" | "gap_filled_later")
                    && c.candle_ts.is_some_and(|t| t <= end)
            })
            .cloned()
            .collect(),
    }
}

fn trade(symbol: Option<String>, t: &bb_domain::Trade) -> DriftTrade {
    DriftTrade {
        symbol,
        side: side_word(t.side).to_owned(),
        entry_ts: t.entry_ts,
        exit_ts: t.exit_ts,
        entry_price: t.entry_price,
        exit_price: t.exit_price,
        pnl: t.pnl,
    }
}

fn numbers(trades: &[DriftTrade], equity: &[f64]) -> DriftNumbers {
    let mut peak = f64::NEG_INFINITY;
    let mut dd: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        if peak > 0.0 {
            dd = dd.min((e / peak - 1.0) * 100.0);
        }
    }
    DriftNumbers {
        trades: trades.len(),
        total_pnl: trades.iter().map(|t| t.pnl).sum(),
        max_drawdown_pct: dd,
        final_equity: equity.last().copied(),
    }
}
