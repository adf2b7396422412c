//! The robustness lab as durable jobs: walk-forward, holdout, Monte Carlo and the
//! overfitting statistics of a sweep, with plain verdicts.
//!
//! A robustness run is a run like a backtest or a sweep (the same queue, quota, history,
//! cancellation and live events); its report is `bb_robustness::lab::LabReport`. The holdout
//! is computed with the run but shown only through `POST …/holdout`, which records the look:
//! how often a strategy's holdout on a dataset has been looked at is part of every answer.
//! Runs are their owner's alone (anyone else gets 404). Plans bound the depth of the checks
//! (windows, Monte Carlo runs, PBO blocks): deeper checks are for paid plans.

use crate::auth::extractor::{AuthUser, StreamUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::routes::market::access::field_error;
use crate::routes::plan_usage::{caller_plan, quota_error};
use crate::routes::runs::events::{EventStream, last_event_id, stream};
use crate::routes::runs::read::{cancel, list, load_own, report};
use crate::routes::runs::submit::{
    capitalise, check_combinations, check_sweep_targets, prepare, submit, sweep_spec,
};
use crate::routes::runs::types::{
    CreateRobustnessRequest, ListRunsQuery, RunPage, RunStreamEvent, RunView,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bb_backtest::SweepAssumptions;
use bb_backtest::walk_forward::WalkForwardSpec;
use bb_jobs::{RobustnessRequest, RunReport};
use bb_robustness::lab::{LabLimits, LabReport, LabSpec};
use bb_store::{HoldoutLook, QuotaExceeded, Run, RunKind, RunStatus};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_robustness, list_robustness))
        .routes(routes!(get_robustness))
        .routes(routes!(open_holdout))
        .routes(routes!(cancel_robustness))
        .routes(routes!(robustness_events))
}

/// One robustness run with, once succeeded, its report. The holdout's result is left out
/// until it is opened (`POST /api/v1/robustness/{id}/holdout`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RobustnessDetail {
    #[serde(flatten)]
    pub run: RunView,
    pub report: Option<LabReport>,
    /// The settings every backtest of the run shared, and the data's provenance.
    pub assumptions: Option<SweepAssumptions>,
    /// Whether this run's holdout has been opened.
    pub holdout_opened: bool,
    /// How many robustness runs of this strategy (any version) have opened a holdout
    /// sharing candles with this one's.
    pub holdout_looks: i64,
}

/// Queue a robustness check.
#[utoipa::path(
    post,
    path = "/api/v1/robustness",
    tag = "robustness",
    request_body = CreateRobustnessRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; follow `events_url` for progress", body = RunView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "A plan limit is reached (`quota_exceeded`: `backtests` a day, `sweep_combinations`, or a check deeper than the plan allows: `robustness_windows`, `robustness_monte_carlo_runs`, `robustness_pbo_blocks`)", body = ErrorEnvelope),
        (status = 404, description = "No such strategy or dataset visible to the caller", body = ErrorEnvelope),
        (status = 422, description = "A setting out of range (`details.field`), a malformed parameter or constraint, a check bigger than one job may run (`params`: combinations × candles × sweeps over 20 billion), or an invalid strategy version", body = ErrorEnvelope),
    )
)]
pub async fn create_robustness(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateRobustnessRequest>,
) -> Result<(StatusCode, HeaderMap, Json<RunView>), ApiError> {
    let (user, limits) = caller_plan(&state, &caller).await?;
    // the cheap checks first: the request's own shape and the plan's depth
    let spec = sweep_spec(&req.params, &req.r#where)?;
    let lab = lab_spec(&req)?;
    if let Some((field, limit, asked)) = LabLimits::for_plan(user.plan.as_str()).exceeded(&lab) {
        let exceeded = QuotaExceeded {
            metric: format!("robustness_{field}"),
            period: "robustness".into(),
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            used: 0,
            requested: i64::try_from(asked).unwrap_or(i64::MAX),
        };
        return Err(quota_error(&exceeded, &limits, bb_store::now_ms()));
    }
    let prepared = prepare(&state, &caller, &user, &req.target()).await?;
    check_sweep_targets(&prepared.graph, &spec)?;
    let combinations = check_combinations(&spec, &limits).await?;
    // the whole job's size: combinations × candles × sweeps, before it is queued
    let dataset = state
        .db()
        .candles()
        .get_dataset(&prepared.request.dataset_id)
        .await?;
    let bars = estimated_bars(&dataset, &prepared.request);
    bb_robustness::lab::check_work(combinations, bars, lab.walk_forward.windows)
        .map_err(|e| field_error(e.field, capitalise(&e.message)))?;
    let request = RobustnessRequest {
        backtest: prepared.request.clone(),
        axes: spec.axes,
        constraints: spec.constraints,
        lab,
    };
    let config = serde_json::to_value(&request).map_err(ApiError::internal)?;
    submit(
        &state,
        &user,
        &limits,
        prepared,
        RunKind::Robustness,
        config,
        0,
    )
    .await
}

/// How many candles a request covers: the dataset's stored span within the request's
/// period, at the request's timeframe (an estimate: gaps are counted).
fn estimated_bars(dataset: &bb_store::Dataset, request: &bb_jobs::BacktestRequest) -> usize {
    let (Some(first), Some(last)) = (dataset.first_ts, dataset.last_ts) else {
        return 0;
    };
    let base = dataset.timeframe.millis().max(1);
    let from = request.from_ms.map_or(first, |f| f.max(first));
    let to = request.to_ms.map_or(last + base, |t| t.min(last + base));
    let stored = ((to - from).max(0) / base).min(dataset.row_count.max(0));
    let ratio = (request.timeframe.millis() / base).max(1);
    usize::try_from(stored / ratio).unwrap_or(usize::MAX)
}

/// The lab's settings from the request, defaults filled, each refusal naming its field.
fn lab_spec(req: &CreateRobustnessRequest) -> Result<LabSpec, ApiError> {
    let defaults = LabSpec::default();
    let wf = WalkForwardSpec::default();
    let lab = LabSpec {
        walk_forward: WalkForwardSpec {
            windows: req.windows.unwrap_or(wf.windows),
            mode: req.mode.unwrap_or(wf.mode),
            in_sample_pct: req.in_sample_pct.unwrap_or(wf.in_sample_pct),
            objective: req.objective.unwrap_or(wf.objective),
            min_trades: req.min_trades.unwrap_or(wf.min_trades),
        },
        holdout_pct: req.holdout_pct.unwrap_or(defaults.holdout_pct),
        monte_carlo_runs: req.monte_carlo_runs.unwrap_or(defaults.monte_carlo_runs),
        // shown with the report, so a rerun with the same seed gives the same numbers
        seed: req.seed.unwrap_or_else(|| rand::random::<u32>().into()),
        pbo_blocks: req.pbo_blocks.unwrap_or(defaults.pbo_blocks),
    };
    lab.check()
        .map_err(|e| field_error(e.field, capitalise(&e.message)))?;
    Ok(lab)
}

/// The caller's robustness runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/robustness",
    tag = "robustness",
    params(ListRunsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = RunPage), (status = 400, description = "A page size or offset out of range", body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope))
)]
pub async fn list_robustness(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListRunsQuery>,
) -> Result<Json<RunPage>, ApiError> {
    Ok(Json(
        list(&state, &caller, RunKind::Robustness, query).await?,
    ))
}

/// The run's report and the holdout's look count; the holdout's result only once opened.
async fn detail(state: &AppState, run: Run) -> Result<RobustnessDetail, ApiError> {
    let (mut lab, assumptions) = if run.status == RunStatus::Succeeded {
        match report(state, &run).await? {
            RunReport::Robustness(r) => (Some(r.lab), Some(r.assumptions)),
            _ => {
                return Err(ApiError::Internal(format!(
                    "run {} is not robustness",
                    run.id
                )));
            }
        }
    } else {
        (None, None)
    };
    let holdouts = state.db().holdouts();
    let opened = holdouts.opened(&run.id).await?;
    let looks = match (
        lab.as_ref().and_then(|l| l.holdout.as_ref()),
        &run.dataset_id,
    ) {
        (Some(h), Some(dataset)) => {
            holdouts
                .count(&run.strategy_id, dataset, h.span.from_ts, h.span.to_ts)
                .await?
        }
        _ => 0,
    };
    if !opened && let Some(h) = lab.as_mut().and_then(|l| l.holdout.as_mut()) {
        h.result = None;
    }
    Ok(RobustnessDetail {
        run: RunView::try_from(run)?,
        report: lab,
        assumptions,
        holdout_opened: opened,
        holdout_looks: looks,
    })
}

/// One robustness run: status, parameters, and once succeeded its report with verdicts.
#[utoipa::path(
    get,
    path = "/api/v1/robustness/{id}",
    tag = "robustness",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RobustnessDetail), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope))
)]
pub async fn get_robustness(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RobustnessDetail>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Robustness).await?;
    Ok(Json(detail(&state, run).await?))
}

/// Open the holdout: the chosen combination on the candles kept aside. The look is
/// recorded (once per run) and counted in `holdout_looks` of every run of this strategy
/// whose holdout shares candles with this one.
#[utoipa::path(
    post,
    path = "/api/v1/robustness/{id}/holdout",
    tag = "robustness",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RobustnessDetail),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "The run has not succeeded, or it kept no holdout", body = ErrorEnvelope),
    )
)]
pub async fn open_holdout(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RobustnessDetail>, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Robustness).await?;
    let RunReport::Robustness(stored) = report(&state, &run).await? else {
        return Err(ApiError::Internal(format!(
            "run {} is not robustness",
            run.id
        )));
    };
    let Some(holdout) = stored.lab.holdout.as_ref() else {
        return Err(ApiError::Conflict(
            "This run kept no holdout (its holdout was set to 0%).".into(),
        ));
    };
    let dataset = run.dataset_id.clone().unwrap_or_default();
    state
        .db()
        .holdouts()
        .record(&HoldoutLook {
            run_id: run.id.clone(),
            user_id: caller.id.clone(),
            strategy_id: run.strategy_id.clone(),
            dataset_id: dataset,
            from_ts: holdout.span.from_ts,
            to_ts: holdout.span.to_ts,
        })
        .await?;
    Ok(Json(detail(&state, run).await?))
}

/// Cancel a queued or running robustness check.
#[utoipa::path(
    post,
    path = "/api/v1/robustness/{id}/cancel",
    tag = "robustness",
    params(("id" = String, Path, description = "Run id")),
    security(("bearer" = [])),
    responses((status = 200, body = RunView), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, description = "Already finished", body = ErrorEnvelope))
)]
pub async fn cancel_robustness(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(
        cancel(&state, &caller, &id, RunKind::Robustness).await?,
    ))
}

/// Live events of a robustness run (progress names the stage: sweeping, walking forward,
/// Monte Carlo).
#[utoipa::path(
    get,
    path = "/api/v1/robustness/{id}/events",
    tag = "robustness",
    params(
        ("id" = String, Path, description = "Run id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event"),
    ),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream, as for backtests", content_type = "text/event-stream", body = RunStreamEvent),
        (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn robustness_events(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<EventStream, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Robustness).await?;
    Ok(stream(state, run.id, last_event_id(&headers)?))
}
