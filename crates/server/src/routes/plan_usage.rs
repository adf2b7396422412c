//! The caller's plan, its limits and what is used of them (the UI's plan banner), and the one
//! place where a plan limit becomes a `quota_exceeded` error.
//!
//! Daily counters reset at 00:00 UTC.

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use bb_store::{LIVE_RUNS_METRIC, PlanLimits, PlanTier, QuotaExceeded, StoreError, User};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The daily counter of backtests and sweeps.
pub const BACKTESTS_METRIC: &str = "backtests";
/// A sweep's size (per sweep, not per day).
pub const SWEEP_METRIC: &str = "sweep_combinations";

use bb_domain::calendar::{self, DAY_MS};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(plan_usage))
}

/// One limit and its use.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub used: i64,
    pub limit: i64,
    /// When the counter starts again from 0 (RFC 3339), for daily counters.
    pub resets_at: Option<String>,
}

/// The caller's plan and what is used of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanUsageView {
    /// `free`, `premium` or `educator`.
    pub plan: String,
    pub plan_name: String,
    /// The UTC day the daily counters count.
    pub period: String,
    pub backtests_today: Usage,
    /// Fetches of market data started today.
    pub data_fetches_today: Usage,
    pub strategies: Usage,
    pub concurrent_runs: Usage,
    /// The most combinations one sweep may have.
    pub max_sweep_combinations: i64,
    /// Past runs the history keeps listing.
    pub max_history_runs: i64,
    pub max_paper_runs: i64,
    pub max_template_publishes: i64,
    /// Cohorts the plan runs (educator plan).
    pub max_cohorts: i64,
    /// Students per cohort.
    pub max_cohort_members: i64,
    /// What upgrading would give, when there is a bigger plan.
    pub upgrade: Option<String>,
}

/// The caller's plan, limits and usage.
#[utoipa::path(
    get,
    path = "/api/v1/plan-usage",
    tag = "plans",
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlanUsageView),
        (status = 401, body = ErrorEnvelope),
    )
)]
pub async fn plan_usage(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<PlanUsageView>, ApiError> {
    let (user, limits) = caller_plan(&state, &caller).await?;
    let db = state.db();
    let now = bb_store::now_ms();
    let period = day_period(now);
    let used = db
        .plans()
        .usage(&user.id, &period, BACKTESTS_METRIC)
        .await?;
    let fetches = db
        .plans()
        .usage(
            &user.id,
            &period,
            crate::routes::market::DATA_FETCHES_METRIC,
        )
        .await?;
    let strategies = db.plans().count_strategies(&user.id).await?;
    let live = db.runs().live_count(&user.id).await?;
    Ok(Json(PlanUsageView {
        plan: limits.code.as_str().to_owned(),
        plan_name: limits.name.clone(),
        period,
        backtests_today: Usage {
            used,
            limit: limits.max_backtests_per_day,
            resets_at: Some(resets_at(now)),
        },
        data_fetches_today: Usage {
            used: fetches,
            limit: limits.max_data_fetches_per_day,
            resets_at: Some(resets_at(now)),
        },
        strategies: Usage {
            used: strategies,
            limit: limits.max_strategies,
            resets_at: None,
        },
        concurrent_runs: Usage {
            used: live,
            limit: limits.max_concurrent_runs,
            resets_at: None,
        },
        max_sweep_combinations: limits.max_sweep_combinations,
        max_history_runs: limits.max_history_runs,
        max_paper_runs: limits.max_paper_runs,
        max_template_publishes: limits.max_template_publishes,
        max_cohorts: limits.max_cohorts,
        max_cohort_members: limits.max_cohort_members,
        upgrade: upgrade_hint(limits.code),
    }))
}

/// The caller's account and its plan's limits.
pub async fn caller_plan(
    state: &AppState,
    caller: &AuthUser,
) -> Result<(User, PlanLimits), ApiError> {
    let user = state
        .db()
        .users()
        .get(&caller.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Unauthorized("This account no longer exists.".into()),
            other => other.into(),
        })?;
    let limits = state.db().plans().get(user.plan).await?;
    Ok((user, limits))
}

/// How big a strategy graph the caller's plan allows (the per-plan numbers live in
/// `bb_strategy::Limits::for_plan`); the free plan's for an anonymous caller.
pub async fn graph_limits(
    state: &AppState,
    caller: Option<&AuthUser>,
) -> Result<bb_strategy::Limits, ApiError> {
    let Some(caller) = caller else {
        return Ok(bb_strategy::Limits::FREE);
    };
    let user = state
        .db()
        .users()
        .get(&caller.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Unauthorized("This account no longer exists.".into()),
            other => other.into(),
        })?;
    Ok(bb_strategy::Limits::for_plan(user.plan.as_str()))
}

/// The UTC day of `now_ms`, e.g. `2026-12-01`: the period of daily counters.
pub fn day_period(now_ms: i64) -> String {
    calendar::format_date(now_ms)
}

/// The next 00:00 UTC after `now_ms`, RFC 3339.
pub fn resets_at(now_ms: i64) -> String {
    calendar::format_rfc3339(calendar::day_start_ms(now_ms) + DAY_MS)
}

/// What the next plan up offers, for the upgrade prompt.
pub fn upgrade_hint(tier: PlanTier) -> Option<String> {
    match tier {
        PlanTier::Free => Some(
            "Premium runs 1,000 backtests a day, sweeps of up to 5,000 combinations and 8 runs \
             at once."
                .to_owned(),
        ),
        PlanTier::Premium => Some(
            "Educator doubles the daily backtests, publishes 200 templates a month and runs cohorts \
             of students."
                .to_owned(),
        ),
        PlanTier::Educator => None,
    }
}

/// A refused charge as the API's `quota_exceeded` error, with what a user needs to decide.
pub fn quota_error(exceeded: &QuotaExceeded, limits: &PlanLimits, now_ms: i64) -> ApiError {
    let message = match exceeded.metric.as_str() {
        BACKTESTS_METRIC => format!(
            "You have used all {} backtests of the {} plan today; the count starts again at \
             00:00 UTC.",
            exceeded.limit, limits.name
        ),
        SWEEP_METRIC => format!(
            "This sweep has {} combinations; the {} plan runs up to {} in one sweep. Narrow a \
             range or take bigger steps.",
            exceeded.requested, limits.name, exceeded.limit
        ),
        crate::routes::market::DATA_FETCHES_METRIC => format!(
            "You have started all {} data fetches of the {} plan today; stored datasets still \
             work, and the count starts again at 00:00 UTC.",
            exceeded.limit, limits.name
        ),
        bb_store::PAPER_RUNS_METRIC => format!(
            "You already have {} paper runs going, the most the {} plan allows; stop one \
             first.",
            exceeded.used, limits.name
        ),
        LIVE_RUNS_METRIC => format!(
            "You already have {} runs queued or running, the most the {} plan allows at once; \
             wait for one to finish.",
            exceeded.used, limits.name
        ),
        "robustness_windows" | "robustness_monte_carlo_runs" | "robustness_pbo_blocks" => {
            let what = match exceeded.metric.as_str() {
                "robustness_windows" => "walk-forward windows",
                "robustness_monte_carlo_runs" => "Monte Carlo runs",
                _ => "blocks for the overfitting probability",
            };
            format!(
                "You asked for {} {what}; the {} plan runs up to {}. Deeper checks come with a \
                 paid plan.",
                exceeded.requested, limits.name, exceeded.limit
            )
        }
        crate::routes::templates::PUBLISHES_METRIC if exceeded.limit == 0 => format!(
            "The {} plan does not publish templates; Premium publishes 20 a month and Educator \
             200.",
            limits.name
        ),
        crate::routes::templates::PUBLISHES_METRIC => format!(
            "You have published all {} templates of the {} plan this month; the count starts \
             again on the 1st (UTC).",
            exceeded.limit, limits.name
        ),
        bb_store::COHORTS_METRIC if exceeded.limit == 0 => format!(
            "The {} plan has no cohorts; the Educator plan runs up to 20 of up to 500 students.",
            limits.name
        ),
        bb_store::COHORTS_METRIC => format!(
            "You run {} cohorts, the most the {} plan allows.",
            exceeded.used, limits.name
        ),
        bb_store::COHORT_MEMBERS_METRIC => format!(
            "This cohort is full: it has {} students, the most its educator's plan allows. Ask \
             your educator.",
            exceeded.used
        ),
        other => format!("The {} plan's limit on {other} is reached.", limits.name),
    };
    let daily = [BACKTESTS_METRIC, crate::routes::market::DATA_FETCHES_METRIC];
    let resets = daily
        .contains(&exceeded.metric.as_str())
        .then(|| resets_at(now_ms));
    ApiError::QuotaExceeded {
        message,
        details: Some(json!({
            "metric": exceeded.metric,
            "limit": exceeded.limit,
            "used": exceeded.used,
            "requested": exceeded.requested,
            "resets_at": resets,
            "plan": limits.code.as_str(),
            "upgrade": upgrade_hint(limits.code),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_periods_are_utc_days() {
        // 2026-12-01T23:59:59.999Z and the next millisecond
        let late = 1_796_169_599_999;
        assert_eq!(day_period(late), "2026-12-01");
        assert_eq!(day_period(late + 1), "2026-12-02");
        assert_eq!(resets_at(late), "2026-12-02T00:00:00Z");
        assert_eq!(resets_at(late + 1), "2026-12-03T00:00:00Z");
    }
}
