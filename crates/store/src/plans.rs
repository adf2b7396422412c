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
    pub max_template_publishes: i64,
    /// Past runs the history keeps listing.
    pub max_history_runs: i64,
    /// Backtests and sweeps queued or running at once.
    pub max_concurrent_runs: i64,
    /// Fetches from an exchange started per UTC day.
    pub max_data_fetches_per_day: i64,
    /// Cohorts an educator may run at once (0: the plan has no cohorts).
    pub max_cohorts: i64,
    /// Students one cohort may have.
    pub max_cohort_members: i64,
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
             max_sweep_combinations, max_paper_runs, max_template_publishes, max_history_runs, \
             max_concurrent_runs, max_data_fetches_per_day, max_cohorts, max_cohort_members \
             FROM subscription_plans WHERE code = $1",
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
            max_template_publishes: col(&row, "max_template_publishes")?,
            max_history_runs: col(&row, "max_history_runs")?,
            max_concurrent_runs: col(&row, "max_concurrent_runs")?,
            max_data_fetches_per_day: col(&row, "max_data_fetches_per_day")?,
            max_cohorts: col(&row, "max_cohorts")?,
            max_cohort_members: col(&row, "max_cohort_members")?,
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

    /// Every counter of a user in `period`, by metric.
    pub async fn usage_in(
        &self,
        user_id: &str,
        period: &str,
    ) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        let rows =
            sqlx::query("SELECT metric, count FROM plan_usage WHERE user_id = $1 AND period = $2")
                .bind(user_id)
                .bind(period)
                .fetch_all(&self.db.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((col::<String>(r, "metric")?, col::<i64>(r, "count")?)))
            .collect()
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

/// A unit of quota to take before work is queued: `by` of `metric` in `period`, refused
/// when the counter would pass `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaCharge {
    pub period: String,
    pub metric: String,
    pub by: i64,
    pub limit: i64,
}

/// A charge that would pass its limit: nothing was taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotaExceeded {
    pub metric: String,
    pub period: String,
    pub limit: i64,
    /// The counter now (unchanged).
    pub used: i64,
    /// What the refused request asked for.
    pub requested: i64,
}

/// Takes `charge` in one statement: the counter grows only if the result stays within the
/// limit, so two concurrent requests cannot both take the last unit. `Ok(Err(..))` when it
/// would pass the limit (nothing changed); otherwise the new count.
pub(crate) async fn consume(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    charge: &QuotaCharge,
) -> Result<Result<i64, QuotaExceeded>, StoreError> {
    let exceeded = |used: i64| QuotaExceeded {
        metric: charge.metric.clone(),
        period: charge.period.clone(),
        limit: charge.limit,
        used,
        requested: charge.by,
    };
    if charge.by > charge.limit {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT count FROM plan_usage WHERE user_id = $1 AND period = $2 AND metric = $3",
        )
        .bind(user_id)
        .bind(&charge.period)
        .bind(&charge.metric)
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(Err(exceeded(used.unwrap_or(0))));
    }
    // The conditional DO UPDATE leaves the row alone (and returns nothing) when the sum
    // would pass the limit; SQLite >= 3.35 and PostgreSQL.
    let count: Option<i64> = sqlx::query_scalar(
        "INSERT INTO plan_usage (user_id, period, metric, count) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, period, metric) \
         DO UPDATE SET count = plan_usage.count + excluded.count \
         WHERE plan_usage.count + excluded.count <= $5 \
         RETURNING count",
    )
    .bind(user_id)
    .bind(&charge.period)
    .bind(&charge.metric)
    .bind(charge.by)
    .bind(charge.limit)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| map_err(e, &[], "user does not exist"))?;
    match count {
        Some(n) => Ok(Ok(n)),
        None => {
            let used: i64 = sqlx::query_scalar(
                "SELECT count FROM plan_usage WHERE user_id = $1 AND period = $2 AND metric = $3",
            )
            .bind(user_id)
            .bind(&charge.period)
            .bind(&charge.metric)
            .fetch_one(&mut *conn)
            .await?;
            Ok(Err(exceeded(used)))
        }
    }
}
