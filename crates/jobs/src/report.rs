//! A run's result as stored and served: the engine's report ([`BacktestReport`] or
//! [`SweepReport`], with its data provenance) and the headline numbers kept on the run
//! itself (its summary). Every layer reads them back into these types; nothing downstream
//! looks into the JSON by name.

use bb_backtest::{BacktestReport, SweepReport, WarningCode};
use bb_domain::Timeframe;
use bb_metrics::Metrics;
use bb_store::RunKind;
use serde::{Deserialize, Serialize};

use crate::request::{BacktestRequest, RobustnessRequest, SweepRequest};
use bb_backtest::SweepAssumptions;
use bb_robustness::lab::LabReport;
use bb_robustness::verdict::{Check, Level};

/// The headline numbers of a succeeded backtest, kept on the run for lists and
/// notifications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacktestSummary {
    /// The strategy's name.
    pub strategy: String,
    /// The candles, in words, e.g. "dataset BTC-USD:1d (demo)".
    pub dataset: String,
    /// The bars the strategy ran on, e.g. "1d".
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub timeframe: Timeframe,
    /// Open time of the first and last bar, Unix ms.
    pub from_ts: i64,
    /// Open time of the last bar, Unix ms.
    pub to_ts: i64,
    /// Starting cash, quote currency.
    pub initial_capital: f64,
    /// Equity at the last bar, quote currency; `null` when there were no bars.
    pub final_equity: Option<f64>,
    pub metrics: Metrics,
    /// The codes of the report's warnings.
    pub warnings: Vec<WarningCode>,
}

/// The headline of a succeeded sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepSummary {
    /// The candles, in words.
    pub dataset: String,
    /// `node.param` of each swept parameter.
    pub axes: Vec<String>,
    /// Combinations run.
    pub combinations: usize,
    /// The metric the rows are sorted by.
    pub sort: String,
    /// The best combination, when any could run.
    pub best: Option<SweepBest>,
}

/// One combination: its values (one per axis) and metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepBest {
    /// One value per axis, in the order of the sweep's `axes`.
    pub values: Vec<f64>,
    pub metrics: Option<Metrics>,
}

impl SweepSummary {
    pub fn of(report: &SweepReport, dataset: &str) -> SweepSummary {
        SweepSummary {
            dataset: dataset.to_owned(),
            axes: report.axes.clone(),
            combinations: report.combinations,
            sort: report.sort.clone(),
            best: report.best().map(|r| SweepBest {
                values: r.values.clone(),
                metrics: r.metrics.clone(),
            }),
        }
    }
}

/// A robustness run's report: the lab's findings and the settings every backtest in it
/// shared (with the data's provenance).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RobustnessReport {
    pub lab: LabReport,
    pub assumptions: SweepAssumptions,
}

/// The headline of a succeeded robustness run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RobustnessSummary {
    /// The candles, in words.
    pub dataset: String,
    /// `node.param` of each swept parameter.
    pub axes: Vec<String>,
    /// Combinations tried on the development data.
    pub combinations: usize,
    /// The worst verdict.
    pub overall: Level,
    /// The overall verdict in a sentence.
    pub headline: String,
    /// Each check's level, worst first.
    pub verdicts: Vec<VerdictLevel>,
    /// The chosen values, one per axis.
    pub chosen: Option<Vec<f64>>,
    /// Walk-forward efficiency (stitched out-of-sample ÷ in-sample growth).
    pub walk_forward_efficiency: Option<f64>,
    /// Probability of backtest overfitting.
    pub pbo: Option<f64>,
    /// Deflated Sharpe ratio.
    pub deflated_sharpe: Option<f64>,
    /// The seed of the Monte Carlo checks.
    pub seed: u64,
}

/// One check's level and headline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictLevel {
    pub check: Check,
    pub level: Level,
    pub headline: String,
}

impl RobustnessSummary {
    pub fn of(report: &LabReport, dataset: &str) -> RobustnessSummary {
        RobustnessSummary {
            dataset: dataset.to_owned(),
            axes: report.axes.clone(),
            combinations: report.combinations,
            overall: report.overall,
            headline: report.headline.clone(),
            verdicts: report
                .verdicts
                .iter()
                .map(|v| VerdictLevel {
                    check: v.check,
                    level: v.level,
                    headline: v.headline.clone(),
                })
                .collect(),
            chosen: report.chosen.as_ref().map(|c| c.values.clone()),
            walk_forward_efficiency: report.walk_forward.as_ref().and_then(|w| w.efficiency),
            pbo: report.pbo.as_ref().map(|p| p.pbo),
            deflated_sharpe: report.deflated_sharpe.as_ref().map(|d| d.dsr),
            seed: report.spec.seed,
        }
    }
}

/// A run's summary, by its kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum RunSummary {
    Backtest(BacktestSummary),
    Sweep(SweepSummary),
    Robustness(RobustnessSummary),
}

/// What a run was asked to do, by its kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RunParameters {
    Backtest(BacktestRequest),
    Sweep(SweepRequest),
    Robustness(RobustnessRequest),
}

/// `anyOf`, not the derive's `oneOf`: a sweep's or a robustness check's parameters hold every
/// field of a backtest's (and the request schemas allow more fields), so a sweep's would match
/// two branches and break `oneOf`. The run's `kind` says which one it is.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RunParameters {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::ToSchema;
        use utoipa::openapi::schema::{AnyOfBuilder, Ref};
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(BacktestRequest::name()))
            .item(Ref::from_schema_name(SweepRequest::name()))
            .item(Ref::from_schema_name(RobustnessRequest::name()))
            .description(Some("What a run was asked to do, by its kind."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RunParameters {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::{PartialSchema, ToSchema};
        schemas.push((BacktestRequest::name().into(), BacktestRequest::schema()));
        schemas.push((SweepRequest::name().into(), SweepRequest::schema()));
        schemas.push((
            RobustnessRequest::name().into(),
            RobustnessRequest::schema(),
        ));
        <BacktestRequest as ToSchema>::schemas(schemas);
        <SweepRequest as ToSchema>::schemas(schemas);
        <RobustnessRequest as ToSchema>::schemas(schemas);
    }
}

/// The stored report's format version, written beside the report's own fields.
///
/// - 1: reports stored before versions existed (no `report_version` field).
/// - 2: the same fields, typed end to end, with `report_version`.
///
/// An older version reads through serde defaults; a change that cannot be defaulted adds a
/// migration step in [`RunReport::read`].
pub const REPORT_VERSION: u32 = 2;

fn first_version() -> u32 {
    1
}

/// A report as stored: its version and its own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stored<T> {
    #[serde(default = "first_version")]
    pub report_version: u32,
    #[serde(flatten)]
    pub report: T,
}

impl<T> Stored<T> {
    /// A report written today.
    pub fn new(report: T) -> Stored<T> {
        Stored {
            report_version: REPORT_VERSION,
            report,
        }
    }
}

/// A stored run's report, by its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum RunReport {
    Backtest(Box<BacktestReport>),
    Sweep(Box<SweepReport>),
    Robustness(Box<RobustnessReport>),
}

/// A stored value that does not read as its type: a bug or a format without a migration.
#[derive(Debug, thiserror::Error)]
#[error("the stored {what} of a {kind} run cannot be read: {error}")]
pub struct ReadError {
    what: &'static str,
    kind: &'static str,
    error: serde_json::Error,
}

fn read<T: serde::de::DeserializeOwned>(
    what: &'static str,
    kind: RunKind,
    value: serde_json::Value,
) -> Result<T, ReadError> {
    serde_json::from_value(value).map_err(|error| ReadError {
        what,
        kind: kind.as_str(),
        error,
    })
}

impl RunSummary {
    pub fn read(kind: RunKind, value: serde_json::Value) -> Result<RunSummary, ReadError> {
        Ok(match kind {
            RunKind::Backtest => RunSummary::Backtest(read("summary", kind, value)?),
            RunKind::Sweep => RunSummary::Sweep(read("summary", kind, value)?),
            RunKind::Robustness => RunSummary::Robustness(read("summary", kind, value)?),
        })
    }
}

impl RunParameters {
    pub fn read(kind: RunKind, value: serde_json::Value) -> Result<RunParameters, ReadError> {
        Ok(match kind {
            RunKind::Backtest => RunParameters::Backtest(read("settings", kind, value)?),
            RunKind::Sweep => RunParameters::Sweep(read("settings", kind, value)?),
            RunKind::Robustness => RunParameters::Robustness(read("settings", kind, value)?),
        })
    }
}

impl RunReport {
    /// Reads a stored report of any version into today's types.
    pub fn read(kind: RunKind, value: serde_json::Value) -> Result<RunReport, ReadError> {
        Ok(match kind {
            RunKind::Backtest => {
                let stored: Stored<BacktestReport> = read("report", kind, value)?;
                RunReport::Backtest(Box::new(stored.report))
            }
            RunKind::Sweep => {
                let stored: Stored<SweepReport> = read("report", kind, value)?;
                RunReport::Sweep(Box::new(stored.report))
            }
            RunKind::Robustness => {
                let stored: Stored<RobustnessReport> = read("report", kind, value)?;
                RunReport::Robustness(Box::new(stored.report))
            }
        })
    }
}
