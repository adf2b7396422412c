//! Submitting backtests and sweeps: every check a user can be told about up front (the
//! strategy version is readable and valid, the dataset exists and fits, the settings are in
//! range, the plan allows it), then one store call that takes the quota and enqueues the job
//! atomically. The answer is `202 Accepted` with the run and its events address.

use super::types::{CreateBacktestRequest, CreateSweepRequest, RunView};
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::routes::market::access::{Viewer, field_error, load_visible as load_dataset};
use crate::routes::plan_usage::{
    BACKTESTS_METRIC, SWEEP_METRIC, caller_plan, day_period, quota_error,
};
use crate::routes::strategies::access::load_visible as load_strategy;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use bb_backtest::sweep::{Axis, Constraint, SweepSpec};
use bb_backtest::{Settings, SettingsInput};
use bb_domain::Timeframe;
use bb_jobs::{BacktestRequest, SweepRequest};
use bb_simulator::FillRule;
use bb_store::{
    NewRun, PlanLimits, QuotaCharge, QuotaExceeded, Role, RunKind, RunLimits, StoreError, User,
};

/// The most cells a sweep grid may have before constraints are applied (counting them
/// costs time too).
const MAX_GRID: usize = bb_backtest::sweep::MAX_GRID_CELLS;
/// The most swept parameters in one sweep.
pub const MAX_SWEEP_PARAMS: usize = 10;
/// The most constraints in one sweep.
pub const MAX_SWEEP_CONSTRAINTS: usize = bb_backtest::sweep::MAX_CONSTRAINTS;
/// The longest `params` or `where` expression, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 200;

/// Queue a backtest.
#[utoipa::path(
    post,
    path = "/api/v1/backtests",
    tag = "backtests",
    request_body = CreateBacktestRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; follow `events_url` for progress", body = RunView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "A plan limit is reached (`quota_exceeded`, with `details.metric`, `limit`, `resets_at`, `upgrade`)", body = ErrorEnvelope),
        (status = 404, description = "No such strategy or dataset visible to the caller", body = ErrorEnvelope),
        (status = 422, description = "A setting out of range (capital 1 to 1e12, fee 0 to under 100%, slippage 0 to under 10,000 bps, times 1970 to 2200), an unusable dataset or an invalid strategy version (`details.field` or `details.diagnostics`)", body = ErrorEnvelope),
    )
)]
pub async fn create_backtest(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateBacktestRequest>,
) -> Result<(StatusCode, HeaderMap, Json<RunView>), ApiError> {
    let (user, limits) = caller_plan(&state, &caller).await?;
    let prepared = prepare(&state, &caller, &user, &req).await?;
    let config = serde_json::to_value(&prepared.request).map_err(ApiError::internal)?;
    submit(
        &state,
        &user,
        &limits,
        prepared,
        RunKind::Backtest,
        config,
        1,
    )
    .await
}

/// Queue a parameter sweep.
#[utoipa::path(
    post,
    path = "/api/v1/sweeps",
    tag = "sweeps",
    request_body = CreateSweepRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; follow `events_url` for progress", body = RunView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "A plan limit is reached (`quota_exceeded`; `details.metric` is `sweep_combinations` when the grid is too big)", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "A setting out of range; more than 10 `params` or 20 `where` entries, an expression longer than 200 characters, a malformed one, a constraint on a parameter that is not swept, or a grid of more than 1,000,000 cells (`details.field`, e.g. `where[3]`)", body = ErrorEnvelope),
    )
)]
pub async fn create_sweep(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateSweepRequest>,
) -> Result<(StatusCode, HeaderMap, Json<RunView>), ApiError> {
    let (user, limits) = caller_plan(&state, &caller).await?;
    // The request's own shape first: counts, lengths and the grid's size are cheap.
    let spec = sweep_spec(&req.params, &req.r#where)?;
    let prepared = prepare(&state, &caller, &user, &req.target()).await?;
    check_sweep_targets(&prepared.graph, &spec)?;
    check_combinations(&spec, &limits).await?;
    let sort = req
        .sort
        .clone()
        .unwrap_or_else(|| "total_return_pct".into());
    let sweep = SweepRequest {
        backtest: prepared.request.clone(),
        axes: spec.axes,
        constraints: spec.constraints,
        sort,
    };
    let config = serde_json::to_value(&sweep).map_err(ApiError::internal)?;
    submit(&state, &user, &limits, prepared, RunKind::Sweep, config, 0).await
}

/// Counts the combinations that satisfy the constraints, off the runtime's threads (a grid
/// within the plan's limit has at most that many cells to visit; a bigger one is counted in
/// full, at most [`MAX_GRID`] cells × [`MAX_SWEEP_CONSTRAINTS`] comparisons, to say how many
/// it asks for): none is a 422 on `where`, more than the plan allows a `quota_exceeded` on
/// `sweep_combinations`. Returns the count.
pub(crate) async fn check_combinations(
    spec: &SweepSpec,
    limits: &PlanLimits,
) -> Result<usize, ApiError> {
    let limit = usize::try_from(limits.max_sweep_combinations.max(0)).unwrap_or(usize::MAX);
    let counted = spec.clone();
    let combinations = tokio::task::spawn_blocking(move || counted.combination_count()).await?;
    if combinations == 0 {
        return Err(field_error(
            "where",
            "No combination satisfies every constraint.",
        ));
    }
    if combinations > limit {
        let exceeded = QuotaExceeded {
            metric: SWEEP_METRIC.into(),
            period: "sweep".into(),
            limit: limits.max_sweep_combinations,
            used: 0,
            requested: i64::try_from(combinations).unwrap_or(i64::MAX),
        };
        return Err(quota_error(&exceeded, limits, bb_store::now_ms()));
    }
    Ok(combinations)
}

/// The sweep's axes and constraints, checked from the cheapest test to the dearest: how
/// many, how long, well formed, naming swept parameters, and a grid of at most [`MAX_GRID`]
/// cells (a product of lengths with checked arithmetic, never an enumeration).
pub(crate) fn sweep_spec(params: &[String], r#where: &[String]) -> Result<SweepSpec, ApiError> {
    let req = SweepLists { params, r#where };
    if req.params.is_empty() {
        return Err(field_error(
            "params",
            "Give at least one parameter to sweep, e.g. fast.period=5..50:5.",
        ));
    }
    if req.params.len() > MAX_SWEEP_PARAMS {
        return Err(field_error(
            "params",
            format!(
                "{} parameters is too many; a sweep varies at most {MAX_SWEEP_PARAMS}.",
                req.params.len()
            ),
        ));
    }
    if req.r#where.len() > MAX_SWEEP_CONSTRAINTS {
        return Err(field_error(
            "where",
            format!(
                "{} constraints is too many; a sweep takes at most {MAX_SWEEP_CONSTRAINTS}.",
                req.r#where.len()
            ),
        ));
    }
    let lists = [("params", &req.params), ("where", &req.r#where)];
    for (name, list) in lists {
        for (i, text) in list.iter().enumerate() {
            let chars = text.chars().count();
            if chars > MAX_EXPRESSION_CHARS {
                return Err(field_error(
                    &format!("{name}[{i}]"),
                    format!(
                        "This expression has {chars} characters; at most \
                         {MAX_EXPRESSION_CHARS} are allowed."
                    ),
                ));
            }
        }
    }
    let axes = req
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.parse::<Axis>()
                .map_err(|e| field_error(&format!("params[{i}]"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let constraints = req
        .r#where
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.parse::<Constraint>()
                .map_err(|e| field_error(&format!("where[{i}]"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = SweepSpec { axes, constraints };
    if let Some((i, name)) = spec.unknown_constraint_names().into_iter().next() {
        return Err(field_error(
            &format!("where[{i}]"),
            format!(
                "`{name}` is not a swept parameter; a constraint compares two of `params` \
                 (e.g. fast.period<slow.period)."
            ),
        ));
    }
    match spec.checked_grid_size() {
        Some(cells) if cells <= MAX_GRID => Ok(spec),
        cells => Err(field_error(
            "params",
            format!(
                "The grid has {} cells; at most {MAX_GRID} can be swept. Narrow a range or take \
                 bigger steps.",
                cells.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string())
            ),
        )),
    }
}

/// The version must fit the caller's plan limits now (it may have been saved before the
/// limits existed, or under a bigger plan). Checked on the blocking pool.
async fn check_plan_limits(
    graph: &bb_strategy::StrategyDocument,
    user: &User,
    number: i64,
) -> Result<(), ApiError> {
    let limits = bb_strategy::Limits::for_plan(user.plan.as_str());
    let doc = graph.clone();
    let problems: Vec<bb_strategy::Diagnostic> = tokio::task::spawn_blocking(move || {
        bb_strategy::validate_with(&doc, &limits)
            .diagnostics
            .into_iter()
            .filter(bb_strategy::Diagnostic::is_error)
            .collect()
    })
    .await?;
    match problems.first() {
        None => Ok(()),
        Some(first) => Err(ApiError::validation(
            format!(
                "Version {number} of this strategy cannot run on your plan: {}",
                first.message
            ),
            Some(serde_json::json!({ "field": "version", "diagnostics": problems })),
        )),
    }
}

/// A checked request, ready to store.
pub(crate) struct Prepared {
    pub strategy_id: String,
    pub version: i64,
    pub graph: bb_strategy::StrategyDocument,
    pub request: BacktestRequest,
}

/// Checks a run's strategy version, dataset, period and settings for the caller: everything
/// a user can be told up front, each error naming its field (backtests, sweeps, paper runs).
pub(crate) async fn prepare(
    state: &AppState,
    caller: &AuthUser,
    user: &User,
    req: &CreateBacktestRequest,
) -> Result<Prepared, ApiError> {
    // The settings first: they cost nothing to check.
    let settings = settings(req)?;
    let strategy = load_strategy(state, &req.strategy_id, Some(caller)).await?;
    let number = match req.version {
        Some(n) => n,
        None if strategy.latest_version > 0 => strategy.latest_version,
        None => {
            return Err(field_error(
                "version",
                "This strategy has no saved version yet; save one first.",
            ));
        }
    };
    let version = match state.db().strategies().version(&strategy.id, number).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => {
            return Err(field_error(
                "version",
                format!("The strategy has no version {number}."),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if !version.valid {
        return Err(ApiError::validation(
            format!(
                "Version {number} of this strategy has errors; fix them on the canvas and save \
                 a new version."
            ),
            Some(serde_json::json!({ "field": "version", "diagnostics": version.diagnostics })),
        ));
    }
    let graph =
        bb_strategy::StrategyDocument::from_json(&version.graph.to_string()).map_err(|e| {
            ApiError::validation(format!("The saved strategy cannot be read: {e}"), None)
        })?;
    check_plan_limits(&graph, user, number).await?;
    let viewer = Viewer {
        id: user.id.clone(),
        admin: user.role == Role::Admin,
    };
    let dataset = match (&req.dataset_id, &req.symbol) {
        (Some(id), _) => load_dataset(state, id, &viewer).await?,
        (None, Some(symbol)) => {
            let all = state.db().candles().list_datasets().await?;
            let visible: Vec<_> = all.into_iter().filter(|d| viewer.can_see(d)).collect();
            let tf = match &req.timeframe {
                Some(t) => Some(parse_timeframe(t)?),
                None => None,
            };
            let found = match tf {
                Some(tf) => bb_market::loading::pick_dataset(&visible, symbol, tf, None),
                None => visible
                    .iter()
                    .filter(|d| &d.symbol == symbol)
                    .min_by_key(|d| d.timeframe),
            };
            match found {
                Some(d) => d.clone(),
                None => {
                    let mut have: Vec<String> = visible
                        .iter()
                        .filter(|d| &d.symbol == symbol)
                        .map(|d| d.timeframe.to_string())
                        .collect();
                    have.dedup();
                    return Err(if have.is_empty() {
                        field_error(
                            "symbol",
                            format!(
                                "There is no dataset for {symbol}; see GET /api/v1/market/datasets."
                            ),
                        )
                    } else {
                        field_error(
                            "timeframe",
                            format!(
                                "{symbol} has {} candles, which cannot make {} bars; use one of \
                                 those or a multiple of it.",
                                have.join(", "),
                                req.timeframe.as_deref().unwrap_or_default()
                            ),
                        )
                    });
                }
            }
        }
        (None, None) => {
            return Err(field_error(
                "dataset_id",
                "Say which candles to test on: give dataset_id or symbol.",
            ));
        }
    };
    if dataset.row_count == 0 {
        return Err(field_error(
            "dataset_id",
            "This dataset has no candles yet.",
        ));
    }
    let timeframe = match &req.timeframe {
        Some(t) => parse_timeframe(t)?,
        None => dataset.timeframe,
    };
    if timeframe < dataset.timeframe || !timeframe.is_multiple_of(dataset.timeframe) {
        return Err(field_error(
            "timeframe",
            format!(
                "{timeframe} bars cannot be made from this dataset's {} candles; use {} or a \
                 multiple of it.",
                dataset.timeframe, dataset.timeframe
            ),
        ));
    }
    let from_ms = parse_time("from", req.from.as_deref())?;
    let to_ms = parse_time("to", req.to.as_deref())?;
    if let (Some(f), Some(t)) = (from_ms, to_ms)
        && f >= t
    {
        return Err(field_error("to", "The end must be after the start."));
    }
    let in_range = |lo: Option<i64>, hi: Option<i64>| match (dataset.first_ts, dataset.last_ts) {
        (Some(first), Some(last)) => lo.is_none_or(|l| l <= last) && hi.is_none_or(|h| h > first),
        _ => false,
    };
    if !in_range(from_ms, to_ms) {
        return Err(field_error(
            "from",
            format!(
                "The dataset {} has no candles in that period (it covers {} to {}).",
                dataset.spec(),
                dataset
                    .first_ts
                    .map(bb_data::format_utc)
                    .unwrap_or_default(),
                dataset.last_ts.map(bb_data::format_utc).unwrap_or_default()
            ),
        ));
    }
    Ok(Prepared {
        strategy_id: strategy.id,
        version: number,
        graph,
        request: BacktestRequest {
            dataset_id: dataset.id,
            timeframe,
            from_ms,
            to_ms,
            settings,
        },
    })
}

/// The request's settings through their one checked constructor; an error names its field.
fn settings(req: &CreateBacktestRequest) -> Result<Settings, ApiError> {
    let fill = match req.fill.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<FillRule>()
                .map_err(|message| field_error("fill", message))?,
        ),
    };
    Settings::new(SettingsInput {
        initial_capital: req.initial_capital,
        fee_pct: req.fee_pct,
        slippage_bps: req.slippage_bps,
        fill,
        allow_short: req.allow_short,
        fill_gaps: req.fill_gaps,
    })
    .map_err(|e| field_error(e.field, capitalise(&e.message)))
}

/// Every swept `node.param` must name a numeric parameter of a block in the graph (the
/// engine's own check, one axis at a time so the error names its field).
pub(crate) fn check_sweep_targets(
    doc: &bb_strategy::StrategyDocument,
    spec: &SweepSpec,
) -> Result<(), ApiError> {
    for (i, axis) in spec.axes.iter().enumerate() {
        let one = SweepSpec {
            axes: vec![axis.clone()],
            constraints: Vec::new(),
        };
        bb_backtest::sweep::check_axes(doc, &one)
            .map_err(|e| field_error(&format!("params[{i}]"), e.to_string()))?;
    }
    Ok(())
}

/// A sweep's two lists, as given.
struct SweepLists<'a> {
    params: &'a [String],
    r#where: &'a [String],
}

pub(crate) async fn submit(
    state: &AppState,
    user: &User,
    limits: &PlanLimits,
    prepared: Prepared,
    kind: RunKind,
    config: serde_json::Value,
    priority: i64,
) -> Result<(StatusCode, HeaderMap, Json<RunView>), ApiError> {
    let now = bb_store::now_ms();
    let run_limits = RunLimits {
        charges: vec![QuotaCharge {
            period: day_period(now),
            metric: BACKTESTS_METRIC.into(),
            by: 1,
            limit: limits.max_backtests_per_day,
        }],
        max_live: Some(limits.max_concurrent_runs),
    };
    let new = NewRun {
        kind,
        user_id: user.id.clone(),
        strategy_id: prepared.strategy_id,
        version: prepared.version,
        dataset_id: Some(prepared.request.dataset_id.clone()),
        config,
    };
    let outcome = state.db().runs().submit(new, &run_limits, priority).await?;
    let run = outcome.map_err(|e| quota_error(&e, limits, now))?;
    tracing::info!(run_id = %run.id, kind = %run.kind, "run queued");
    let view = RunView::try_from(run)?;
    let mut headers = HeaderMap::new();
    let location = match kind {
        RunKind::Backtest => format!("/api/v1/backtests/{}", view.id),
        RunKind::Sweep => format!("/api/v1/sweeps/{}", view.id),
        RunKind::Robustness => format!("/api/v1/robustness/{}", view.id),
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(view)))
}

/// The sentence with a capital first letter and a full stop.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

fn parse_timeframe(text: &str) -> Result<Timeframe, ApiError> {
    text.parse::<Timeframe>()
        .map_err(|e| field_error("timeframe", e.to_string()))
}

pub(crate) fn parse_time(field: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| crate::extract::parse_time_field(field, t, None))
        .transpose()
}
