//! Market-data fetch jobs: a backfill or an incremental update of a stored dataset from its
//! sources (in failover order), then a fresh quality report.

use std::sync::Arc;

use bb_market::{Clock, Failover, FetchRange, datasets};
use bb_store::Job;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
}

pub(crate) async fn run(ctx: &Ctx, job: &Job) -> Result<Value, JobError> {
    let request: FetchRequest = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("the fetch's settings cannot be read: {e}")))?;
    let dataset = ctx.db.candles().get_dataset(&request.dataset_id).await?;
    // The connectors read and wait on the workers' clock.
    let clock: Arc<dyn Clock> = Arc::new(ctx.config.clock.clone());
    let sources = dataset
        .fetch_sources
        .iter()
        .map(|n| ctx.config.market.source(n, clock.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    let failover = Failover::new(sources, clock.clone());
    let range = FetchRange {
        from_ms: request.from_ms,
        to_ms: request.to_ms,
        ..FetchRange::default()
    };
    let result = bb_market::fetch_into(
        &ctx.db,
        &dataset,
        &failover,
        range,
        clock.as_ref(),
        &mut |_| {},
    )
    .await;
    // What was stored before a failure stays stored: check it either way.
    let quality = datasets::refresh_quality(&ctx.db, &dataset.id, None).await;
    let report = result?;
    let quality = quality?;
    Ok(json!({
        "dataset_id": dataset.id,
        "fetch": report,
        "skipped": report.skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "quality_summary": quality.summary(),
    }))
}
