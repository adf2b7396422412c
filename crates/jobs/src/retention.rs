//! The daily `retention` job: [`Db::prune`](bb_store::Db::prune) with the configured
//! [`RetentionPolicy`], at the workers' clock. Run by the system schedule
//! `system:retention` (once a day, exactly once across workers); the result is the rows
//! deleted per category.

use bb_market::BoxFuture;
use bb_store::{Job, RetentionPolicy};
use serde_json::Value;

use crate::run::{Handler, JobContext, JobError};

/// The job kind (and its system schedule's).
pub const RETENTION: &str = "retention";

/// Prunes by one policy.
#[derive(Clone, Debug, Default)]
pub struct Prune(pub RetentionPolicy);

impl Handler for Prune {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        _job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let now = cx.clock().now_ms();
            let report = cx.db().prune(&self.0, now).await?;
            tracing::info!(
                deleted = report.total(),
                categories = ?report.categories(),
                "retention: pruned"
            );
            serde_json::to_value(&report).map_err(|e| JobError::Permanent(e.to_string()))
        })
    }
}
