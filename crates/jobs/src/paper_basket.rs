//! Basket paper runs: one strategy over several markets from one cash balance, as a basket
//! backtest trades them ([`bb_backtest::paper::PaperBasket`]). A basket has its own schedule
//! (`paper_tick`); each tick processes the times whose candles are in, in order, each time
//! recorded once (`record_ticks`) with every market's candle as processed.
//!
//! - **Replay**: one time a tick from the stored candles, stopping at their end.
//! - **Live**: every market's dataset is brought up to its newest closed candle first; a
//!   time is processed once every market has its candle, or has a later one (the candle is
//!   missing: the ledger says so), or is more than a candle late (the basket goes on
//!   without it and says so), so one late market does not hold the others for long.

use std::collections::BTreeSet;

use bb_backtest::alerts::{self, Alert, AlertState};
use bb_backtest::paper::{BasketStep, PaperBasket};
use bb_domain::{Candles, Timeframe, Trade};
use bb_metrics::display::{money, significant};
use bb_store::{Db, NewPaperEvent, PaperRun, Tick};
use serde_json::{Value, json};

use crate::engine_cache::{EngineCache, each_tick};
use crate::paper::{
    MAX_PER_TICK, alert_config, alert_event, compile_plan, drift_check, missing_before, notify,
    refresh, settings_of, stale_check, timeframe, to_json, trade_message, warm_candles,
};
use crate::paper_types::{
    BasketTickEntry, FillEntry, PaperPosition, PaperSnapshot, TickEntry, TradeEntry, side_word,
};
use crate::run::JobError;
use crate::worker::Ctx;

/// Basket engines kept between ticks, by run.
static BASKETS: EngineCache<Cached> = EngineCache::new(1_000);

struct Cached {
    last: Option<i64>,
    engine: PaperBasket,
    peak: f64,
    max_drawdown_pct: f64,
    /// Losing trades in a row, and the time of the latest entry or exit.
    streak: usize,
    last_activity: Option<i64>,
}

impl Cached {
    /// Pushes one time's candles and follows the run's numbers.
    fn push(&mut self, ts: i64, bars: &[(usize, [f64; 5])]) -> Result<BasketStep, JobError> {
        let flat: Vec<(usize, f64, f64, f64, f64, f64)> = bars
            .iter()
            .map(|&(m, [o, h, l, c, v])| (m, o, h, l, c, v))
            .collect();
        let before: Vec<Option<i64>> = self
            .engine
            .positions()
            .iter()
            .map(|p| p.map(|p| p.entry_ts))
            .collect();
        let step = self.engine.push(ts, &flat).map_err(|e| {
            JobError::Permanent(format!(
                "the candles of {} cannot be processed: {e}",
                bb_data::format_utc(ts)
            ))
        })?;
        self.peak = self.peak.max(step.equity);
        if self.peak > 0.0 {
            self.max_drawdown_pct = self
                .max_drawdown_pct
                .min((step.equity / self.peak - 1.0) * 100.0);
        }
        let mut closed: Vec<&Trade> = step.members.iter().flat_map(|m| &m.closed).collect();
        closed.sort_by_key(|t| t.exit_ts);
        for t in closed {
            self.streak = if t.pnl < 0.0 { self.streak + 1 } else { 0 };
            self.last_activity = Some(ts);
        }
        let entered = self
            .engine
            .positions()
            .iter()
            .zip(&before)
            .any(|(p, b)| p.is_some_and(|p| Some(p.entry_ts) != *b));
        if entered {
            self.last_activity = Some(ts);
        }
        self.last = Some(ts);
        Ok(step)
    }

    fn alert_state(&self) -> AlertState<'_> {
        let positions = self
            .engine
            .positions()
            .iter()
            .enumerate()
            .filter_map(|(m, p)| {
                let p = (*p)?;
                let close = *self.engine.candles(m).close.last()?;
                Some((
                    format!(
                        "{} {} position",
                        self.engine.symbols()[m],
                        side_word(p.side)
                    ),
                    p.quantity * close,
                ))
            })
            .collect();
        AlertState {
            equity: self.engine.equity(),
            ts: self.engine.ts(),
            peak: self.peak,
            losing_streak: self.streak,
            last_activity_ts: self.last_activity,
            positions,
        }
    }
}

/// One tick of a basket run.
pub(crate) async fn run(
    ctx: &Ctx,
    run: PaperRun,
    basket: &bb_store::PaperBasket,
) -> Result<Value, JobError> {
    let db = &ctx.db;
    let now = ctx.config.clock.now_ms();
    let tf = timeframe(&run)?;
    let live = run.mode == "live";
    let mut datasets = Vec::with_capacity(basket.members.len());
    let mut changed = Vec::new();
    for m in &basket.members {
        let mut dataset = db.candles().get_dataset(&m.dataset_id).await?;
        if live
            && bb_market::is_fetched(&dataset)
            && let Some(c) = refresh(ctx, &dataset, tf, now).await
        {
            changed.extend(c);
            dataset = db.candles().get_dataset(&m.dataset_id).await?;
        }
        datasets.push(dataset);
    }
    changed.sort_unstable();
    drift_check(db, &run, tf, &changed).await?;
    let from = run.last_candle_ts.map_or(run.start_ts, |t| t + 1);
    let to = live.then(|| now - tf.millis() + 1);
    let mut candles = Vec::with_capacity(datasets.len());
    for d in &datasets {
        let mut c = db.candles().load_at(d, tf, Some(from), to).await?;
        if c.len() > MAX_PER_TICK {
            c = c.slice(0, MAX_PER_TICK);
        }
        candles.push(c);
    }
    let mut due = due_times(&candles, tf, live, now);
    if !live {
        due.truncate(1);
    }
    if due.is_empty() {
        if !live
            && datasets
                .iter()
                .all(|d| d.last_ts.is_none_or(|last| from > last))
        {
            let stopped = stop(
                db,
                &run,
                basket,
                "The replay reached the end of the stored candles.",
            )
            .await?;
            return Ok(json!({ "run_id": run.id, "stopped": stopped.is_some() }));
        }
        if live {
            let newest = datasets.iter().filter_map(|d| d.last_ts).min();
            stale_check(db, &run, &alert_config(&run), tf, newest, now).await?;
        }
        return Ok(json!({ "run_id": run.id, "candles": 0 }));
    }

    let mut cached = match engine(db, &run, basket, tf).await {
        Ok(c) => c,
        Err(JobError::Permanent(why)) => {
            crate::paper::halt(db, &run, &why).await?;
            return Ok(json!({ "run_id": run.id, "halted": why }));
        }
        Err(e) => return Err(e),
    };
    let config = alert_config(&run);
    let mut previous = run.last_candle_ts;
    let mut active = run.alerts_active.clone();
    let mut ticks = Vec::with_capacity(due.len());
    let mut fired_all: Vec<(usize, Alert)> = Vec::new();
    for (time, count) in due.iter().zip(run.candles + 1..) {
        let positions_before: Vec<Option<i64>> = cached
            .engine
            .positions()
            .iter()
            .map(|p| p.map(|p| p.entry_ts))
            .collect();
        let step = match cached.push(time.ts, &time.bars) {
            Ok(step) => step,
            Err(e) => {
                forget(&run.id);
                if let JobError::Permanent(why) = &e {
                    crate::paper::halt(db, &run, why).await?;
                    return Ok(json!({ "run_id": run.id, "halted": why }));
                }
                return Err(e);
            }
        };
        let mut events = Vec::new();
        if let Some(gap) = missing_before(previous, time.ts, tf) {
            events.push(gap);
        }
        events.extend(time_events(
            &run,
            basket,
            &cached,
            time,
            &step,
            &positions_before,
            now,
        ));
        let holding = alerts::check_state(&config, &cached.alert_state(), tf);
        let (fired, now_active) = alerts::episodes(&active, holding);
        for a in &fired {
            events.push(alert_event(a, Some(time.ts)));
        }
        ticks.push(Tick {
            candle_ts: time.ts,
            previous,
            candles: count,
            snapshot: snapshot(&run, &cached, step.equity),
            alerts_active: now_active.clone(),
            events,
        });
        fired_all.extend(fired.into_iter().map(|a| (ticks.len() - 1, a)));
        active = now_active;
        previous = Some(time.ts);
    }
    let n = ticks.len();
    let recorded = db
        .paper_runs()
        .record_ticks(&[(run.id.clone(), ticks)])
        .await?;
    let done = recorded.first().copied().unwrap_or(0);
    for (_, a) in fired_all.iter().filter(|(i, _)| *i < done) {
        notify(db, &run, a).await;
    }
    if done == n {
        keep(&run.id, cached);
    } else {
        forget(&run.id);
    }
    Ok(json!({ "run_id": run.id, "candles": done }))
}

/// One time to process: each market's candle there, and the markets without one.
struct DueTime {
    ts: i64,
    bars: Vec<(usize, [f64; 5])>,
    missing: Vec<usize>,
}

/// The times of `candles` (each market's, from the run's next time) to process now, in
/// order: all of them in a replay; live, up to the first one a market may still deliver.
fn due_times(candles: &[Candles], tf: Timeframe, live: bool, now: i64) -> Vec<DueTime> {
    let times: BTreeSet<i64> = candles.iter().flat_map(|c| c.ts.iter().copied()).collect();
    let mut cursor = vec![0_usize; candles.len()];
    let mut out = Vec::new();
    for ts in times {
        let mut bars = Vec::new();
        let mut missing = Vec::new();
        for (m, c) in candles.iter().enumerate() {
            let i = cursor[m];
            if c.ts.get(i) == Some(&ts) {
                bars.push((m, [c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]]));
                cursor[m] += 1;
            } else {
                // Live, a market without this candle and nothing later may still deliver it,
                // unless it is over a candle late.
                let later = c.ts.get(i).is_some_and(|&t| t > ts);
                if live && !later && !TickEntry::late(ts, tf, now) {
                    return out;
                }
                missing.push(m);
            }
        }
        out.push(DueTime { ts, bars, missing });
    }
    out
}

fn time_events(
    run: &PaperRun,
    basket: &bb_store::PaperBasket,
    cached: &Cached,
    time: &DueTime,
    step: &BasketStep,
    positions_before: &[Option<i64>],
    now: i64,
) -> Vec<NewPaperEvent> {
    let symbol = |m: usize| basket.members[m].symbol.as_str();
    let mut signals = Vec::new();
    for s in &step.members {
        for (on, name) in [
            (s.enter_long, "enter long"),
            (s.exit_long, "exit long"),
            (s.enter_short, "enter short"),
            (s.exit_short, "exit short"),
        ] {
            if on {
                signals.push(format!("{}: {name}", symbol(s.member)));
            }
        }
    }
    let mut events = Vec::new();
    if run.mode == "live" && !time.missing.is_empty() {
        let names: Vec<&str> = time.missing.iter().map(|&m| symbol(m)).collect();
        events.push(NewPaperEvent {
            kind: "note",
            candle_ts: Some(time.ts),
            message: format!(
                "No candle of {} at {}: missing from the source or late; the basket went on \
                 without it.",
                names.join(", "),
                bb_data::format_utc(time.ts)
            ),
            payload: json!({ "missing": names }),
        });
    }
    events.push(NewPaperEvent {
        kind: "tick",
        candle_ts: Some(time.ts),
        message: format!(
            "Candles of {} processed ({} of {} markets): equity {}{}.",
            bb_data::format_utc(time.ts),
            time.bars.len(),
            basket.members.len(),
            money(step.equity),
            if signals.is_empty() {
                String::new()
            } else {
                format!("; signals: {}", signals.join(", "))
            }
        ),
        payload: to_json(&BasketTickEntry {
            equity: step.equity,
            cash: step.cash,
            signals,
            candles: time.bars.clone(),
            processed_at: Some(now),
        }),
    });
    for s in &step.members {
        for t in &s.closed {
            events.push(trade_event(symbol(s.member), t));
        }
    }
    for (m, (p, before)) in cached
        .engine
        .positions()
        .iter()
        .zip(positions_before)
        .enumerate()
    {
        if let Some(p) = p
            && Some(p.entry_ts) != *before
        {
            events.push(NewPaperEvent {
                kind: "fill",
                candle_ts: Some(time.ts),
                message: format!(
                    "Entered {} {}: {} at {} (fees and slippage included).",
                    side_word(p.side),
                    symbol(m),
                    significant(p.quantity, 6),
                    money(p.entry_price)
                ),
                payload: to_json(&FillEntry::of(Some(symbol(m)), p)),
            });
        }
    }
    events
}

fn trade_event(symbol: &str, t: &Trade) -> NewPaperEvent {
    NewPaperEvent {
        kind: "trade",
        candle_ts: Some(t.exit_ts),
        message: format!("{symbol}: {}", trade_message(t)),
        payload: to_json(&TradeEntry {
            symbol: Some(symbol.to_owned()),
            ..TradeEntry::of(t)
        }),
    }
}

fn positions(cached: &Cached) -> Vec<PaperPosition> {
    cached
        .engine
        .positions()
        .iter()
        .enumerate()
        .filter_map(|(m, p)| {
            let p = (*p)?;
            Some(PaperPosition {
                symbol: Some(cached.engine.symbols()[m].clone()),
                side: side_word(p.side).to_owned(),
                entry_ts: p.entry_ts,
                entry_price: p.entry_price,
                quantity: p.quantity,
                stop: p.stop,
                take_profit: p.take_profit,
            })
        })
        .collect()
}

fn trades_closed(engine: &PaperBasket) -> u64 {
    (0..engine.symbols().len())
        .map(|m| engine.trades(m).len() as u64)
        .sum()
}

fn snapshot(run: &PaperRun, cached: &Cached, equity: f64) -> Value {
    let capital = settings_of(run).map_or(f64::NAN, |s| s.initial_capital);
    to_json(&PaperSnapshot {
        equity,
        total_return_pct: (equity / capital - 1.0) * 100.0,
        max_drawdown_pct: cached.max_drawdown_pct,
        trades: trades_closed(&cached.engine),
        position: None,
        positions: positions(cached),
        cash: Some(cached.engine.cash()),
    })
}

/// The basket's engine: the cached one when it has seen exactly the run's times, else one
/// rebuilt (each market warmed up on its stored candles before the run, then every time the
/// run processed, as its ledger recorded it).
async fn engine(
    db: &Db,
    run: &PaperRun,
    basket: &bb_store::PaperBasket,
    tf: Timeframe,
) -> Result<Cached, JobError> {
    if let Some(c) = BASKETS.take(&run.id, |c| c.last == run.last_candle_ts)? {
        return Ok(c);
    }
    let mut cached = fresh(db, run, basket, tf, run.start_ts).await?;
    each_tick(db, run, |ts, e| {
        let tick = BasketTickEntry::read(&e.payload).ok_or_else(|| {
            JobError::Permanent(format!("the ledger's entry {} cannot be read", e.seq))
        })?;
        cached.push(ts, &tick.candles).map(|_| ())
    })
    .await?;
    if cached.last != run.last_candle_ts {
        return Err(JobError::Transient(
            "the run's ledger and its last time disagree; it will be read again".into(),
        ));
    }
    Ok(cached)
}

/// A basket engine for the run's strategy and markets that trades from `start`, each market
/// warmed up on its stored candles before it.
async fn fresh(
    db: &Db,
    run: &PaperRun,
    basket: &bb_store::PaperBasket,
    tf: Timeframe,
    start: i64,
) -> Result<Cached, JobError> {
    let plan = compile_plan(db, run, tf).await?;
    let settings = settings_of(run)?;
    let members: Vec<(&str, &bb_strategy::Plan)> = basket
        .members
        .iter()
        .map(|m| (m.symbol.as_str(), &plan))
        .collect();
    let mut engine = PaperBasket::new(&members, tf, &settings.sim(), basket.max_allocation_pct)
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    for (i, m) in basket.members.iter().enumerate() {
        let warm = warm_candles(db, &m.dataset_id, tf, &plan, start).await?;
        engine
            .warm(i, &warm)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
    }
    Ok(Cached {
        last: None,
        engine,
        peak: settings.initial_capital,
        max_drawdown_pct: 0.0,
        streak: 0,
        last_activity: None,
    })
}

/// The basket backtest the drift report compares with: a fresh engine over each market's
/// stored candles of `[from, to)`, merged by time. Returns the engine and its trades with
/// their market.
pub(crate) async fn replay_stored(
    db: &Db,
    run: &PaperRun,
    basket: &bb_store::PaperBasket,
    tf: Timeframe,
    from: i64,
    to: i64,
) -> Result<(PaperBasket, Vec<Candles>), JobError> {
    let cached = fresh(db, run, basket, tf, from).await?;
    let mut engine = cached.engine;
    let mut stored = Vec::with_capacity(basket.members.len());
    for m in &basket.members {
        let d = db.candles().get_dataset(&m.dataset_id).await?;
        stored.push(db.candles().load_at(&d, tf, Some(from), Some(to)).await?);
    }
    engine
        .replay(&stored)
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    Ok((engine, stored))
}

/// Stops a basket: every open position is closed at its market's last processed close
/// (fees and slippage included), recorded in the ledger, and the run says so.
pub(crate) async fn stop(
    db: &Db,
    run: &PaperRun,
    basket: &bb_store::PaperBasket,
    why: &str,
) -> Result<Option<PaperRun>, JobError> {
    let tf = timeframe(run)?;
    let cached = engine(db, run, basket, tf).await?;
    forget(&run.id);
    let before: Vec<usize> = (0..basket.members.len())
        .map(|m| cached.engine.trades(m).len())
        .collect();
    let symbols = cached.engine.symbols().to_vec();
    let snapshot_before =
        PaperSnapshot::read(run.snapshot.as_ref(), settings_of(run)?.initial_capital);
    let result = cached.engine.stop();
    let mut closing: Vec<(String, Trade)> = Vec::new();
    for (m, member) in result.members.iter().enumerate() {
        for t in member.trades.iter().skip(before[m]) {
            closing.push((symbols[m].clone(), t.clone()));
        }
    }
    let note = if closing.is_empty() {
        format!("{why} No position was open.")
    } else {
        let list: Vec<String> = closing
            .iter()
            .map(|(s, t)| format!("{s} {} at {}", side_word(t.side), money(t.exit_price)))
            .collect();
        format!(
            "{why} The open positions were closed at the last prices ({}), fees and slippage \
             included.",
            list.join(", ")
        )
    };
    if let Some(&equity) = result.equity.last() {
        let capital = settings_of(run)?.initial_capital;
        let after = PaperSnapshot {
            equity,
            total_return_pct: (equity / capital - 1.0) * 100.0,
            trades: result.members.iter().map(|m| m.trades.len() as u64).sum(),
            position: None,
            positions: Vec::new(),
            cash: Some(equity),
            ..snapshot_before
        };
        db.paper_runs()
            .set_snapshot(&run.id, &to_json(&after))
            .await?;
    }
    let events: Vec<NewPaperEvent> = closing.iter().map(|(s, t)| trade_event(s, t)).collect();
    if !events.is_empty() {
        db.paper_runs().append(&run.id, &events).await?;
    }
    Ok(db
        .paper_runs()
        .set_status(
            &run.id,
            &["scheduled", "active", "paused"],
            "stopped",
            &note,
            Some(&note),
        )
        .await?)
}

fn keep(id: &str, cached: Cached) {
    BASKETS.keep(id, cached);
}

fn forget(id: &str) {
    BASKETS.forget(id);
}
