//! Paper runs ticking: the `paper_tick` job (enqueued by each run's schedule) processes the
//! candles that closed since the run's last one, in order, through the backtest's own engine
//! ([`bb_backtest::paper::PaperEngine`]), and records each with its fills and closed trades
//! in one transaction (`bb_store::PaperRuns::record_tick`: once per candle, however many
//! workers try).
//!
//! - **Live** runs trade candles as they close: the tick first brings the shared dataset up
//!   to now (one fetch per dataset at a time in a process), then processes every closed
//!   candle after the last one. Candles that closed while nothing ran are processed in order
//!   on the next tick, and the ledger says so.
//! - **Replay** runs trade stored candles from a past date, one candle a tick, so paper
//!   trading can be seen working without a network; at the end of the stored candles the
//!   run stops and closes what is open.
//!
//! The engine of a run is kept between ticks in the process (a tick costs one candle's
//! work); a worker without it rebuilds it from the stored candles.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use bb_backtest::Settings;
use bb_backtest::alerts::{self, Alert, AlertConfig};
use bb_backtest::paper::{PaperEngine, PaperStep};
use bb_domain::{Candles, Timeframe, Trade};
use bb_metrics::display::{money, signed_pct, significant};

use crate::paper_types::{
    FillEntry, PaperPosition, PaperSnapshot, TickEntry, TradeEntry, side_word,
};
use bb_store::{Db, NewPaperEvent, PaperRun, Tick};
use bb_strategy::{CompileOptions, Limits, StrategyDocument};
use serde_json::{Value, json};

use crate::engine_cache::{EngineCache, each_tick};
use crate::run::JobError;
use crate::worker::Ctx;

/// Engines kept between ticks, by run (each holds its run's last week of candles).
static ENGINES: EngineCache<Cached> = EngineCache::new(5_000);
/// Candles a live refresh reads again (of the run's timeframe, at most one page of the
/// dataset's): a source's corrections and late candles within them are stored.
const RECHECK_CANDLES: i64 = 24;
/// Candles one tick processes at most (a long outage is caught up over several ticks).
pub(crate) const MAX_PER_TICK: usize = 5_000;

#[derive(Clone)]
struct Cached {
    last: Option<i64>,
    engine: PaperEngine,
    peak: f64,
    max_drawdown_pct: f64,
}

/// Runs one tick of the run named in the job's payload.
/// One tick of a replay: the next stored candle (or the end of the replay).
pub(crate) async fn run(ctx: &Ctx, job: &bb_store::Job) -> Result<Value, JobError> {
    let id = job
        .payload
        .get("run_id")
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::Permanent("the tick does not name its paper run".into()))?
        .to_owned();
    let db = &ctx.db;
    let run = match db.paper_runs().get(&id).await {
        Ok(run) => run,
        Err(bb_store::StoreError::NotFound) => {
            return Ok(json!({ "run_id": id, "skipped": "gone" }));
        }
        Err(e) => return Err(e.into()),
    };
    if !matches!(run.status.as_str(), "scheduled" | "active") {
        return Ok(json!({ "run_id": id, "skipped": run.status }));
    }
    if let Some(basket) = run.basket.clone() {
        return crate::paper_basket::run(ctx, run, &basket).await;
    }
    let now = ctx.config.clock.now_ms();
    let tf = timeframe(&run)?;
    let dataset = db.candles().get_dataset(&run.dataset_id).await?;
    let from = run.last_candle_ts.map_or(run.start_ts, |t| t + 1);
    let mut due = due_candles(db, &dataset, tf, from, None).await?;
    if due.len() > 1 {
        due = due.slice(0, 1);
    }
    if due.is_empty() {
        if dataset.last_ts.is_some_and(|last| from > last) {
            let stopped = stop(
                db,
                &run,
                "The replay reached the end of the stored candles.",
            )
            .await?;
            return Ok(json!({ "run_id": id, "stopped": stopped.is_some() }));
        }
        return Ok(json!({ "run_id": id, "candles": 0 }));
    }
    let kept = run.clone();
    let planned = match plan(db, run, tf, &due, false, now).await {
        Ok(p) => p,
        Err(JobError::Permanent(why)) => {
            halt(db, &kept, &why).await?;
            return Ok(json!({ "run_id": id, "halted": why }));
        }
        Err(e) => return Err(e),
    };
    let done = commit(db, vec![planned]).await?;
    Ok(json!({ "run_id": id, "candles": done }))
}

/// One tick of a market: the dataset brought up to its newest closed candle once, then every
/// live run on it through the candles that closed since its last one, all recorded in one
/// transaction.
pub(crate) async fn run_market(ctx: &Ctx, job: &bb_store::Job) -> Result<Value, JobError> {
    let field = |k: &str| {
        job.payload
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| JobError::Permanent(format!("the market tick does not name its {k}")))
    };
    let (dataset_id, tf_text) = (field("dataset_id")?, field("timeframe")?);
    let tf: Timeframe = tf_text
        .parse()
        .map_err(|e: bb_domain::TimeframeError| JobError::Permanent(e.to_string()))?;
    let db = &ctx.db;
    let runs = db.paper_runs().live_on(&dataset_id, &tf_text).await?;
    if runs.is_empty() {
        return Ok(json!({ "dataset_id": dataset_id, "runs": 0 }));
    }
    let now = ctx.config.clock.now_ms();
    let mut dataset = db.candles().get_dataset(&dataset_id).await?;
    let mut changed = Vec::new();
    if bb_market::is_fetched(&dataset)
        && let Some(c) = refresh(ctx, &dataset, tf, now).await
    {
        changed = c;
        dataset = db.candles().get_dataset(&dataset_id).await?;
    }
    // A candle is due once it has closed.
    let to = now - tf.millis() + 1;
    let mut planned = Vec::with_capacity(runs.len());
    for run in runs {
        drift_check(db, &run, tf, &changed).await?;
        let from = run.last_candle_ts.map_or(run.start_ts, |t| t + 1);
        if from >= to {
            continue;
        }
        let mut due = due_candles(db, &dataset, tf, from, Some(to)).await?;
        if due.len() > MAX_PER_TICK {
            due = due.slice(0, MAX_PER_TICK);
        }
        if due.is_empty() {
            stale_check(db, &run, &alert_config(&run), tf, dataset.last_ts, now).await?;
            continue;
        }
        let kept = run.clone();
        match plan(db, run, tf, &due, true, now).await {
            Ok(p) => planned.push(p),
            // One run that cannot go on does not hold up the others: it stops, saying why.
            Err(JobError::Permanent(why)) => halt(db, &kept, &why).await?,
            Err(e) => {
                tracing::warn!(paper_run = %kept.id, error = %e, "a paper run's tick failed");
            }
        }
    }
    let runs = planned.len();
    let done = commit(db, planned).await?;
    Ok(json!({ "dataset_id": dataset_id, "runs": runs, "candles": done }))
}

pub(crate) fn timeframe(run: &PaperRun) -> Result<Timeframe, JobError> {
    run.timeframe
        .parse()
        .map_err(|e: bb_domain::TimeframeError| JobError::Permanent(e.to_string()))
}

/// A run's due candles through its engine, ready to record.
struct Planned {
    run: PaperRun,
    cached: Cached,
    ticks: Vec<Tick>,
    /// Alerts starting an episode, by the tick (index) that raised them.
    fired: Vec<(usize, Alert)>,
}

/// Pushes `due` through the run's engine (no writes): the ticks to record.
async fn plan(
    db: &Db,
    run: PaperRun,
    tf: Timeframe,
    due: &Candles,
    live: bool,
    now: i64,
) -> Result<Planned, JobError> {
    let mut cached = engine(db, &run, tf).await?;
    let config = alert_config(&run);
    let mut previous = run.last_candle_ts;
    let mut active = run.alerts_active.clone();
    let mut ticks = Vec::with_capacity(due.len());
    let mut fired_all = Vec::new();
    let mut late = 0;
    for (i, candles) in (0..due.len()).zip(run.candles + 1..) {
        let ts = due.ts[i];
        let position_before = cached.engine.position().map(|p| p.entry_ts);
        let step = cached
            .engine
            .push(
                ts,
                due.open[i],
                due.high[i],
                due.low[i],
                due.close[i],
                due.volume[i],
            )
            .map_err(|e| {
                forget(&run.id);
                JobError::Permanent(format!(
                    "the candle of {} cannot be processed: {e}",
                    bb_data::format_utc(ts)
                ))
            })?;
        let equity = step.equity;
        cached.peak = cached.peak.max(equity);
        if cached.peak > 0.0 {
            let dd = (equity / cached.peak - 1.0) * 100.0;
            cached.max_drawdown_pct = cached.max_drawdown_pct.min(dd);
        }
        let mut events = Vec::new();
        if let Some(gap) = missing_before(previous, ts, tf) {
            events.push(gap);
        }
        events.extend(tick_events(&run, &cached, ts, &step, position_before, now));
        let holding = alerts::check(&config, &cached.engine, tf, cached.peak);
        let (fired, now_active) = alerts::episodes(&active, holding);
        for a in &fired {
            events.push(alert_event(a, Some(ts)));
        }
        if live && TickEntry::late(ts, tf, now) {
            late += 1;
        }
        if late > 0 && i + 1 == due.len() {
            events.push(NewPaperEvent {
                kind: "note",
                candle_ts: Some(ts),
                message: format!(
                    "{late} candle(s) were processed late, in order: nothing was running when \
                     they closed, or the source published them late."
                ),
                payload: json!({ "late": late }),
            });
        }
        ticks.push(Tick {
            candle_ts: ts,
            previous,
            candles,
            snapshot: snapshot(&run, &cached, equity),
            alerts_active: now_active.clone(),
            events,
        });
        fired_all.extend(fired.into_iter().map(|a| (ticks.len() - 1, a)));
        active = now_active;
        previous = Some(ts);
    }
    cached.last = previous;
    Ok(Planned {
        run,
        cached,
        ticks,
        fired: fired_all,
    })
}

/// Records the planned ticks in one transaction; keeps the engines of runs recorded in full
/// (a run another worker moved on is dropped and rebuilt next time); sends the alerts of the
/// ticks recorded. Returns the candles recorded.
async fn commit(db: &Db, planned: Vec<Planned>) -> Result<usize, JobError> {
    if planned.is_empty() {
        return Ok(0);
    }
    let batch: Vec<(String, Vec<Tick>)> = planned
        .iter()
        .map(|p| (p.run.id.clone(), p.ticks.clone()))
        .collect();
    let recorded = db.paper_runs().record_ticks(&batch).await?;
    let mut total = 0;
    for (p, n) in planned.into_iter().zip(recorded) {
        total += n;
        for (_, a) in p.fired.iter().filter(|(i, _)| *i < n) {
            notify(db, &p.run, a).await;
        }
        if n == p.ticks.len() {
            keep(&p.run.id, p.cached);
        } else {
            forget(&p.run.id);
        }
    }
    Ok(total)
}

/// The alert thresholds of a run (the defaults when its stored ones cannot be read).
pub(crate) fn alert_config(run: &PaperRun) -> AlertConfig {
    serde_json::from_value(run.alert_config.clone()).unwrap_or_else(|_| AlertConfig::defaults())
}

pub(crate) fn alert_event(a: &Alert, candle_ts: Option<i64>) -> NewPaperEvent {
    NewPaperEvent {
        kind: "note",
        candle_ts,
        message: format!("Alert: {}", a.message),
        payload: json!({ "alert": a.kind }),
    }
}

/// Tells the run's owner through the notification center (and its push stream).
pub(crate) async fn notify(db: &Db, run: &PaperRun, a: &Alert) {
    let note = bb_store::NewNotification {
        user_id: run.user_id.clone(),
        kind: "paper_trade_alert".into(),
        title: format!("Paper run alert: {} {}", run.symbol, run.timeframe),
        body: a.message.clone(),
        link: Some(format!("/paper/{}", run.id)),
        payload: json!({ "paper_run_id": run.id, "alert": a.kind }),
    };
    if let Err(e) = db.notifications().create(note).await {
        tracing::warn!(paper_run = %run.id, error = %e, "an alert could not be sent");
    }
}

/// A live run with nothing to process: is its data late? An episode's first check fires the
/// alert; data arriving again ends the episode.
pub(crate) async fn stale_check(
    db: &Db,
    run: &PaperRun,
    config: &AlertConfig,
    tf: Timeframe,
    last_ts: Option<i64>,
    now: i64,
) -> Result<(), JobError> {
    let expected = tf.bucket_start(now) - tf.millis();
    let holding = alerts::stale(config, tf, last_ts, expected);
    let was = run.alerts_active.iter().any(|k| k == "stale_data");
    match holding {
        Some(a) if !was => {
            let mut active = run.alerts_active.clone();
            active.push(a.kind.to_owned());
            db.paper_runs()
                .set_alerts_active(&run.id, &active, &[alert_event(&a, None)])
                .await?;
            notify(db, run, &a).await;
        }
        None if was => {
            let active: Vec<String> = run
                .alerts_active
                .iter()
                .filter(|k| *k != "stale_data")
                .cloned()
                .collect();
            db.paper_runs()
                .set_alerts_active(&run.id, &active, &[])
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Stops a run that cannot go on (its strategy no longer compiles, a candle its plan cannot
/// process): what is open is closed at the last price when the engine can still do it, and
/// the run's stop note says why — never a run left active that silently stopped ticking.
pub(crate) async fn halt(db: &Db, run: &PaperRun, why: &str) -> Result<(), JobError> {
    tracing::warn!(paper_run = %run.id, reason = %why, "a paper run cannot go on; stopping it");
    let reason = format!("The run cannot go on: {why}.");
    if stop(db, run, &reason).await.is_ok() {
        return Ok(());
    }
    forget(&run.id);
    let note = format!("{reason} Its position, if any, stays as last recorded.");
    db.paper_runs()
        .set_status(
            &run.id,
            &["scheduled", "active", "paused"],
            "stopped",
            &note,
            Some(&note),
        )
        .await?;
    Ok(())
}

/// Stops a run: what is open is closed at the last processed candle's close (with fees and
/// slippage, as a backtest ends), recorded in the ledger, and the run says so. `None` when
/// it was stopped already.
pub async fn stop(db: &Db, run: &PaperRun, why: &str) -> Result<Option<PaperRun>, JobError> {
    if let Some(basket) = &run.basket {
        return crate::paper_basket::stop(db, run, basket, why).await;
    }
    let tf: Timeframe = run
        .timeframe
        .parse()
        .map_err(|e: bb_domain::TimeframeError| JobError::Permanent(e.to_string()))?;
    let cached = engine(db, run, tf).await?;
    forget(&run.id);
    let before = cached.engine.trades().len();
    let result = cached.engine.stop();
    let closing: Vec<&Trade> = result.trades[before..].iter().collect();
    let note = match closing.first() {
        Some(t) => format!(
            "{why} The open {} position was closed at the last price, {} (candle of {}), \
             fees and slippage included.",
            side_word(t.side),
            money(t.exit_price),
            bb_data::format_utc(t.exit_ts)
        ),
        None => format!("{why} No position was open."),
    };
    // The run's numbers after the close: equity, trades, no position.
    if let Some(&equity) = result.equity.last() {
        let capital = settings_of(run)?.initial_capital;
        let before = PaperSnapshot::read(run.snapshot.as_ref(), capital);
        let after = PaperSnapshot {
            equity,
            total_return_pct: (equity / capital - 1.0) * 100.0,
            trades: result.trades.len() as u64,
            position: None,
            ..before
        };
        db.paper_runs()
            .set_snapshot(&run.id, &to_json(&after))
            .await?;
    }
    if let Some(t) = closing.first() {
        db.paper_runs()
            .append(
                &run.id,
                &[NewPaperEvent {
                    kind: "trade",
                    candle_ts: Some(t.exit_ts),
                    message: trade_message(t),
                    payload: trade_payload(t),
                }],
            )
            .await?;
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

/// The run's engine: the cached one when it has seen exactly the run's candles, else one
/// rebuilt (warm-up on the stored candles before the run, then every candle the run
/// processed, as its ledger recorded it).
async fn engine(db: &Db, run: &PaperRun, tf: Timeframe) -> Result<Cached, JobError> {
    if let Some(c) = ENGINES.take(&run.id, |c| c.last == run.last_candle_ts)? {
        return Ok(c);
    }
    let engine = fresh_engine(db, run, tf).await?.keep_last(window(tf));
    let settings = settings_of(run)?;
    let mut cached = Cached {
        last: None,
        engine,
        peak: settings.initial_capital,
        max_drawdown_pct: 0.0,
    };
    // The candles the run processed, as it processed them (its ledger's ticks): a candle
    // revised, or a gap filled, since then does not change the run's path.
    each_tick(db, run, |ts, e| {
        let tick = TickEntry::read(&e.payload).ok_or_else(|| {
            JobError::Permanent(format!("the ledger's entry {} cannot be read", e.seq))
        })?;
        let [open, high, low, close, volume] = tick.candle;
        let step = cached
            .engine
            .push(ts, open, high, low, close, volume)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        cached.peak = cached.peak.max(step.equity);
        if cached.peak > 0.0 {
            cached.max_drawdown_pct = cached
                .max_drawdown_pct
                .min((step.equity / cached.peak - 1.0) * 100.0);
        }
        Ok(())
    })
    .await?;
    cached.last = cached.engine.candles().ts.last().copied();
    if cached.last != run.last_candle_ts {
        return Err(JobError::Transient(
            "the run's ledger and its last candle disagree; it will be read again".into(),
        ));
    }
    Ok(cached)
}

/// The run's engine before its first candle: the strategy version compiled for the run's
/// timeframe, warmed up on the stored candles before the run's start.
/// Candles a run's engine keeps in memory: a week's (what the weekly loss alert reads), at
/// least 1,000; older ones are forgotten.
fn window(tf: Timeframe) -> usize {
    let week = 7 * 86_400_000 / tf.millis().max(1);
    usize::try_from(week + 2).unwrap_or(usize::MAX).max(1_000)
}

pub(crate) async fn fresh_engine(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
) -> Result<PaperEngine, JobError> {
    engine_at(db, run, tf, run.start_ts).await
}

/// The run's strategy and settings in an engine that trades from `start` (warmed up on the
/// stored candles before it).
pub(crate) async fn engine_at(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
    start: i64,
) -> Result<PaperEngine, JobError> {
    let plan = compile_plan(db, run, tf).await?;
    let settings = settings_of(run)?;
    let mut engine = PaperEngine::new(&plan, tf, &settings.sim())
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    let warm = warm_candles(db, &run.dataset_id, tf, &plan, start).await?;
    engine
        .warm(&warm)
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    Ok(engine)
}

/// The run's strategy version compiled for its timeframe, with its owner's plan's limits.
pub(crate) async fn compile_plan(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
) -> Result<bb_strategy::Plan, JobError> {
    let version = db
        .strategies()
        .version(&run.strategy_id, run.version)
        .await?;
    let doc = StrategyDocument::from_json(&version.graph.to_string())
        .map_err(|e| JobError::Permanent(format!("version {} cannot be read: {e}", run.version)))?;
    let limits = match db.users().get(&run.user_id).await {
        Ok(user) => Limits::for_plan(user.plan.as_str()),
        Err(_) => Limits::FREE,
    };
    let options = CompileOptions {
        base_timeframe: Some(tf),
        bar_count: None,
    };
    bb_strategy::compile(&bb_strategy::validate_with(&doc, &limits), &options).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        JobError::Permanent(format!("the strategy cannot run: {}", list.join("; ")))
    })
}

/// The stored candles a plan warms up on before `start`.
pub(crate) async fn warm_candles(
    db: &Db,
    dataset_id: &str,
    tf: Timeframe,
    plan: &bb_strategy::Plan,
    start: i64,
) -> Result<Candles, JobError> {
    let dataset = db.candles().get_dataset(dataset_id).await?;
    let warm_from = start.saturating_sub(tf.millis().saturating_mul(plan.warmup_bars as i64 + 1));
    Ok(db
        .candles()
        .load_at(&dataset, tf, Some(warm_from), Some(start))
        .await?)
}

fn keep(id: &str, cached: Cached) {
    ENGINES.keep(id, cached);
}

fn forget(id: &str) {
    ENGINES.forget(id);
}

/// One fetch of a dataset's newest candles at a time in this process.
static REFRESHING: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The candles of `[from, to)` a tick processes. Many runs on one dataset ask for the same
/// candles in a round: the last answers are kept per dataset (keyed by the dataset's
/// `updated_at`, which every write changes), so the store is read once a round.
async fn due_candles(
    db: &Db,
    dataset: &bb_store::Dataset,
    tf: Timeframe,
    from: i64,
    to: Option<i64>,
) -> Result<Candles, JobError> {
    type Key = (String, i64, String, i64, Option<i64>);
    static RECENT: LazyLock<Mutex<HashMap<Key, Candles>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key: Key = (
        dataset.id.clone(),
        dataset.updated_at,
        tf.to_string(),
        from,
        to,
    );
    if let Some(c) = RECENT.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let candles = db.candles().load_at(dataset, tf, Some(from), to).await?;
    if candles.len() <= 16
        && let Ok(mut m) = RECENT.lock()
    {
        if m.len() >= 256 {
            m.clear();
        }
        m.insert(key, candles.clone());
    }
    Ok(candles)
}

/// Tells a live run's owner when candles it already processed changed at the source
/// (`changed`: open times of the dataset's candles revised or stored into a gap).
pub(crate) async fn drift_check(
    db: &Db,
    run: &PaperRun,
    tf: Timeframe,
    changed: &[i64],
) -> Result<(), JobError> {
    let Some(last) = run.last_candle_ts else {
        return Ok(());
    };
    let mut mine: Vec<i64> = changed
        .iter()
        .map(|&t| tf.bucket_start(t))
        .filter(|t| (run.start_ts..=last).contains(t))
        .collect();
    mine.dedup();
    if let Some(a) = alerts::drift(&alert_config(run), &mine) {
        db.paper_runs()
            .append(&run.id, &[alert_event(&a, mine.first().copied())])
            .await?;
        notify(db, run, &a).await;
    }
    Ok(())
}

/// Brings a fetched dataset up to the candle that closed last; a failure is logged and the
/// tick goes on with what is stored (the next tick tries again). `Some` when it may have
/// changed the dataset, with the open times of the candles before its last one that changed
/// (revised, or stored into a gap).
pub(crate) async fn refresh(
    ctx: &Ctx,
    dataset: &bb_store::Dataset,
    tf: Timeframe,
    now: i64,
) -> Option<Vec<i64>> {
    let newest_closed = tf.bucket_start(now) - tf.millis();
    if dataset.last_ts.is_some_and(|last| last >= newest_closed) {
        return None;
    }
    let lock = match REFRESHING.lock() {
        Ok(mut all) => all.entry(dataset.id.clone()).or_default().clone(),
        Err(_) => return None,
    };
    let _one = lock.lock().await;
    // Someone else may have fetched it while this waited.
    let Ok(current) = ctx.db.candles().get_dataset(&dataset.id).await else {
        return None;
    };
    if current.last_ts.is_some_and(|last| last >= newest_closed) {
        return Some(Vec::new());
    }
    let (failover, clock) = match crate::fetch::failover(ctx, &current) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(dataset = %current.spec(), error = %e, "no source to refresh from");
            return None;
        }
    };
    // The last candles are read again: a correction of one is stored (and kept), a candle
    // the source published late fills its gap.
    let recheck = (tf.millis() * RECHECK_CANDLES).min(current.timeframe.millis() * 1000);
    let range = bb_market::FetchRange {
        from_ms: current
            .last_ts
            .map(|last| last + current.timeframe.millis() - recheck),
        revise: true,
        ..bb_market::FetchRange::default()
    };
    match bb_market::fetch_into(
        &ctx.db,
        &current,
        &failover,
        None,
        range,
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    {
        Ok(report) => Some(report.changed_ts),
        Err(e) => {
            tracing::warn!(dataset = %current.spec(), error = %e, "the newest candles could not be fetched");
            Some(Vec::new())
        }
    }
}

/// A note when candles are missing between the previous processed candle and `ts`: the run
/// goes on without them, and says so (the drift report names them if they arrive later).
pub(crate) fn missing_before(
    previous: Option<i64>,
    ts: i64,
    tf: Timeframe,
) -> Option<NewPaperEvent> {
    let previous = previous?;
    let missing = (ts - previous) / tf.millis() - 1;
    if missing <= 0 {
        return None;
    }
    let first = previous + tf.millis();
    let last = ts - tf.millis();
    let which = if missing == 1 {
        format!("The candle of {} was", bb_data::format_utc(first))
    } else {
        format!(
            "{missing} candles, {} to {}, were",
            bb_data::format_utc(first),
            bb_data::format_utc(last)
        )
    };
    Some(NewPaperEvent {
        kind: "note",
        candle_ts: Some(ts),
        message: format!(
            "{which} missing from the source when this candle was processed; the run went on              without {}.",
            if missing == 1 { "it" } else { "them" }
        ),
        payload: json!({ "missing": missing, "from_ts": first, "to_ts": last }),
    })
}

fn tick_events(
    run: &PaperRun,
    cached: &Cached,
    ts: i64,
    step: &PaperStep,
    position_before: Option<i64>,
    now: i64,
) -> Vec<NewPaperEvent> {
    let c = cached.engine.candles();
    let i = c.len() - 1;
    let candle = [c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]];
    let signals: Vec<&str> = [
        (step.enter_long, "enter long"),
        (step.exit_long, "exit long"),
        (step.enter_short, "enter short"),
        (step.exit_short, "exit short"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect();
    let mut events = vec![NewPaperEvent {
        kind: "tick",
        candle_ts: Some(ts),
        message: format!(
            "Candle of {} processed: equity {}{}.",
            bb_data::format_utc(ts),
            money(step.equity),
            if signals.is_empty() {
                String::new()
            } else {
                format!("; signals: {}", signals.join(", "))
            }
        ),
        payload: to_json(&TickEntry {
            equity: step.equity,
            signals: signals.iter().map(|s| (*s).to_owned()).collect(),
            candle,
            processed_at: Some(now),
        }),
    }];
    for t in &step.closed {
        events.push(NewPaperEvent {
            kind: "trade",
            candle_ts: Some(ts),
            message: trade_message(t),
            payload: trade_payload(t),
        });
    }
    if let Some(p) = cached.engine.position()
        && position_before != Some(p.entry_ts)
    {
        let side = side_word(p.side);
        events.push(NewPaperEvent {
            kind: "fill",
            candle_ts: Some(ts),
            message: format!(
                "Entered {side}: {} {} at {} (fees and slippage included).",
                significant(p.quantity, 6),
                run.symbol,
                money(p.entry_price)
            ),
            payload: to_json(&FillEntry::of(None, &p)),
        });
    }
    events
}

pub(crate) fn trade_message(t: &Trade) -> String {
    let why = match t.exit_reason {
        bb_domain::ExitReason::Signal => "exit signal",
        bb_domain::ExitReason::StopLoss => "stop loss",
        bb_domain::ExitReason::BreakEven => "break-even stop",
        bb_domain::ExitReason::TakeProfit => "take profit",
        bb_domain::ExitReason::TrailingStop => "trailing stop",
        bb_domain::ExitReason::TimeStop => "time stop",
        bb_domain::ExitReason::EndOfData => "run stopped",
    };
    format!(
        "Closed {} ({why}): {} from {} to {}, profit {} ({}).",
        side_word(t.side),
        significant(t.quantity, 6),
        money(t.entry_price),
        money(t.exit_price),
        money(t.pnl),
        signed_pct(t.pnl_pct)
    )
}

fn trade_payload(t: &Trade) -> Value {
    to_json(&TradeEntry::of(t))
}

fn snapshot(run: &PaperRun, cached: &Cached, equity: f64) -> Value {
    let capital = settings_of(run).map_or(f64::NAN, |s| s.initial_capital);
    let position = cached.engine.position().map(|p| PaperPosition {
        symbol: None,
        side: side_word(p.side).to_owned(),
        entry_ts: p.entry_ts,
        entry_price: p.entry_price,
        quantity: p.quantity,
        stop: p.stop,
        take_profit: p.take_profit,
    });
    to_json(&PaperSnapshot {
        equity,
        total_return_pct: (equity / capital - 1.0) * 100.0,
        max_drawdown_pct: cached.max_drawdown_pct,
        trades: cached.engine.trades().len() as u64,
        position,
        positions: Vec::new(),
        cash: None,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The run's settings, as stored.
pub(crate) fn settings_of(run: &PaperRun) -> Result<Settings, JobError> {
    serde_json::from_value(run.settings.clone())
        .map_err(|e| JobError::Permanent(format!("the run's settings cannot be read: {e}")))
}
