//! Market-data fetch jobs: a backfill or an incremental update of a stored dataset from its
//! sources (Binance's dump files first when Binance is the first source, then the failover
//! list), then a fresh quality report. While it runs, the job's progress (percent, candles,
//! where it is) is written to the job for whoever follows it.

use std::sync::Arc;

use bb_market::{BinanceDumps, Clock, Failover, FetchRange, FetchReport, Progress, datasets};
use bb_store::{Db, Job};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::run::JobError;
use crate::worker::Ctx;

/// What a fetch job was asked to do (its payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRequest {
    pub dataset_id: String,
    /// Default: after the last stored candle.
    pub from_ms: Option<i64>,
    /// Default: the candle now forming.
    pub to_ms: Option<i64>,
    /// The ranges `[from, to)` to fetch instead of `from_ms..to_ms`: only what a dataset
    /// misses (its head and its tail), so what is stored is not fetched again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<[i64; 2]>,
}

/// How far a fetch has come, as written to its job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FetchProgress {
    /// 0 to 100, by time covered.
    pub percent: f64,
    /// Candles received so far.
    pub candles: usize,
    /// Where it is, in words.
    pub message: String,
}

/// A dataset's sources in failover order, on the workers' clock (the connectors read and
/// wait on it), and that clock.
pub(crate) fn failover(
    ctx: &Ctx,
    dataset: &bb_store::Dataset,
) -> Result<(Failover, Arc<dyn Clock>), JobError> {
    let clock: Arc<dyn Clock> = Arc::new(ctx.config.clock.clone());
    let sources = dataset
        .fetch_sources
        .iter()
        .map(|n| ctx.config.market.source(n, clock.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    Ok((Failover::new(sources, clock.clone()), clock))
}

pub(crate) async fn run(ctx: &Ctx, job: &Job) -> Result<Value, JobError> {
    let request: FetchRequest = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("the fetch's settings cannot be read: {e}")))?;
    let dataset = ctx.db.candles().get_dataset(&request.dataset_id).await?;
    let (failover, clock) = failover(ctx, &dataset)?;
    let dumps =
        BinanceDumps::for_sources(&ctx.config.market, &dataset.fetch_sources, clock.clone());
    let ranges: Vec<(Option<i64>, Option<i64>)> = if request.ranges.is_empty() {
        vec![(request.from_ms, request.to_ms)]
    } else {
        request
            .ranges
            .iter()
            .map(|[from, to]| (Some(*from), Some(*to)))
            .collect()
    };
    // Progress goes through a channel to a writer task, so the fetch never waits on it.
    let (tx, rx) = watch::channel(None::<FetchProgress>);
    let writer = tokio::spawn(write_progress(ctx.db.clone(), job.id.clone(), rx));
    let now = clock.now_ms();
    let tf = dataset.timeframe;
    let spans: Vec<i64> = ranges
        .iter()
        .map(|(f, t)| {
            let to = t.unwrap_or_else(|| tf.bucket_start(now));
            let from = f.or(dataset.last_ts.map(|l| l + tf.millis())).unwrap_or(to);
            (to - from).max(0)
        })
        .collect();
    let total: i64 = spans.iter().sum::<i64>().max(1);
    let mut done_before = 0_i64;
    let mut received_before = 0_usize;
    let mut reports: Vec<FetchReport> = Vec::new();
    let mut failure = None;
    for ((from_ms, to_ms), span) in ranges.into_iter().zip(&spans) {
        // A later range sees what the earlier ones stored.
        let current = ctx.db.candles().get_dataset(&dataset.id).await?;
        let range = FetchRange {
            from_ms,
            to_ms,
            ..FetchRange::default()
        };
        let (done, received) = (done_before, received_before);
        let mut on_progress = |p: Progress| {
            let covered = (p.at_ms - p.from_ms).clamp(0, (p.to_ms - p.from_ms).max(0));
            let percent = ((done + covered) as f64 * 100.0 / total as f64).clamp(0.0, 100.0);
            let _ = tx.send(Some(FetchProgress {
                percent: (percent * 10.0).round() / 10.0,
                candles: received + p.candles,
                message: format!(
                    "{} candles, up to {}",
                    received + p.candles,
                    bb_data::format_utc(p.at_ms)
                ),
            }));
        };
        let result = bb_market::fetch_into(
            &ctx.db,
            &current,
            &failover,
            dumps.as_ref(),
            range,
            clock.as_ref(),
            &mut on_progress,
        )
        .await;
        match result {
            Ok(report) => {
                received_before += report.received;
                done_before += span;
                reports.push(report);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let _ = writer.await;
    // What was stored before a failure stays stored: check it either way.
    let quality = datasets::refresh_quality(&ctx.db, &dataset.id, None).await;
    if let Some(e) = failure {
        return Err(e.into());
    }
    let quality = quality?;
    let sum = |f: fn(&FetchReport) -> usize| reports.iter().map(f).sum::<usize>();
    let mut by_source = std::collections::BTreeMap::<String, usize>::new();
    for r in &reports {
        for (source, n) in &r.by_source {
            *by_source.entry(source.clone()).or_default() += n;
        }
    }
    Ok(json!({
        "dataset_id": dataset.id,
        "fetch": {
            "ranges": reports.iter().map(|r| [r.from_ms, r.to_ms]).collect::<Vec<_>>(),
            "received": sum(|r| r.received),
            "inserted": sum(|r| r.inserted),
            "unchanged": sum(|r| r.unchanged),
            "dump_files": sum(|r| r.dump_files),
            "windows": sum(|r| r.windows),
            "by_source": by_source,
        },
        "skipped": reports
            .iter()
            .flat_map(|r| r.skipped.iter().map(ToString::to_string))
            .collect::<Vec<_>>(),
        "quality_summary": quality.summary(),
    }))
}

/// Writes each new progress to the job until the fetch drops its sender.
async fn write_progress(db: Db, job_id: String, mut rx: watch::Receiver<Option<FetchProgress>>) {
    while rx.changed().await.is_ok() {
        let Some(progress) = rx.borrow_and_update().clone() else {
            continue;
        };
        if let Ok(value) = serde_json::to_value(&progress)
            && db.jobs().set_progress(&job_id, &value).await.is_err()
        {
            tracing::warn!(job = %job_id, "could not record the fetch's progress");
        }
    }
}
