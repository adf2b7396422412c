//! Parameter sweeps: a grid over numeric block parameters, run on all cores.
//!
//! Each combination is a full backtest (validate, compile, evaluate, simulate, measure),
//! but indicator outputs are shared between combinations through a bounded cache, so a
//! fast × slow moving-average grid computes each moving average once. Memory is bounded by
//! the number of workers plus the cache budget: combinations are streamed, never
//! materialised as combinations × bars arrays.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bb_domain::Candles;
use bb_metrics::Metrics;
use bb_strategy::catalogue::{self, BlockKind, ParamKind};
use bb_strategy::{CompileOptions, Keep, Series, StepCache, StrategyDocument, compile, validate};
use serde::{Deserialize, Serialize};

use crate::run::{BacktestConfig, measure_streamed};

/// One swept parameter: `node.param` and the values it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Axis {
    /// The block id.
    pub node: String,
    /// The block's parameter name.
    pub param: String,
    /// The values tried, in order.
    pub values: Vec<f64>,
}

impl Axis {
    pub fn name(&self) -> String {
        format!("{}.{}", self.node, self.param)
    }
}

impl FromStr for Axis {
    type Err = String;

    /// `node.param=START..END:STEP` (END included) or `node.param=V1,V2,...`.
    fn from_str(s: &str) -> Result<Axis, String> {
        let usage = || {
            format!(
                "\"{s}\": write node.param=START..END:STEP (e.g. fast.period=5..50:5) or node.param=V1,V2,V3"
            )
        };
        let (target, values) = s.split_once('=').ok_or_else(usage)?;
        let (node, param) = target.trim().split_once('.').ok_or_else(usage)?;
        let number = |t: &str| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(usage)
        };
        let values = if let Some((range, step)) = values.split_once(':') {
            let (start, end) = range.split_once("..").ok_or_else(usage)?;
            let (start, end, step) = (number(start)?, number(end)?, number(step)?);
            if step <= 0.0 || end < start {
                return Err(format!(
                    "\"{s}\": the range must go up (START <= END) with a positive STEP"
                ));
            }
            let count = ((end - start) / step + 1e-9).floor() as usize + 1;
            if count > 100_000 {
                return Err(format!("\"{s}\": {count} values on one axis is too many"));
            }
            (0..count).map(|k| start + k as f64 * step).collect()
        } else {
            values
                .split(',')
                .map(number)
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(Axis {
            node: node.to_string(),
            param: param.to_string(),
            values,
        })
    }
}

/// A rule that filters combinations, e.g. `fast.period<slow.period`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Constraint {
    /// A swept `node.param`.
    pub left: String,
    /// `<`, `<=`, `>` or `>=`.
    pub op: String,
    /// Another swept `node.param`.
    pub right: String,
}

impl FromStr for Constraint {
    type Err = String;
    fn from_str(s: &str) -> Result<Constraint, String> {
        for op in ["<=", ">=", "<", ">"] {
            if let Some((l, r)) = s.split_once(op) {
                return Ok(Constraint {
                    left: l.trim().into(),
                    op: op.into(),
                    right: r.trim().into(),
                });
            }
        }
        Err(format!(
            "\"{s}\": write a comparison of two swept parameters, e.g. fast.period<slow.period"
        ))
    }
}

/// The most cells a grid may have (the product of the axes' lengths, before constraints).
pub const MAX_GRID_CELLS: usize = 1_000_000;
/// The most constraints a sweep may have.
pub const MAX_CONSTRAINTS: usize = 20;

/// What to sweep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    pub axes: Vec<Axis>,
    pub constraints: Vec<Constraint>,
}

/// The outcome of one combination.
impl SweepSpec {
    /// Cells of the grid: the product of the axes' lengths, constraints ignored.
    pub fn grid_size(&self) -> usize {
        self.axes
            .iter()
            .map(|a| a.values.len())
            .fold(1usize, usize::saturating_mul)
    }

    /// Cells of the grid, or `None` when the product of the axes' lengths overflows. Computed
    /// from the lengths alone, never by enumerating.
    pub fn checked_grid_size(&self) -> Option<usize> {
        self.axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
    }

    /// Combinations of the grid that satisfy every constraint (what a sweep runs).
    pub fn combination_count(&self) -> usize {
        self.count_combinations(usize::MAX)
    }

    /// Like [`SweepSpec::combination_count`], but stops once more than `stop_after`
    /// combinations were found (then the answer is `stop_after + 1`), so a caller that only
    /// needs "none", "within the limit" or "over the limit" does not pay for the whole grid.
    /// Cells are visited without allocating; constraints are resolved to axis indices once.
    pub fn count_combinations(&self, stop_after: usize) -> usize {
        if self.constraints.is_empty() {
            let cells = self.checked_grid_size().unwrap_or(usize::MAX);
            return cells.min(stop_after.saturating_add(1));
        }
        let mut count = 0usize;
        self.for_each_valid(|_| {
            count += 1;
            count <= stop_after
        });
        count
    }

    /// Calls `f` with the index of every cell that satisfies every constraint, in order,
    /// until `f` returns `false`.
    fn for_each_valid(&self, mut f: impl FnMut(usize) -> bool) {
        let Some(cells) = self.checked_grid_size() else {
            return;
        };
        if cells == 0 {
            return;
        }
        let names: Vec<String> = self.axes.iter().map(Axis::name).collect();
        let index = |n: &str| names.iter().position(|x| x == n);
        // a constraint naming a parameter that is not swept holds trivially
        let rules: Vec<(usize, &str, usize)> = self
            .constraints
            .iter()
            .filter_map(|c| Some((index(&c.left)?, c.op.as_str(), index(&c.right)?)))
            .collect();
        let mut digits = vec![0usize; self.axes.len()];
        let mut values: Vec<f64> = self.axes.iter().map(|a| a.values[0]).collect();
        for k in 0..cells {
            let ok = rules.iter().all(|&(l, op, r)| {
                let (l, r) = (values[l], values[r]);
                match op {
                    "<" => l < r,
                    "<=" => l <= r,
                    ">" => l > r,
                    _ => l >= r,
                }
            });
            if ok && !f(k) {
                return;
            }
            // odometer: the last axis varies fastest, as in `combo`
            for axis in (0..digits.len()).rev() {
                digits[axis] += 1;
                if digits[axis] < self.axes[axis].values.len() {
                    values[axis] = self.axes[axis].values[digits[axis]];
                    break;
                }
                digits[axis] = 0;
                values[axis] = self.axes[axis].values[0];
            }
        }
    }

    /// Constraints that name something other than a swept parameter: `(index, name)`.
    pub fn unknown_constraint_names(&self) -> Vec<(usize, String)> {
        let names: Vec<String> = self.axes.iter().map(Axis::name).collect();
        let mut unknown = Vec::new();
        for (i, c) in self.constraints.iter().enumerate() {
            for side in [&c.left, &c.right] {
                if !names.contains(side) {
                    unknown.push((i, side.clone()));
                }
            }
        }
        unknown
    }

    /// The values of grid cell `k` (the last axis varies fastest).
    fn combo(&self, mut k: usize) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .axes
            .iter()
            .rev()
            .map(|a| {
                let v = a.values[k % a.values.len()];
                k /= a.values.len();
                v
            })
            .collect();
        values.reverse();
        values
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepRow {
    /// One value per axis, in axis order.
    pub values: Vec<f64>,
    /// The metrics, or why this combination could not run (e.g. a warm-up longer than the data).
    pub metrics: Option<Metrics>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    /// Why this combination could not run, when it could not.
    pub error: Option<String>,
    /// Sums of the per-bar returns in each consecutive block of bars, when the sweep was
    /// asked for them ([`SweepOptions::return_blocks`]); never stored.
    #[serde(skip)]
    pub returns: Vec<ReturnSums>,
}

/// Per-block sums of a combination's per-bar returns (see [`SweepOptions::return_blocks`]).
pub use bb_metrics::ReturnSums;

/// What a sweep computes beyond each combination's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SweepOptions {
    /// Cut each combination's per-bar returns into this many blocks and keep their sums in
    /// [`SweepRow::returns`] (0: none).
    pub return_blocks: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepResult {
    /// `node.param` of each axis.
    pub axes: Vec<String>,
    /// Grid size before constraints.
    pub grid_size: usize,
    pub rows: Vec<SweepRow>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    #[error("the sweep has no parameters")]
    NoAxes,
    #[error("{0}")]
    BadAxis(String),
    #[error("the data has fewer than two candles, so its timeframe is unknown")]
    UnknownTimeframe,
    #[error(
        "the grid has more than {max} cells (the product of the parameters' value counts); \
         narrow a range or take bigger steps",
        max = MAX_GRID_CELLS
    )]
    TooLarge,
    #[error("{count} constraints is too many; at most {max} are allowed", max = MAX_CONSTRAINTS)]
    TooManyConstraints { count: usize },
}

impl SweepResult {
    /// Sorts rows by a metric (a field name of [`Metrics`], e.g. `sharpe`), best first;
    /// rows without that metric go last.
    pub fn sort_by(&mut self, metric: &str, ascending: bool) {
        let key = |r: &SweepRow| r.metrics.as_ref().and_then(|m| metric_value(m, metric));
        self.rows.sort_by(|a, b| match (key(a), key(b)) {
            (Some(x), Some(y)) => {
                if ascending {
                    x.total_cmp(&y)
                } else {
                    y.total_cmp(&x)
                }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
}

/// A metric by its field name.
pub fn metric_value(m: &Metrics, name: &str) -> Option<f64> {
    serde_json::to_value(m).ok()?.get(name)?.as_f64()
}

/// Runs every combination of `spec` on `threads` workers. `progress(done, total)` is called
/// as combinations finish.
pub fn sweep(
    doc: &StrategyDocument,
    candles: &Candles,
    spec: &SweepSpec,
    config: &BacktestConfig,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepResult, SweepError> {
    sweep_with(
        doc,
        candles,
        spec,
        config,
        threads,
        &SweepOptions::default(),
        progress,
    )
}

/// [`sweep`] computing what `options` asks for besides the metrics.
pub fn sweep_with(
    doc: &StrategyDocument,
    candles: &Candles,
    spec: &SweepSpec,
    config: &BacktestConfig,
    threads: usize,
    options: &SweepOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepResult, SweepError> {
    if spec.axes.is_empty() {
        return Err(SweepError::NoAxes);
    }
    if spec.constraints.len() > MAX_CONSTRAINTS {
        return Err(SweepError::TooManyConstraints {
            count: spec.constraints.len(),
        });
    }
    let grid_size = spec
        .checked_grid_size()
        .filter(|&n| n <= MAX_GRID_CELLS)
        .ok_or(SweepError::TooLarge)?;
    check_axes(doc, spec)?;
    let timeframe = candles.timeframe().ok_or(SweepError::UnknownTimeframe)?;
    let names: Vec<String> = spec.axes.iter().map(Axis::name).collect();
    let combo = |k: usize| spec.combo(k);
    let mut valid: Vec<usize> = Vec::new();
    spec.for_each_valid(|k| {
        valid.push(k);
        true
    });
    let total = valid.len();
    let order = work_order(spec, &valid);
    let cache = SharedCache::new(CACHE_BUDGET_BYTES);
    let compile_options = CompileOptions {
        base_timeframe: Some(timeframe),
        bar_count: Some(candles.len()),
    };
    let threads = threads.clamp(
        1,
        max_workers(
            doc,
            spec,
            valid.first().map(|&k| combo(k)),
            &compile_options,
            candles.len(),
        ),
    );
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, SweepRow)>> = Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut local = Vec::new();
                let mut doc = doc.clone();
                let mut trades = Vec::new();
                let mut spare = Vec::new();
                // One combination: its metrics and return sums, or why it could not run.
                let mut run = |doc: &StrategyDocument| {
                    let plan = compile(&validate(doc), &compile_options)
                        .map_err(|errors| errors.first().map(|d| d.message.clone()))?;
                    let evaluation = plan
                        .evaluate_signals_reusing(candles, &cache, &mut spare)
                        .map_err(|e| Some(e.to_string()))?;
                    let measured = measure_streamed(
                        candles,
                        timeframe,
                        &plan,
                        &evaluation,
                        config,
                        options.return_blocks,
                        &mut trades,
                    );
                    evaluation.recycle(&mut spare);
                    Ok::<_, Option<String>>(measured)
                };
                while let Some(&k) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let values = combo(valid[k]);
                    for (axis, v) in spec.axes.iter().zip(&values) {
                        if let Some(node) = doc.node_mut(&axis.node) {
                            node.params.insert(axis.param.clone(), json_number(*v));
                        }
                    }
                    let row = match run(&doc) {
                        Ok((metrics, returns)) => SweepRow {
                            values,
                            metrics: Some(metrics),
                            error: None,
                            returns,
                        },
                        Err(error) => SweepRow {
                            values,
                            metrics: None,
                            error,
                            returns: Vec::new(),
                        },
                    };
                    local.push((k, row));
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                }
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
            });
        }
    });
    let mut rows = results.into_inner().unwrap_or_else(|e| e.into_inner());
    rows.sort_by_key(|(k, _)| *k);
    Ok(SweepResult {
        axes: names,
        grid_size,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    })
}

/// `doc` with each axis's parameter set to the value of `values` at the same index.
pub fn with_values(doc: &StrategyDocument, axes: &[Axis], values: &[f64]) -> StrategyDocument {
    let mut doc = doc.clone();
    for (axis, v) in axes.iter().zip(values) {
        if let Some(node) = doc.node_mut(&axis.node) {
            node.params.insert(axis.param.clone(), json_number(*v));
        }
    }
    doc
}

fn json_number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// Every axis must name a numeric parameter of a block in the document.
/// Every axis names a numeric parameter of a block of `doc`, with values of its kind.
pub fn check_axes(doc: &StrategyDocument, spec: &SweepSpec) -> Result<(), SweepError> {
    for axis in &spec.axes {
        let node = doc.node(&axis.node).ok_or_else(|| {
            SweepError::BadAxis(format!("the strategy has no block \"{}\"", axis.node))
        })?;
        let kind = BlockKind::from_name(&node.kind).ok_or_else(|| {
            SweepError::BadAxis(format!("block \"{}\" has an unknown kind", axis.node))
        })?;
        let param = catalogue::spec(kind).param(&axis.param).ok_or_else(|| {
            SweepError::BadAxis(format!(
                "block \"{}\" ({}) has no parameter \"{}\"",
                axis.node, kind, axis.param
            ))
        })?;
        match param.kind {
            ParamKind::Choice { .. } => {
                return Err(SweepError::BadAxis(format!(
                    "\"{}\" is a choice, not a number; only numeric parameters can be swept",
                    axis.name()
                )));
            }
            ParamKind::Integer { .. } if axis.values.iter().any(|v| v.fract() != 0.0) => {
                return Err(SweepError::BadAxis(format!(
                    "\"{}\" takes whole numbers",
                    axis.name()
                )));
            }
            _ => {}
        }
        if axis.values.is_empty() {
            return Err(SweepError::BadAxis(format!(
                "\"{}\" has no values",
                axis.name()
            )));
        }
    }
    Ok(())
}

/// Values per axis in one tile of [`work_order`].
const TILE: usize = 8;

/// The order in which the workers take the combinations, as indices into `valid` (cells in
/// grid order): tile after tile of [`TILE`] values along every axis, each tile in grid
/// order. The combinations of a tile share few indicator outputs (a fast × slow tile reads 8
/// fast and 8 slow moving averages), so these stay in the processor's cache from one
/// combination to the next; in grid order, a row of the grid reads every slow average
/// before the next fast one comes, and they no longer fit. Rows are reported in grid order
/// whatever the order of work.
fn work_order(spec: &SweepSpec, valid: &[usize]) -> Vec<usize> {
    let lens: Vec<usize> = spec.axes.iter().map(|a| a.values.len().max(1)).collect();
    let tile_of = |mut cell: usize| {
        // the cell's digits, last axis fastest, as in `combo`; the tiles' in the same radix
        let (mut tile, mut scale) = (0usize, 1usize);
        for &len in lens.iter().rev() {
            tile += (cell % len) / TILE * scale;
            scale *= len.div_ceil(TILE);
            cell /= len;
        }
        tile
    };
    let mut order: Vec<usize> = (0..valid.len()).collect();
    order.sort_unstable_by_key(|&j| (tile_of(valid[j]), j));
    order
}

/// Cache budget for shared step outputs; beyond it, outputs are recomputed. The workers'
/// own evaluations together stay within the same budget (see [`max_workers`]), so a sweep
/// takes at most twice [`bb_strategy::EVALUATION_BUDGET_BYTES`].
const CACHE_BUDGET_BYTES: usize = bb_strategy::EVALUATION_BUDGET_BYTES;

/// How many workers can evaluate at once within [`bb_strategy::EVALUATION_BUDGET_BYTES`]:
/// each evaluation's memory is estimated on the first combination's plan (every
/// combination has the same blocks, so nearly the same estimate). At least one; a plan
/// over the budget on its own is refused by `compile`.
fn max_workers(
    doc: &StrategyDocument,
    spec: &SweepSpec,
    first: Option<Vec<f64>>,
    options: &CompileOptions,
    bars: usize,
) -> usize {
    let mut doc = doc.clone();
    for (axis, v) in spec.axes.iter().zip(first.unwrap_or_default()) {
        if let Some(node) = doc.node_mut(&axis.node) {
            node.params.insert(axis.param.clone(), json_number(v));
        }
    }
    let unbounded = CompileOptions {
        bar_count: None,
        ..*options
    };
    match compile(&validate(&doc), &unbounded) {
        Ok(plan) => {
            let each = plan.evaluation_bytes(bars, Keep::Signals).max(1);
            (bb_strategy::EVALUATION_BUDGET_BYTES / each).max(1)
        }
        Err(_) => 1,
    }
}

/// A step cache shared by the sweep's workers, bounded in bytes.
struct SharedCache {
    map: RwLock<HashMap<String, Arc<Vec<Series>>>>,
    bytes: AtomicUsize,
    budget: usize,
}

impl SharedCache {
    fn new(budget: usize) -> SharedCache {
        SharedCache {
            map: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            budget,
        }
    }
}

impl StepCache for SharedCache {
    fn get(&self, key: &str) -> Option<Arc<Vec<Series>>> {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn put(&self, key: &str, outputs: &Arc<Vec<Series>>) {
        let size: usize = outputs
            .iter()
            .map(|s| match s {
                Series::Number(v) => v.len() * 8,
                Series::Boolean(v) => v.len(),
            })
            .sum();
        if self.bytes.load(Ordering::Relaxed) + size > self.budget {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.insert(key.to_string(), outputs.clone()).is_none() {
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(params: &[&str], constraints: &[&str]) -> SweepSpec {
        SweepSpec {
            axes: params.iter().map(|p| p.parse().unwrap()).collect(),
            constraints: constraints.iter().map(|c| c.parse().unwrap()).collect(),
        }
    }

    /// The count by enumeration, the slow way, as a reference.
    fn naive(spec: &SweepSpec) -> usize {
        let names: Vec<String> = spec.axes.iter().map(Axis::name).collect();
        (0..spec.grid_size())
            .filter(|&k| {
                let v = spec.combo(k);
                spec.constraints.iter().all(|c| {
                    let get = |n: &str| names.iter().position(|x| x == n).map(|i| v[i]);
                    match (get(&c.left), get(&c.right)) {
                        (Some(l), Some(r)) => match c.op.as_str() {
                            "<" => l < r,
                            "<=" => l <= r,
                            ">" => l > r,
                            _ => l >= r,
                        },
                        _ => true,
                    }
                })
            })
            .count()
    }

    #[test]
    fn counting_matches_enumeration() {
        for (params, constraints) in [
            (&["a.p=1..10:1", "b.p=1..10:1"][..], &["a.p<b.p"][..]),
            (&["a.p=1..10:1", "b.p=1..10:1"], &["a.p<=b.p", "a.p>=b.p"]),
            (
                &["a.p=1..5:1", "b.p=2,4", "c.p=1..3:1"],
                &["a.p>c.p", "b.p>a.p"],
            ),
            (&["a.p=1..5:1"], &[]),
            (&["a.p=1..5:1", "b.p=1..5:1"], &["a.p<b.p", "b.p<a.p"]),
        ] {
            let s = spec(params, constraints);
            assert_eq!(
                s.combination_count(),
                naive(&s),
                "{params:?} {constraints:?}"
            );
        }
    }

    #[test]
    fn counting_stops_after_the_limit() {
        let s = spec(&["a.p=1..1000:1", "b.p=1..1000:1"], &["a.p<b.p"]);
        assert_eq!(s.count_combinations(100), 101);
        assert_eq!(s.count_combinations(0), 1);
        assert_eq!(s.combination_count(), 999 * 1000 / 2);
    }

    #[test]
    fn grid_sizes_are_checked_not_enumerated() {
        let s = spec(&["a.p=1..1000:1", "b.p=1..1000:1"], &[]);
        assert_eq!(s.checked_grid_size(), Some(1_000_000));
        let huge = SweepSpec {
            axes: (0..8)
                .map(|i| format!("n{i}.p=1..100000:1").parse().unwrap())
                .collect(),
            constraints: Vec::new(),
        };
        assert_eq!(huge.checked_grid_size(), None);
    }

    #[test]
    fn constraints_on_unswept_parameters_are_listed() {
        let s = spec(&["a.p=1..3:1"], &["a.p<b.p", "a.p>=a.p"]);
        assert_eq!(s.unknown_constraint_names(), vec![(0, "b.p".to_string())]);
    }

    #[test]
    fn work_goes_tile_by_tile_and_covers_every_combination_once() {
        let spec = spec(&["a.x=0..19:1", "b.y=0..9:1"], &["a.x<=b.y"]);
        let mut valid = Vec::new();
        spec.for_each_valid(|k| {
            valid.push(k);
            true
        });
        let order = work_order(&spec, &valid);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..valid.len()).collect::<Vec<_>>());
        // cells are (x, y) with x <= y < 10: the first tile is x, y < 8 (36 cells), in grid
        // order; then x < 8 with y in 8..10 (16 cells); then x in 8..10 (3 cells)
        let cells: Vec<(usize, usize)> = order
            .iter()
            .map(|&j| (valid[j] / 10, valid[j] % 10))
            .collect();
        assert!(cells[..36].iter().all(|&(x, y)| x < 8 && y < 8));
        assert!(cells[..36].is_sorted());
        assert!(cells[36..52].iter().all(|&(x, y)| x < 8 && y >= 8));
        assert!(cells[52..].iter().all(|&(x, _)| x >= 8));
        assert_eq!(cells.len(), 55);
    }

    fn crossover() -> StrategyDocument {
        StrategyDocument::from_json(include_str!("../../../strategies/sma_crossover.json")).unwrap()
    }

    #[test]
    fn workers_are_limited_by_the_evaluation_budget() {
        let doc = crossover();
        let spec = SweepSpec {
            axes: vec!["fast.period=5..10:1".parse().unwrap()],
            constraints: vec![],
        };
        let options = CompileOptions::default();
        // Small data: the budget allows far more workers than any machine has.
        assert!(max_workers(&doc, &spec, Some(vec![5.0]), &options, 1_000) > 1_000);
        // 10 million bars: one plan alone takes most of the budget, so one worker.
        let bars = 10_000_000;
        let plan = compile(&validate(&doc), &options).unwrap();
        let each = plan.evaluation_bytes(bars, Keep::Signals);
        assert!(each > bb_strategy::EVALUATION_BUDGET_BYTES / 2, "{each}");
        assert_eq!(max_workers(&doc, &spec, Some(vec![5.0]), &options, bars), 1);
    }
}
