//! Backtest and sweep runs: load the strategy version and the candles, compute on an
//! engine thread (never on the async runtime's threads), store the report, notify the user.
//! Progress is recorded as run events: data loaded, computing (a sweep reports every 5% of
//! its combinations), saving.

use std::time::{Duration, Instant};

use bb_backtest::{BacktestReport, SweepReport};
use bb_market::loading::{LoadedCandles, load_for_backtest};
use bb_metrics::display::signed_pct;
use bb_store::{Job, NewNotification, Run, RunKind};
use bb_strategy::{CompileOptions, Limits, StrategyDocument};
use serde_json::{Value, json};

use crate::report::{
    BacktestSummary, RobustnessReport, RobustnessSummary, RunSummary, Stored, SweepSummary,
};
use crate::request::{BacktestRequest, RobustnessRequest, SweepRequest};
use crate::run::{JobError, run_id};
use crate::worker::Ctx;

pub(crate) async fn run(
    ctx: &Ctx,
    job: &Job,
    worker: &str,
    kind: RunKind,
) -> Result<Value, JobError> {
    let id = run_id(job)
        .ok_or_else(|| JobError::Permanent("the job does not name its run".into()))?
        .to_owned();
    let runs = ctx.db.runs();
    let run = runs.get(&id).await?;
    if run.status.is_final() {
        // cancelled while queued, or finished by an earlier attempt
        return Ok(json!({ "run_id": id, "skipped": run.status }));
    }
    runs.start(&id, job.attempts).await?;
    let started = Instant::now();
    let version = ctx
        .db
        .strategies()
        .version(&run.strategy_id, run.version)
        .await?;
    let doc = StrategyDocument::from_json(&version.graph.to_string()).map_err(|e| {
        JobError::Permanent(format!(
            "version {} of the strategy cannot be read: {e}",
            run.version
        ))
    })?;
    // The graph limits of the owner's plan, checked again here: the version may have been
    // saved before they existed or under a bigger plan.
    let limits = match ctx.db.users().get(&run.user_id).await {
        Ok(user) => bb_strategy::Limits::for_plan(user.plan.as_str()),
        Err(bb_store::StoreError::NotFound) => bb_strategy::Limits::FREE,
        Err(e) => return Err(e.into()),
    };
    let (backtest, work) = match kind {
        RunKind::Backtest => (parse::<BacktestRequest>(&run.config)?, Work::Backtest),
        RunKind::Sweep => {
            let s = parse::<SweepRequest>(&run.config)?;
            (s.backtest.clone(), Work::Sweep(s))
        }
        RunKind::Robustness => {
            let r = parse::<RobustnessRequest>(&run.config)?;
            (r.backtest.clone(), Work::Robustness(r))
        }
    };
    let dataset = ctx.db.candles().get_dataset(&backtest.dataset_id).await?;
    let loaded = load_for_backtest(
        &ctx.db,
        &dataset,
        backtest.timeframe,
        backtest.from_ms,
        backtest.to_ms,
        backtest.settings.gap_policy,
    )
    .await?;
    runs.progress(
        &id,
        20,
        &format!(
            "Loaded {} candles from {}",
            loaded.candles.len(),
            loaded.label
        ),
    )
    .await?;
    let (report, summary) = match work {
        Work::Backtest => {
            let doc = doc.clone();
            let config = backtest.clone();
            let (report, summary) =
                blocking(move || compute_backtest(&doc, &loaded, &config, &limits)).await?;
            (
                to_value(&Stored::new(report))?,
                RunSummary::Backtest(summary),
            )
        }
        Work::Sweep(request) => {
            let checked = doc.clone();
            blocking(move || check_limits(&checked, &limits)).await?;
            let (report, summary) = compute_sweep(ctx, &id, &doc, loaded, request).await?;
            (to_value(&Stored::new(report))?, RunSummary::Sweep(summary))
        }
        Work::Robustness(request) => {
            let checked = doc.clone();
            blocking(move || check_limits(&checked, &limits)).await?;
            let (report, summary) = compute_robustness(ctx, &id, &doc, loaded, request).await?;
            (
                to_value(&Stored::new(report))?,
                RunSummary::Robustness(summary),
            )
        }
    };
    let note = success_notification(&run, &doc.name, &summary);
    let summary = to_value(&summary)?;
    let recorded = runs
        .succeed(&id, &summary, &report, note, Some((&job.id, worker)))
        .await?
        .is_some();
    tracing::info!(run = %id, recorded, elapsed_ms = started.elapsed().as_millis() as u64, "run finished");
    Ok(json!({ "run_id": id, "recorded": recorded }))
}

/// What a run computes, with its request.
enum Work {
    Backtest,
    Sweep(SweepRequest),
    Robustness(RobustnessRequest),
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, JobError> {
    serde_json::to_value(value)
        .map_err(|e| JobError::Permanent(format!("the report cannot be written: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(config: &Value) -> Result<T, JobError> {
    serde_json::from_value(config.clone())
        .map_err(|e| JobError::Permanent(format!("the run's settings cannot be read: {e}")))
}

/// Runs CPU-heavy work on an engine thread (a large stack; a panic is a failed run).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<T, JobError> {
    crate::engine::on_engine_thread(f).await
}

/// Refuses a graph over the plan's size or depth limits, naming the limit.
fn check_limits(doc: &StrategyDocument, limits: &Limits) -> Result<(), JobError> {
    let problems: Vec<String> = bb_strategy::validate_with(doc, limits)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(JobError::Permanent(format!(
            "the strategy cannot run: {}",
            problems.join("; ")
        )))
    }
}

pub(crate) fn compile(
    doc: &StrategyDocument,
    loaded: &LoadedCandles,
    limits: &Limits,
) -> Result<bb_strategy::Plan, JobError> {
    let options = CompileOptions {
        base_timeframe: Some(loaded.timeframe),
        bar_count: Some(loaded.candles.len()),
    };
    bb_strategy::compile(&bb_strategy::validate_with(doc, limits), &options).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        JobError::Permanent(format!(
            "the strategy cannot run on {}: {}",
            loaded.label,
            list.join("; ")
        ))
    })
}

/// One backtest within the graph `limits` of the owner's plan: the whole report (with its
/// data's provenance), and its headline numbers.
pub fn compute_backtest(
    doc: &StrategyDocument,
    loaded: &LoadedCandles,
    request: &BacktestRequest,
    limits: &Limits,
) -> Result<(BacktestReport, BacktestSummary), JobError> {
    let plan = compile(doc, loaded, limits)?;
    let mut report = bb_backtest::backtest(&doc.name, &plan, &loaded.candles, &request.config())
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    report.assumptions.data.provenance = crate::provenance(loaded);
    let summary = BacktestSummary {
        strategy: doc.name.clone(),
        dataset: loaded.label.clone(),
        timeframe: loaded.timeframe,
        from_ts: report.assumptions.data.from_ts,
        to_ts: report.assumptions.data.to_ts,
        initial_capital: report.assumptions.initial_capital,
        final_equity: report.equity.last().map(|p| p.equity),
        metrics: report.metrics.clone(),
        warnings: report.warnings.iter().map(|w| w.code).collect(),
    };
    Ok((report, summary))
}

/// A sweep on the blocking pool, reporting progress every 5% of its combinations.
async fn compute_sweep(
    ctx: &Ctx,
    id: &str,
    doc: &StrategyDocument,
    loaded: LoadedCandles,
    request: SweepRequest,
) -> Result<(SweepReport, SweepSummary), JobError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, usize)>();
    let doc = doc.clone();
    let work = blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let last = std::sync::atomic::AtomicUsize::new(0);
        let mut result = bb_backtest::sweep::sweep(
            &doc,
            &loaded.candles,
            &request.spec(),
            &request.backtest.config(),
            threads,
            &|done, total| {
                // one message per 5% step
                let step = (done * 20) / total.max(1);
                if last.fetch_max(step, std::sync::atomic::Ordering::Relaxed) < step {
                    let _ = tx.send((done, total));
                }
            },
        )
        .map_err(|e| JobError::Permanent(e.to_string()))?;
        result.sort_by(&request.sort, false);
        Ok((result, request, loaded))
    });
    tokio::pin!(work);
    let mut last_write = Instant::now() - Duration::from_secs(1);
    let (result, request, loaded) = loop {
        tokio::select! {
            done = &mut work => break done?,
            Some((done, total)) = rx.recv() => {
                // at most a few writes a second, whatever the sweep's speed
                if last_write.elapsed() >= Duration::from_millis(200) || done == total {
                    last_write = Instant::now();
                    let percent = 20 + i64::try_from(done * 70 / total.max(1)).unwrap_or(70);
                    ctx.db
                        .runs()
                        .progress(id, percent, &format!("{done} of {total} combinations"))
                        .await?;
                }
            }
        }
    };
    let report = SweepReport::new(
        result,
        &request.sort,
        &request.backtest.settings,
        crate::provenance(&loaded),
    );
    let summary = SweepSummary::of(&report, &loaded.label);
    Ok((report, summary))
}

/// The robustness lab on an engine thread, its progress written at most five times a second.
async fn compute_robustness(
    ctx: &Ctx,
    id: &str,
    doc: &StrategyDocument,
    loaded: LoadedCandles,
    request: RobustnessRequest,
) -> Result<(RobustnessReport, RobustnessSummary), JobError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, String)>();
    let doc = doc.clone();
    let work = blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let last = std::sync::atomic::AtomicUsize::new(0);
        let lab = bb_robustness::lab::run_lab(
            &doc,
            &loaded.candles,
            &request.spec(),
            &request.lab,
            &request.backtest.config(),
            threads,
            &|percent, stage| {
                if last.fetch_max(percent, std::sync::atomic::Ordering::Relaxed) < percent {
                    let _ = tx.send((percent, stage.to_owned()));
                }
            },
        )
        .map_err(|e| JobError::Permanent(e.to_string()))?;
        Ok((lab, request, loaded))
    });
    tokio::pin!(work);
    let mut last_write = Instant::now() - Duration::from_secs(1);
    let (lab, request, loaded) = loop {
        tokio::select! {
            done = &mut work => break done?,
            Some((percent, stage)) = rx.recv() => {
                if last_write.elapsed() >= Duration::from_millis(200) {
                    last_write = Instant::now();
                    let percent = 20 + i64::try_from(percent * 70 / 100).unwrap_or(70);
                    ctx.db.runs().progress(id, percent, &stage).await?;
                }
            }
        }
    };
    let summary = RobustnessSummary::of(&lab, &loaded.label);
    let assumptions =
        bb_backtest::SweepAssumptions::new(&request.backtest.settings, crate::provenance(&loaded));
    Ok((RobustnessReport { lab, assumptions }, summary))
}

fn success_notification(run: &Run, strategy: &str, summary: &RunSummary) -> NewNotification {
    let (kind, title, body) = match summary {
        RunSummary::Backtest(s) => {
            let m = &s.metrics;
            (
                "backtest.succeeded",
                format!("Backtest finished: {strategy}"),
                format!(
                    "{} over {} trades; worst drawdown {}.",
                    signed_pct(m.total_return_pct),
                    m.trades,
                    signed_pct(m.max_drawdown_pct)
                ),
            )
        }
        RunSummary::Robustness(s) => (
            "robustness.succeeded",
            format!("Robustness check finished: {strategy}"),
            s.headline.clone(),
        ),
        RunSummary::Sweep(s) => {
            let best = s
                .best
                .as_ref()
                .and_then(|b| b.metrics.as_ref())
                .map_or_else(String::new, |m| {
                    format!(" Best return {}.", signed_pct(m.total_return_pct))
                });
            (
                "sweep.succeeded",
                format!("Sweep finished: {strategy}"),
                format!("{} combinations tested.{best}", s.combinations),
            )
        }
    };
    NewNotification {
        user_id: run.user_id.clone(),
        kind: kind.to_owned(),
        title,
        body,
        link: Some(crate::run_link(run)),
        payload: json!({
            "run_id": run.id,
            "kind": run.kind,
            "status": "succeeded",
            "summary": summary,
        }),
    }
}
