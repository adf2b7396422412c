//! Holdout looks (migration 0015): a robustness run keeps the last part of its data aside
//! and shows it only when its owner asks; each run's first look is recorded, so how often
//! the same stretch of data has been looked at is visible to whoever judges the result.

use crate::clock::{new_id, now_ms};
use crate::sql::col;
use crate::{Db, StoreError};

/// The holdout of one robustness run, as it is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldoutLook {
    pub run_id: String,
    pub user_id: String,
    pub strategy_id: String,
    pub dataset_id: String,
    /// Open times of the holdout's first and last candle.
    pub from_ts: i64,
    pub to_ts: i64,
}

/// The holdout-looks repository (from [`Db::holdouts`]).
#[derive(Debug, Clone, Copy)]
pub struct Holdouts<'a> {
    pub(crate) db: &'a Db,
}

impl Holdouts<'_> {
    /// Records that a run's holdout was opened; `false` when it already was (a run's
    /// holdout is counted once however often its owner reads it again).
    pub async fn record(&self, look: &HoldoutLook) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO holdout_looks (id, run_id, user_id, strategy_id, dataset_id, from_ts, \
             to_ts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (run_id) DO NOTHING",
        )
        .bind(new_id())
        .bind(&look.run_id)
        .bind(&look.user_id)
        .bind(&look.strategy_id)
        .bind(&look.dataset_id)
        .bind(look.from_ts)
        .bind(look.to_ts)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a run's holdout has been opened.
    pub async fn opened(&self, run_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM holdout_looks WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(col::<i64>(&row, "n")? > 0)
    }

    /// Looks at holdouts of this strategy (any version, any run) on this dataset that share
    /// candles with `from_ts..=to_ts`.
    pub async fn count(
        &self,
        strategy_id: &str,
        dataset_id: &str,
        from_ts: i64,
        to_ts: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM holdout_looks WHERE strategy_id = $1 AND dataset_id = $2 \
             AND from_ts <= $3 AND to_ts >= $4",
        )
        .bind(strategy_id)
        .bind(dataset_id)
        .bind(to_ts)
        .bind(from_ts)
        .fetch_one(&self.db.pool)
        .await?;
        col::<i64>(&row, "n")
    }
}
