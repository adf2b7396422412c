//! Request and response types of the backtest and sweep routes.

use crate::error::ApiError;
use bb_backtest::{Assumptions, EquityPoint, SweepReport, Warning};
use bb_domain::Trade;
use bb_jobs::{RunParameters, RunSummary};
use bb_metrics::{Metrics, MonthlyReturn};
use bb_store::{Page, Run, RunEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// Declares a run request: the fields every backtest and sweep takes (the strategy, the
/// candles, the period and the settings), written once, then the kind's own fields. A
/// macro rather than `#[serde(flatten)]`, which cannot be combined with
/// `deny_unknown_fields` and would make the schema an `allOf` that no body satisfies.
/// The bounds and defaults in `#[schema]` are `bb_backtest::SettingsRanges`'s (a test in
/// `tests/openapi.rs` compares them).
macro_rules! run_request {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub strategy_id: String,
            /// Default: the newest version.
            pub version: Option<i64>,
            /// A stored dataset (see `GET /api/v1/market/datasets`); or give `symbol`.
            pub dataset_id: Option<String>,
            /// e.g. `BTC-USD`; the dataset of this symbol at `timeframe` (or a finer one that
            /// divides it) is used.
            pub symbol: Option<String>,
            /// e.g. `1h`, `1d`. Default: the dataset's own.
            pub timeframe: Option<String>,
            /// Start (inclusive): an ISO-8601 date or time, or Unix ms.
            pub from: Option<String>,
            /// End (exclusive).
            pub to: Option<String>,
            /// Starting capital, quote currency, from 1 to one trillion (default 10,000).
            #[schema(minimum = 1.0, maximum = 1_000_000_000_000.0, default = 10_000.0)]
            pub initial_capital: Option<f64>,
            /// Fee per fill, % of notional, from 0 to under 100 (default 0.1).
            #[schema(minimum = 0.0, exclusive_maximum = 100.0, default = 0.1)]
            pub fee_pct: Option<f64>,
            /// Slippage per fill, basis points against the trader, from 0 to under 10,000
            /// (default 5).
            #[schema(minimum = 0.0, exclusive_maximum = 10_000.0, default = 5.0)]
            pub slippage_bps: Option<f64>,
            /// `next_open` (default) or `same_close`.
            #[schema(default = "next_open")]
            pub fill: Option<String>,
            /// Whether enter-short signals open shorts (default true).
            #[schema(default = true)]
            pub allow_short: Option<bool>,
            /// Forward-fill missing candles instead of leaving the gaps (default false).
            #[schema(default = false)]
            pub fill_gaps: Option<bool>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The part every run takes, as a backtest request.
            pub fn target(&self) -> CreateBacktestRequest {
                CreateBacktestRequest {
                    strategy_id: self.strategy_id.clone(),
                    version: self.version,
                    dataset_id: self.dataset_id.clone(),
                    symbol: self.symbol.clone(),
                    timeframe: self.timeframe.clone(),
                    from: self.from.clone(),
                    to: self.to.clone(),
                    initial_capital: self.initial_capital,
                    fee_pct: self.fee_pct,
                    slippage_bps: self.slippage_bps,
                    fill: self.fill.clone(),
                    allow_short: self.allow_short,
                    fill_gaps: self.fill_gaps,
                }
            }
        }
    };
}

run_request! {
    /// What to backtest, on which candles, with which costs. Everything but the strategy
    /// has a default: the strategy's newest version, the symbol's dataset at its own
    /// timeframe, all of its candles, 10,000 of capital, 0.1% fees, 5 bps slippage,
    /// next-open fills, shorts allowed, gaps left as they are.
    pub struct CreateBacktestRequest {}
}

run_request! {
    /// A sweep: a backtest's settings plus the parameters to vary.
    pub struct CreateSweepRequest {
        /// Swept parameters: `node.param=START..END:STEP` or `node.param=V1,V2,V3`, e.g.
        /// `fast.period=5..50:5`. At most 10, each at most 200 characters, at most
        /// 1,000,000 cells in all.
        #[schema(min_items = 1, max_items = 10)]
        pub params: Vec<String>,
        /// Constraints between swept parameters, e.g. `fast.period<slow.period`. At most
        /// 20, each at most 200 characters.
        #[schema(max_items = 20)]
        #[serde(default)]
        pub r#where: Vec<String>,
        /// Metric the rows are sorted by, best first (default `total_return_pct`).
        pub sort: Option<String>,
    }
}

run_request! {
    /// The robustness lab: a backtest's settings, the parameters to vary, and the checks'
    /// settings (each has a default; deeper checks need a paid plan).
    pub struct CreateRobustnessRequest {
        /// Parameters the walk-forward and the sweep vary, as for a sweep:
        /// `node.param=START..END:STEP` or `node.param=V1,V2,V3`. At most 10.
        #[schema(min_items = 1, max_items = 10)]
        pub params: Vec<String>,
        /// Constraints between them, e.g. `fast.period<slow.period`. At most 20.
        #[schema(max_items = 20)]
        #[serde(default)]
        pub r#where: Vec<String>,
        /// Walk-forward windows, 1 to 50 (default 5; the free plan runs up to 5).
        #[schema(minimum = 1, maximum = 50)]
        pub windows: Option<usize>,
        /// `rolling` (default) or `anchored`.
        pub mode: Option<bb_backtest::walk_forward::WindowMode>,
        /// The in-sample share of a window, percent, 50 to 95 (default 75).
        #[schema(minimum = 50.0, maximum = 95.0)]
        pub in_sample_pct: Option<f64>,
        /// What each in-sample part maximises (default `sharpe`).
        pub objective: Option<bb_backtest::walk_forward::Objective>,
        /// A combination with fewer trades is never chosen (default 5).
        #[schema(maximum = 100_000)]
        pub min_trades: Option<usize>,
        /// The last part of the candles kept aside, percent, 0 to 50 (default 20).
        #[schema(minimum = 0.0, maximum = 50.0)]
        pub holdout_pct: Option<f64>,
        /// Simulations per Monte Carlo check, 100 to 10,000 (default 1,000; the free plan
        /// runs up to 1,000).
        #[schema(minimum = 100, maximum = 10_000)]
        pub monte_carlo_runs: Option<usize>,
        /// The seed of every random draw (default: picked at random and shown).
        pub seed: Option<u64>,
        /// Blocks of bars for the probability of backtest overfitting: even, 4 to 16
        /// (default 10; the free plan runs up to 10).
        #[schema(minimum = 4, maximum = 16)]
        pub pbo_blocks: Option<usize>,
    }
}

/// A backtest or sweep run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// The run id.
    pub id: String,
    /// `backtest`, `sweep` or `robustness`.
    pub kind: String,
    /// The strategy tested.
    pub strategy_id: String,
    /// The strategy version tested.
    pub version: i64,
    /// The candles it ran on.
    pub dataset_id: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// 0 to 100.
    pub progress: i64,
    /// The settings used (dataset, timeframe, period, capital, costs, fill rule, gaps; for
    /// a sweep also its axes, constraints and sort).
    pub parameters: RunParameters,
    /// Headline numbers once succeeded.
    pub summary: Option<RunSummary>,
    /// Why it failed, for the user.
    pub error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// When a worker started it, Unix ms.
    pub started_at: Option<i64>,
    /// When it ended, Unix ms.
    pub finished_at: Option<i64>,
    /// Where the live events are.
    pub events_url: String,
}

impl TryFrom<Run> for RunView {
    type Error = ApiError;

    fn try_from(r: Run) -> Result<RunView, ApiError> {
        let base = match r.kind {
            bb_store::RunKind::Backtest => "backtests",
            bb_store::RunKind::Sweep => "sweeps",
            bb_store::RunKind::Robustness => "robustness",
        };
        let read = |e: bb_jobs::ReadError| ApiError::Internal(format!("run {}: {e}", r.id));
        Ok(RunView {
            events_url: format!("/api/v1/{base}/{}/events", r.id),
            kind: r.kind.as_str().to_owned(),
            parameters: RunParameters::read(r.kind, r.config.clone()).map_err(read)?,
            summary: match r.summary.clone() {
                Some(v) => Some(RunSummary::read(r.kind, v).map_err(read)?),
                None => None,
            },
            id: r.id,
            strategy_id: r.strategy_id,
            version: r.version,
            dataset_id: r.dataset_id,
            status: r.status.as_str().to_owned(),
            progress: r.progress,
            error: r.error,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// One run with its whole result: for a backtest the metrics, assumptions card, warnings and
/// monthly returns (equity and trades have their own routes); for a sweep every row.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: RunView,
    /// Backtests: the headline numbers.
    pub metrics: Option<Metrics>,
    /// Backtests: fill rule, fees, slippage, intrabar path, sizing, risk rules, data range,
    /// provenance and quality.
    pub assumptions: Option<Assumptions>,
    /// Backtests: cautions in plain words.
    pub warnings: Option<Vec<Warning>>,
    /// Backtests: the return of each calendar month (UTC).
    pub monthly_returns: Option<Vec<MonthlyReturn>>,
    /// Sweeps: the swept parameters, every combination's metrics sorted best first, and
    /// the settings they shared.
    pub sweep: Option<SweepReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<RunView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

impl TryFrom<Page<Run>> for RunPage {
    type Error = ApiError;

    fn try_from(p: Page<Run>) -> Result<RunPage, ApiError> {
        Ok(RunPage {
            items: p
                .items
                .into_iter()
                .map(RunView::try_from)
                .collect::<Result<_, _>>()?,
            total: p.total,
            limit: p.limit,
            offset: p.offset,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRunsQuery {
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub strategy_id: Option<String>,
    pub version: Option<i64>,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[param(pattern = "^(|queued|running|succeeded|failed|cancelled)$")]
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 1000>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
    /// Trades only: sort by `entry_time` (default), `exit_time`, `pnl`, `pnl_pct` or
    /// `bars_held`; prefix `-` for descending.
    pub sort: Option<String>,
}

/// The equity curve and drawdown of a backtest (about 1,000 points; each bucket keeps its
/// lowest and highest equity so the maximum drawdown survives).
#[derive(Debug, Serialize, ToSchema)]
pub struct EquityView {
    /// The run id.
    pub run_id: String,
    /// Starting cash, quote currency.
    pub initial_capital: f64,
    pub points: Vec<EquityPoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TradePage {
    /// The run id.
    pub run_id: String,
    pub items: Vec<Trade>,
    /// Trades in all.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Trades skipped before this page.
    pub offset: u32,
}

/// One event of a run's live stream as sent (documentation only): `id` is the event's
/// number (send it back as `Last-Event-ID` to resume), `event` its kind (`queued`,
/// `started`, `progress`, `retrying`, `succeeded`, `failed`, `cancelled`), and `data` a JSON
/// object with `seq`, `kind`, `created_at` and the kind's own fields.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RunStreamEvent {
    pub id: String,
    pub event: String,
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

/// The event log of a run (what the live stream sends).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: i64,
}

impl From<RunEvent> for EventView {
    fn from(e: RunEvent) -> EventView {
        EventView {
            seq: e.seq,
            kind: e.kind,
            payload: e.payload,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// Two to five succeeded backtests of the caller, each once.
    #[schema(min_items = 2, max_items = 5)]
    pub ids: Vec<String>,
}

/// Runs side by side: one row per metric with a value per run, and the equity curves on one
/// time axis as percent of each run's starting capital.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompareView {
    pub runs: Vec<RunView>,
    /// One row per metric, in the order shown.
    pub metrics: Vec<CompareRow>,
    /// Unix ms, the union of every run's equity times.
    pub ts: Vec<i64>,
    /// One series per run: equity as % of its starting capital at each `ts`, `null` before
    /// the run starts and after it ends.
    pub equity_pct: Vec<Vec<Option<f64>>>,
}

/// One metric of compared runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompareRow {
    /// A field name of `Metrics`, e.g. `total_return_pct`.
    pub metric: String,
    /// One value per run, in the order of `runs`; `null` where the metric is undefined.
    pub values: Vec<Option<f64>>,
}
