//! Evaluation of a plan over candle columns: every step's outputs, then the action signals.
//!
//! Every operation reads only the current and earlier bars, and a higher-timeframe value is
//! only exposed once its higher bar has closed, so appending future bars never changes an
//! earlier value (proven by a property test).

use std::borrow::Cow;
use std::sync::Arc;

use bb_domain::{Candles, Signals, Timeframe, resample};
use bb_indicators as ind;

use crate::limits::Keep;
use crate::ops;
use crate::plan::{Context, Direction, Field, Indicator, Op, Plan, Slot, Step};
use crate::series::Series;

/// Every step's outputs and the resulting signals.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Outputs per step, in plan order; `None` for a step not kept (see [`Keep`]: after a
    /// backtest's evaluation only the action inputs are left). Steps in a
    /// higher-timeframe context hold one value per higher bar; see
    /// [`Evaluation::higher_bars`].
    pub outputs: Vec<Option<Arc<Vec<Series>>>>,
    pub signals: Signals,
    /// ATR series the risk rules need, by period, on base bars.
    pub atr: Vec<(usize, Vec<f64>)>,
    /// For each higher timeframe used, its bars' open times.
    pub higher_bars: Vec<(Timeframe, Vec<i64>)>,
}

impl Evaluation {
    /// Gives the signal columns' memory to `spare`, for
    /// [`Plan::evaluate_signals_reusing`].
    pub fn recycle(self, spare: &mut Vec<Vec<bool>>) {
        let s = self.signals;
        spare.extend([s.enter_long, s.exit_long, s.enter_short, s.exit_short]);
    }
}

/// Why a plan cannot run on some candles.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluateError {
    #[error(
        "the data's timeframe cannot be determined (fewer than two bars or irregular timestamps), so a higher-timeframe block cannot be used"
    )]
    UnknownTimeframe,
    #[error(
        "the data has {base} bars; a higher timeframe of {higher} is not a larger multiple of it"
    )]
    TimeframeNotHigher { base: Timeframe, higher: Timeframe },
    /// The evaluation would take more memory than [`crate::EVALUATION_BUDGET_BYTES`];
    /// refused before anything is allocated.
    #[error("{0}")]
    TooLarge(String),
}

impl Plan {
    /// Runs the steps the actions need over `candles` and combines the action inputs into
    /// signals, freeing each step's outputs after their last reader ([`Keep::Signals`]).
    pub fn evaluate(&self, candles: &Candles) -> Result<Evaluation, EvaluateError> {
        self.evaluate_with(candles, &NoCache)
    }

    /// Runs every step and keeps every output ([`Keep::All`]), for the inspector.
    pub fn evaluate_all(&self, candles: &Candles) -> Result<Evaluation, EvaluateError> {
        self.evaluate_keeping(candles, &NoCache, Keep::All)
    }

    /// [`Plan::evaluate`], reusing step outputs from `cache` (keyed by [`crate::Step::key`])
    /// and offering it new ones. A cache must only ever be used with one set of candles.
    pub fn evaluate_with(
        &self,
        candles: &Candles,
        cache: &dyn StepCache,
    ) -> Result<Evaluation, EvaluateError> {
        self.evaluate_keeping(candles, cache, Keep::Signals)
    }

    /// [`Plan::evaluate_with`] for a caller that reads only the signals and the ATR series
    /// (a parameter sweep): an action input that only one action reads, and that nothing
    /// else holds, is moved into the signals instead of copied, so its entry of
    /// [`Evaluation::outputs`] is `None`. The signals are the same.
    pub fn evaluate_signals_with(
        &self,
        candles: &Candles,
        cache: &dyn StepCache,
    ) -> Result<Evaluation, EvaluateError> {
        self.evaluate_signals_reusing(candles, cache, &mut Vec::new())
    }

    /// [`Plan::evaluate_signals_with`] taking the signal columns' memory from `spare`
    /// (columns of an earlier evaluation the caller is done with, see
    /// [`Evaluation::recycle`]) instead of allocating it: a sweep evaluates thousands of
    /// plans over the same bars. The signals are the same.
    pub fn evaluate_signals_reusing(
        &self,
        candles: &Candles,
        cache: &dyn StepCache,
        spare: &mut Vec<Vec<bool>>,
    ) -> Result<Evaluation, EvaluateError> {
        self.evaluate_inner(candles, cache, Keep::Signals, true, spare)
    }

    /// The evaluation, keeping what `keep` says. Refused up front when the estimate of
    /// its memory ([`Plan::evaluation_bytes`]) is over the budget.
    pub fn evaluate_keeping(
        &self,
        candles: &Candles,
        cache: &dyn StepCache,
        keep: Keep,
    ) -> Result<Evaluation, EvaluateError> {
        self.evaluate_inner(candles, cache, keep, false, &mut Vec::new())
    }

    /// [`Plan::evaluate_keeping`]; with `move_actions`, as [`Plan::evaluate_signals_with`].
    /// Boolean columns the evaluation hands out (crossings, combined actions) take their
    /// memory from `spare` while it has some.
    fn evaluate_inner(
        &self,
        candles: &Candles,
        cache: &dyn StepCache,
        keep: Keep,
        move_actions: bool,
        spare: &mut Vec<Vec<bool>>,
    ) -> Result<Evaluation, EvaluateError> {
        if let Some(message) = self.check_budget(candles.len(), keep) {
            return Err(EvaluateError::TooLarge(message));
        }
        let contexts = self.contexts(candles)?;
        let needed = match keep {
            Keep::Signals => self.needed_steps(),
            Keep::All => vec![true; self.steps.len()],
        };
        // Steps whose outputs can be dropped once step `i` has run.
        let mut frees: Vec<Vec<usize>> = vec![Vec::new(); self.steps.len()];
        if keep == Keep::Signals {
            for (step, last) in self.last_uses().into_iter().enumerate() {
                if let Some(last) = last.filter(|&l| l < self.steps.len() && needed[step]) {
                    frees[last].push(step);
                }
            }
        }
        let base_ms = self
            .base_timeframe
            .or_else(|| candles.timeframe())
            .map_or(0, Timeframe::millis);
        let mut outputs: Vec<Option<Arc<Vec<Series>>>> = Vec::with_capacity(self.steps.len());
        // Crossings in both directions of the same two inputs: one pass computes both, the
        // second is kept here until its step comes.
        let partners = self.cross_partners(&needed);
        let mut early: Vec<(usize, Vec<Series>)> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            if !needed[i] {
                outputs.push(None);
                continue;
            }
            if let Some(at) = early.iter().position(|(j, _)| *j == i) {
                let (_, result) = early.swap_remove(at);
                outputs.push(Some(Arc::new(result)));
                for &done in &frees[i] {
                    outputs[done] = None;
                }
                continue;
            }
            if let (Some(j), Op::Cross(dir)) = (partners[i], step.op) {
                let (x, y) = (
                    live(&outputs, step.inputs[0]),
                    live(&outputs, step.inputs[1]),
                );
                let (mut up, mut down) = (
                    spare.pop().unwrap_or_default(),
                    spare.pop().unwrap_or_default(),
                );
                ops::cross_both_into(&x.numbers(), &y.numbers(), &mut up, &mut down);
                let (mine, theirs) = match dir {
                    Direction::Up => (up, down),
                    Direction::Down => (down, up),
                };
                early.push((j, vec![Series::Boolean(theirs)]));
                outputs.push(Some(Arc::new(vec![Series::Boolean(mine)])));
                for &done in &frees[i] {
                    outputs[done] = None;
                }
                continue;
            }
            let shareable = step.is_shareable();
            if shareable && let Some(hit) = cache.get(&step.key) {
                outputs.push(Some(hit));
                for &done in &frees[i] {
                    outputs[done] = None;
                }
                continue;
            }
            let data = contexts
                .iter()
                .find(|(c, _)| *c == step.context)
                .map(|(_, d)| d.as_ref())
                .unwrap_or(candles);
            let result = Arc::new(run_step(
                step,
                data,
                &outputs,
                (candles, base_ms),
                &contexts,
            ));
            if shareable {
                cache.put(&step.key, &result);
            }
            outputs.push(Some(result));
            for &done in &frees[i] {
                outputs[done] = None;
            }
        }
        let actions = [
            &self.enter_long,
            &self.exit_long,
            &self.enter_short,
            &self.exit_short,
        ];
        let mut columns = actions.map(|slots| {
            let moved = if move_actions {
                take_single(slots, &actions, &mut outputs, candles.len())
            } else {
                None
            };
            moved.unwrap_or_else(|| combine(slots, &outputs, candles.len(), spare))
        });
        let take = |c: &mut Vec<bool>| std::mem::take(c);
        let signals = Signals {
            enter_long: take(&mut columns[0]),
            exit_long: take(&mut columns[1]),
            enter_short: take(&mut columns[2]),
            exit_short: take(&mut columns[3]),
        };
        let atr = self
            .risk
            .atr_periods()
            .into_iter()
            .map(|p| {
                let key = format!("risk atr {p}");
                let series = match cache.get(&key).as_deref().map(|s| &s[..]) {
                    Some([Series::Number(v)]) => v.clone(),
                    _ => {
                        let v = ind::atr(&candles.high, &candles.low, &candles.close, p);
                        cache.put(&key, &Arc::new(vec![Series::Number(v.clone())]));
                        v
                    }
                };
                (p, series)
            })
            .collect();
        let higher_bars = contexts
            .iter()
            .filter_map(|(c, d)| match c {
                Context::Higher(tf) => Some((*tf, d.ts.clone())),
                Context::Base => None,
            })
            .collect();
        Ok(Evaluation {
            outputs,
            signals,
            atr,
            higher_bars,
        })
    }

    /// For each needed crossing step, the later needed step crossing the other way over the
    /// same inputs in the same context, if any (each step in at most one pair).
    fn cross_partners(&self, needed: &[bool]) -> Vec<Option<usize>> {
        let mut partners = vec![None; self.steps.len()];
        let mut taken = vec![false; self.steps.len()];
        for (i, s) in self.steps.iter().enumerate() {
            let Op::Cross(dir) = s.op else { continue };
            if !needed[i] || taken[i] {
                continue;
            }
            let other = self.steps.iter().enumerate().skip(i + 1).find(|(j, t)| {
                needed[*j]
                    && !taken[*j]
                    && t.op == Op::Cross(opposite(dir))
                    && t.inputs == s.inputs
                    && t.context == s.context
            });
            if let Some((j, _)) = other {
                partners[i] = Some(j);
                taken[i] = true;
                taken[j] = true;
            }
        }
        partners
    }

    /// The candles of every context the plan uses: the data itself and each higher
    /// timeframe, resampled once.
    fn contexts<'c>(
        &self,
        candles: &'c Candles,
    ) -> Result<Vec<(Context, Cow<'c, Candles>)>, EvaluateError> {
        let mut out: Vec<(Context, Cow<'c, Candles>)> =
            vec![(Context::Base, Cow::Borrowed(candles))];
        for step in &self.steps {
            let Context::Higher(tf) = step.context else {
                continue;
            };
            if out.iter().any(|(c, _)| *c == step.context) {
                continue;
            }
            let base = self
                .base_timeframe
                .or_else(|| candles.timeframe())
                .ok_or(EvaluateError::UnknownTimeframe)?;
            if tf <= base || !tf.is_multiple_of(base) {
                return Err(EvaluateError::TimeframeNotHigher { base, higher: tf });
            }
            out.push((step.context, Cow::Owned(resample(candles, base, tf))));
        }
        Ok(out)
    }
}

/// Step outputs shared between evaluations of different plans on the same candles (the
/// plans of a parameter sweep). Implementations decide what to keep.
pub trait StepCache: Sync {
    fn get(&self, key: &str) -> Option<Arc<Vec<Series>>>;
    fn put(&self, key: &str, outputs: &Arc<Vec<Series>>);
}

fn opposite(d: Direction) -> Direction {
    match d {
        Direction::Up => Direction::Down,
        Direction::Down => Direction::Up,
    }
}

/// A cache that keeps nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

impl StepCache for NoCache {
    fn get(&self, _: &str) -> Option<Arc<Vec<Series>>> {
        None
    }
    fn put(&self, _: &str, _: &Arc<Vec<Series>>) {}
}

/// The output `slot` of a step that is still alive. The evaluation keeps every step until
/// its last reader has run, and actions' inputs to the end, so a missing one is a bug; it
/// reads as a series of no values rather than a panic.
fn live(outputs: &[Option<Arc<Vec<Series>>>], slot: Slot) -> &Series {
    static NOTHING: Series = Series::Number(Vec::new());
    debug_assert!(
        outputs[slot.step].is_some(),
        "step {} read after it was freed",
        slot.step
    );
    outputs[slot.step]
        .as_deref()
        .and_then(|s| s.get(slot.output))
        .unwrap_or(&NOTHING)
}

/// The column of an action with one input, moved out of `outputs` (leaving `None`) when
/// it is a boolean series that no other action reads and nothing else holds; `None`
/// (and `outputs` untouched) otherwise.
fn take_single(
    slots: &[Slot],
    actions: &[&Vec<Slot>; 4],
    outputs: &mut [Option<Arc<Vec<Series>>>],
    len: usize,
) -> Option<Vec<bool>> {
    let [slot] = slots else { return None };
    let readers: usize = actions
        .iter()
        .map(|a| a.iter().filter(|s| s.step == slot.step).count())
        .sum();
    let entry = outputs.get_mut(slot.step)?;
    let unique = entry.as_ref().is_some_and(|arc| {
        readers == 1
            && Arc::strong_count(arc) == 1
            && Arc::weak_count(arc) == 0
            && matches!(arc.get(slot.output), Some(Series::Boolean(_)))
    });
    if !unique {
        return None;
    }
    let mut series = Arc::try_unwrap(entry.take()?).ok()?;
    let Series::Boolean(mut v) =
        std::mem::replace(&mut series[slot.output], Series::Boolean(Vec::new()))
    else {
        return None;
    };
    v.resize(len, false);
    Some(v)
}

fn combine(
    slots: &[Slot],
    outputs: &[Option<Arc<Vec<Series>>>],
    len: usize,
    spare: &mut Vec<Vec<bool>>,
) -> Vec<bool> {
    let mut acc = spare.pop().unwrap_or_default();
    acc.clear();
    if let [slot] = slots {
        acc.extend_from_slice(&live(outputs, *slot).booleans());
        acc.resize(len, false);
        return acc;
    }
    acc.resize(len, false);
    for slot in slots {
        let values = live(outputs, *slot).booleans();
        for (a, v) in acc.iter_mut().zip(values.iter()) {
            *a |= *v;
        }
    }
    acc
}

fn run_step(
    step: &Step,
    data: &Candles,
    outputs: &[Option<Arc<Vec<Series>>>],
    (base, base_ms): (&Candles, i64),
    contexts: &[(Context, Cow<'_, Candles>)],
) -> Vec<Series> {
    let input = |k: usize| -> &Series { live(outputs, step.inputs[k]) };
    let num = |k: usize| -> Cow<'_, [f64]> { input(k).numbers() };
    let boolean = |k: usize| -> Cow<'_, [bool]> { input(k).booleans() };
    let n = data.len();
    let one_number = |v: Vec<f64>| vec![Series::Number(v)];
    let one_bool = |v: Vec<bool>| vec![Series::Boolean(v)];
    match step.op {
        Op::Field(f) => one_number(field(data, f)),
        Op::Constant(c) => one_number(vec![c; n]),
        Op::HigherTimeframe(tf) => {
            let higher = contexts
                .iter()
                .find(|(c, _)| *c == Context::Higher(tf))
                .map(|(_, d)| d.as_ref());
            match higher {
                Some(h) => one_number(ops::last_closed(
                    &base.ts,
                    base_ms,
                    &h.ts,
                    tf.millis(),
                    &num(0),
                )),
                None => one_number(vec![f64::NAN; n]),
            }
        }
        Op::Indicator(i) => indicator(i, data, &|k| num(k)),
        Op::Arithmetic(a) => one_number(ops::arithmetic(a, &num(0), &num(1))),
        Op::Absolute => one_number(num(0).iter().map(|x| x.abs()).collect()),
        Op::Window(w, bars) => one_number(ops::window(w, bars, &num(0))),
        Op::Compare(c) => one_bool(ops::compare(c, &num(0), &num(1))),
        Op::Cross(d) => one_bool(ops::cross(d, &num(0), &num(1))),
        Op::Trend(d, bars) => one_bool(ops::trend(d, bars, &num(0))),
        Op::Between => {
            let (x, lo, hi) = (num(0), num(1), num(2));
            one_bool((0..n).map(|i| x[i] >= lo[i] && x[i] <= hi[i]).collect())
        }
        Op::And => one_bool(
            boolean(0)
                .iter()
                .zip(boolean(1).iter())
                .map(|(a, b)| *a && *b)
                .collect(),
        ),
        Op::Or => one_bool(
            boolean(0)
                .iter()
                .zip(boolean(1).iter())
                .map(|(a, b)| *a || *b)
                .collect(),
        ),
        Op::Not => one_bool(boolean(0).iter().map(|a| !a).collect()),
    }
}

fn field(c: &Candles, f: Field) -> Vec<f64> {
    match f {
        Field::Open => c.open.clone(),
        Field::High => c.high.clone(),
        Field::Low => c.low.clone(),
        Field::Close => c.close.clone(),
        Field::Volume => c.volume.clone(),
        Field::Hl2 => c.hl2(),
        Field::Hlc3 => c.hlc3(),
        Field::Ohlc4 => c.ohlc4(),
    }
}

fn indicator<'a>(
    i: Indicator,
    c: &Candles,
    input: &dyn Fn(usize) -> Cow<'a, [f64]>,
) -> Vec<Series> {
    let (h, l, cl, v) = (&c.high[..], &c.low[..], &c.close[..], &c.volume[..]);
    let nums = |vs: Vec<Vec<f64>>| vs.into_iter().map(Series::Number).collect();
    let one = |v: Vec<f64>| vec![Series::Number(v)];
    match i {
        Indicator::Sma(p) => one(ind::sma(&input(0), p)),
        Indicator::Ema(p) => one(ind::ema(&input(0), p)),
        Indicator::Wma(p) => one(ind::wma(&input(0), p)),
        Indicator::Dema(p) => one(ind::dema(&input(0), p)),
        Indicator::Tema(p) => one(ind::tema(&input(0), p)),
        Indicator::Kama(p) => one(ind::kama(&input(0), p)),
        Indicator::Rsi(p) => one(ind::rsi(&input(0), p)),
        Indicator::Stochastic {
            fastk,
            slowk,
            slowd,
        } => {
            let s = ind::stoch(h, l, cl, fastk, slowk, slowd);
            nums(vec![s.k, s.d])
        }
        Indicator::StochasticRsi {
            period,
            fastk,
            fastd,
        } => {
            let s = ind::stoch_rsi(&input(0), period, fastk, fastd);
            nums(vec![s.k, s.d])
        }
        Indicator::Macd { fast, slow, signal } => {
            let m = ind::macd(&input(0), fast, slow, signal);
            nums(vec![m.macd, m.signal, m.histogram])
        }
        Indicator::Ppo { fast, slow } => one(ind::ppo(&input(0), fast, slow)),
        Indicator::Roc(p) => one(ind::roc(&input(0), p)),
        Indicator::Momentum(p) => one(ind::momentum(&input(0), p)),
        Indicator::WilliamsR(p) => one(ind::williams_r(h, l, cl, p)),
        Indicator::Cci(p) => one(ind::cci(h, l, cl, p)),
        Indicator::Mfi(p) => one(ind::mfi(h, l, cl, v, p)),
        Indicator::Adx(p) => {
            let a = ind::adx(h, l, cl, p);
            nums(vec![a.adx, a.plus_di, a.minus_di])
        }
        Indicator::Aroon(p) => {
            let a = ind::aroon(h, l, p);
            let osc = a.up.iter().zip(&a.down).map(|(u, d)| u - d).collect();
            nums(vec![a.up, a.down, osc])
        }
        Indicator::Bollinger { period, deviations } => {
            let b = ind::bollinger(&input(0), period, deviations);
            nums(vec![b.upper, b.middle, b.lower, b.percent_b, b.width])
        }
        Indicator::Atr(p) => one(ind::atr(h, l, cl, p)),
        Indicator::Natr(p) => one(ind::natr(h, l, cl, p)),
        Indicator::StdDev { period, deviations } => one(ind::stddev(&input(0), period, deviations)),
        Indicator::ParabolicSar {
            acceleration,
            maximum,
        } => one(ind::parabolic_sar(h, l, acceleration, maximum)),
        Indicator::Obv => one(ind::obv(cl, v)),
        Indicator::ChaikinAd => one(ind::chaikin_ad(h, l, cl, v)),
        Indicator::Vwap(p) => one(ind::rolling_vwap(h, l, cl, v, p)),
        Indicator::Donchian(p) => {
            let d = ind::donchian(h, l, p);
            nums(vec![d.upper, d.lower, d.middle])
        }
        Indicator::LinregSlope(p) => one(ind::linreg_slope(&input(0), p)),
    }
}
