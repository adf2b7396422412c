//! Subscription plans (their limits) and usage counters.

use serde::Serialize;

use crate::error::map_err;
use crate::model::parse_col;
use crate::sql::col;
use crate::{Db, PlanTier, StoreError};

/// The limits of one plan (a row of `subscription_plans`, seeded by migration 0001).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct PlanLimits {
    pub code: PlanTier,
    pub name: String,
    pub max_strategies: i64,
    pub max_backtests_per_day: i64,
    pub max_sweep_combinations: i64,
    pub max_paper_runs: i64,
}

/// The plans repository (from [`Db::plans`]).
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub(crate) db: &'a Db,
}

impl Plans<'_> {
    /// The limits of a plan.
    pub async fn get(&self, tier: PlanTier) -> Result<PlanLimits, StoreError> {
        let row = sqlx::query(
            "SELECT code, name, max_strategies, max_backtests_per_day, \
             max_sweep_combinations, max_paper_runs FROM subscription_plans WHERE code = $1",
        )
        .bind(tier.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(PlanLimits {
            code: parse_col("plan", &col::<String>(&row, "code")?)?,
            name: col(&row, "name")?,
            max_strategies: col(&row, "max_strategies")?,
            max_backtests_per_day: col(&row, "max_backtests_per_day")?,
            max_sweep_combinations: col(&row, "max_sweep_combinations")?,
            max_paper_runs: col(&row, "max_paper_runs")?,
        })
    }

    /// The counter `metric` of a user in `period` (e.g. `"2026-11-22"`); 0 when never
    /// incremented.
    pub async fn usage(
        &self,
        user_id: &str,
        period: &str,
        metric: &str,
    ) -> Result<i64, StoreError> {
        let count: Option<i64> = sqlx::query_scalar(
            "SELECT count FROM plan_usage WHERE user_id = $1 AND period = $2 AND metric = $3",
        )
        .bind(user_id)
        .bind(period)
        .bind(metric)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(count.unwrap_or(0))
    }

    /// Adds `by` to a counter (creating it at 0 first) in one atomic statement and returns
    /// the new value. Concurrent increments never lose an update. `Invalid` if the user does
    /// not exist.
    pub async fn increment(
        &self,
        user_id: &str,
        period: &str,
        metric: &str,
        by: i64,
    ) -> Result<i64, StoreError> {
        // INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING: SQLite >= 3.35 and PostgreSQL.
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO plan_usage (user_id, period, metric, count) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, period, metric) \
             DO UPDATE SET count = plan_usage.count + excluded.count \
             RETURNING count",
        )
        .bind(user_id)
        .bind(period)
        .bind(metric)
        .bind(by)
        .fetch_one(&self.db.pool)
        .await
        .map_err(|e| map_err(e, &[], "user does not exist"))?;
        Ok(count)
    }

    /// How many strategies a user owns, archived ones excluded (archiving frees a slot
    /// under `max_strategies`).
    pub async fn count_strategies(&self, owner_id: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM strategies WHERE owner_id = $1 AND status <> 'archived'",
        )
        .bind(owner_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }
}
