//! The inspector of a backtest: every block's value on a chosen bar and the bars around it,
//! so a user can see why a rule did or did not fire.

use super::read::load_own;
use super::submit::{capitalise, parse_time};
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::routes::plan_usage::caller_plan;
use crate::state::AppState;
use axum::extract::State;
use bb_jobs::{Inspection, JobError};
use bb_store::RunKind;
use serde::Deserialize;
use tokio::sync::Semaphore;
use utoipa::IntoParams;

/// Inspections evaluated at once in this process: each keeps every block's output of the
/// whole period in memory (within the evaluation budget), so they queue rather than pile up.
static SLOTS: Semaphore = Semaphore::const_new(2);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectQuery {
    /// The bar to look at: an ISO-8601 date or time, or Unix ms; the last bar that opened
    /// at or before it is shown.
    pub at: String,
    /// Bars shown on either side, 0 to 50 (default 5).
    #[param(minimum = 0, maximum = 50)]
    pub around: Option<u32>,
}

/// Every block's value around one bar of a backtest.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}/inspect",
    tag = "backtests",
    params(("id" = String, Path, description = "Run id"), InspectQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Inspection),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "`at` is not a time, `around` is over 50, or the strategy cannot be evaluated on the run's data", body = ErrorEnvelope),
    )
)]
pub async fn inspect_backtest(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<InspectQuery>,
) -> Result<Json<Inspection>, ApiError> {
    let field = |name: &str, message: String| {
        ApiError::validation(message, Some(serde_json::json!({ "field": name })))
    };
    let around = query.around.unwrap_or(5);
    if around as usize > bb_jobs::inspect::MAX_AROUND {
        return Err(field(
            "around",
            format!(
                "Show at most {} bars on either side.",
                bb_jobs::inspect::MAX_AROUND
            ),
        ));
    }
    let at = parse_time("at", Some(&query.at))?
        .ok_or_else(|| field("at", "Say which bar to look at.".into()))?;
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    let (user, _) = caller_plan(&state, &caller).await?;
    let limits = bb_strategy::Limits::for_plan(user.plan.as_str());
    let _slot = SLOTS.acquire().await.map_err(ApiError::internal)?;
    bb_jobs::inspect(state.db(), &run, limits, at, around as usize)
        .await
        .map(Json)
        .map_err(|e| match e {
            JobError::Permanent(message) => ApiError::validation(capitalise(&message), None),
            JobError::Transient(message) => ApiError::Internal(message),
        })
}
