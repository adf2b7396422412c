//! Streaming evaluation: a plan advanced one closed candle at a time, giving for every bar
//! exactly (bit for bit, NaN for NaN) what [`Plan::evaluate_all`] gives for that bar: every
//! step's outputs, the four action signals and the ATR series of the risk rules. The cost
//! of a bar does not depend on how many came before, and the state is bounded (windows are
//! ring buffers of their period), so a [`PlanStream`] can run for ever and be cloned to fork.
//!
//! What is not reproduced is refused, never approximated: an input value missing in the
//! middle of a series (after a division by zero, say) that a TA-Lib indicator's batch form
//! handles in a way the stream cannot follow (see `bb_indicators::stream`) marks that step
//! and everything downstream of it as failed; [`PlanStream::push`] returns
//! [`StreamError::Unsupported`] once an action depends on a failed step.

mod higher;
mod indicators;
mod ops;

use std::sync::Arc;

use bb_domain::{Candles, Timeframe};
use bb_indicators::stream::{Spec, TaStream};

pub use higher::Bar;

use crate::evaluate::EvaluateError;
use crate::ops::{arithmetic_fn, compare_fn};
use crate::plan::{Context, Field, Op, Plan, Slot, Step};
use higher::Resampler;
use indicators::IndicatorState;
use ops::{CrossState, TrendState, WindowState};

/// One output of a step on one bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Boolean(bool),
}

impl Value {
    /// The number; yes/no reads as 1/0 (as [`crate::Series::numbers`]).
    pub fn number(self) -> f64 {
        match self {
            Value::Number(x) => x,
            Value::Boolean(b) => f64::from(u8::from(b)),
        }
    }

    /// Yes/no; a number reads as "has a non-zero value" (as [`crate::Series::booleans`]).
    pub fn boolean(self) -> bool {
        match self {
            Value::Number(x) => x != 0.0 && !x.is_nan(),
            Value::Boolean(b) => b,
        }
    }
}

/// What one bar gives.
#[derive(Clone, Debug, PartialEq)]
pub struct BarOutput {
    pub enter_long: bool,
    pub exit_long: bool,
    pub enter_short: bool,
    pub exit_short: bool,
    /// The ATR values the risk rules need on this bar, by period.
    pub atr: Vec<(usize, f64)>,
}

/// Why a bar could not be streamed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    #[error("bar at {ts} is not after the previous bar ({previous})")]
    NotIncreasing { ts: i64, previous: i64 },
    #[error("bar at {ts} has a price or volume that is not a finite number")]
    NotFinite { ts: i64 },
    /// A step the actions depend on received a value it cannot stream exactly (see the
    /// module documentation).
    #[error(
        "step {step} received a missing or infinite value after its first one, which streaming cannot reproduce exactly"
    )]
    Unsupported { step: usize },
}

#[derive(Clone, Debug)]
enum State {
    None,
    Indicator(IndicatorState),
    Window(WindowState),
    Cross(CrossState),
    Trend(TrendState),
    /// Index of the step's timeframe in [`PlanStream::higher`].
    Higher(usize),
}

/// A plan being evaluated one bar at a time. See the module documentation.
#[derive(Clone, Debug)]
pub struct PlanStream {
    plan: Arc<Plan>,
    states: Vec<State>,
    /// Each step's outputs on the latest bar of its context.
    values: Vec<Vec<Value>>,
    /// Steps that can no longer be streamed exactly (and everything downstream).
    failed: Vec<bool>,
    /// The timeframes used, their resamplers and whether a higher bar has closed yet.
    higher: Vec<(Resampler, bool)>,
    atr: Vec<(usize, TaStream)>,
    scratch: Vec<f64>,
    last_ts: Option<i64>,
    bars: usize,
}

impl Plan {
    /// A stream over bars of `base_timeframe` (the plan's own base timeframe, when it was
    /// compiled with one, takes precedence, as in [`Plan::evaluate`]).
    pub fn stream(&self, base_timeframe: Timeframe) -> Result<PlanStream, EvaluateError> {
        let base = self.base_timeframe.unwrap_or(base_timeframe);
        let mut higher: Vec<(Resampler, bool)> = Vec::new();
        let mut states = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            if let Context::Higher(tf) = step.context
                && !higher.iter().any(|(r, _)| r.tf == tf)
            {
                if tf <= base || !tf.is_multiple_of(base) {
                    return Err(EvaluateError::TimeframeNotHigher { base, higher: tf });
                }
                higher.push((Resampler::new(tf, base), false));
            }
            states.push(match step.op {
                Op::Indicator(i) => State::Indicator(IndicatorState::new(i)),
                Op::Window(w, bars) => State::Window(WindowState::new(w, bars)),
                Op::Cross(_) => State::Cross(CrossState::default()),
                Op::Trend(..) => State::Trend(TrendState::default()),
                _ => State::None,
            });
        }
        for (i, step) in self.steps.iter().enumerate() {
            if let Op::HigherTimeframe(tf) = step.op {
                let index = match higher.iter().position(|(r, _)| r.tf == tf) {
                    Some(k) => k,
                    None => {
                        if tf <= base || !tf.is_multiple_of(base) {
                            return Err(EvaluateError::TimeframeNotHigher { base, higher: tf });
                        }
                        higher.push((Resampler::new(tf, base), false));
                        higher.len() - 1
                    }
                };
                states[i] = State::Higher(index);
            }
        }
        Ok(PlanStream {
            values: self
                .steps
                .iter()
                .map(|s| vec![Value::Number(f64::NAN); s.outputs])
                .collect(),
            failed: vec![false; self.steps.len()],
            atr: self
                .risk
                .atr_periods()
                .into_iter()
                .map(|p| (p, TaStream::new(Spec::Atr(p))))
                .collect(),
            scratch: Vec::new(),
            plan: Arc::new(self.clone()),
            states,
            higher,
            last_ts: None,
            bars: 0,
        })
    }
}

impl PlanStream {
    /// Starts from history: pushes every bar of `candles`, returning the last bar's output.
    pub fn warm(&mut self, candles: &Candles) -> Result<Option<BarOutput>, StreamError> {
        let mut last = None;
        for i in 0..candles.len() {
            last = Some(self.push(
                candles.ts[i],
                candles.open[i],
                candles.high[i],
                candles.low[i],
                candles.close[i],
                candles.volume[i],
            )?);
        }
        Ok(last)
    }

    /// Advances by one closed bar (open time `ts`, Unix ms) and returns its signals and
    /// ATRs. A refused bar (not after the previous one, not finite) changes nothing.
    pub fn push(
        &mut self,
        ts: i64,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Result<BarOutput, StreamError> {
        if let Some(previous) = self.last_ts
            && ts <= previous
        {
            return Err(StreamError::NotIncreasing { ts, previous });
        }
        if ![open, high, low, close, volume]
            .iter()
            .all(|x| x.is_finite())
        {
            return Err(StreamError::NotFinite { ts });
        }
        self.last_ts = Some(ts);
        self.bars += 1;
        let bar = Bar {
            ts,
            open,
            high,
            low,
            close,
            volume,
        };
        let plan = Arc::clone(&self.plan);
        for k in 0..self.higher.len() {
            let closed = self.higher[k].0.push(&bar);
            for higher_bar in closed.iter().flatten() {
                let context = Context::Higher(self.higher[k].0.tf);
                self.run(&plan, context, higher_bar);
                self.higher[k].1 = true;
            }
        }
        self.run(&plan, Context::Base, &bar);
        let any = |slots: &[Slot]| -> Result<bool, StreamError> {
            let mut acc = false;
            for s in slots {
                if self.failed[s.step] {
                    return Err(StreamError::Unsupported { step: s.step });
                }
                acc |= self.values[s.step][s.output].boolean();
            }
            Ok(acc)
        };
        let (enter_long, exit_long) = (any(&plan.enter_long)?, any(&plan.exit_long)?);
        let (enter_short, exit_short) = (any(&plan.enter_short)?, any(&plan.exit_short)?);
        let atr = self
            .atr
            .iter_mut()
            .map(|(p, s)| {
                (
                    *p,
                    s.push([high, low, close, volume])
                        .map_or(f64::NAN, |o| o[0]),
                )
            })
            .collect();
        Ok(BarOutput {
            enter_long,
            exit_long,
            enter_short,
            exit_short,
            atr,
        })
    }

    /// Bars pushed so far.
    pub fn bars(&self) -> usize {
        self.bars
    }

    /// The latest outputs of step `step` (for a higher-timeframe step: of its latest closed
    /// higher bar), or `None` when the step failed (see [`StreamError::Unsupported`]).
    pub fn outputs(&self, step: usize) -> Option<&[Value]> {
        (!self.failed.get(step).copied().unwrap_or(true)).then(|| &self.values[step][..])
    }

    /// The latest value of one output.
    pub fn value(&self, slot: Slot) -> Option<Value> {
        self.outputs(slot.step)?.get(slot.output).copied()
    }

    /// Runs the steps of `context` on its next bar, in plan order.
    fn run(&mut self, plan: &Plan, context: Context, bar: &Bar) {
        for (i, step) in plan.steps.iter().enumerate() {
            if step.context != context {
                continue;
            }
            if self.failed[i] || step.inputs.iter().any(|s| self.failed[s.step]) {
                self.failed[i] = true;
                continue;
            }
            if self.step(i, step, bar).is_err() {
                self.failed[i] = true;
            }
        }
    }

    fn step(
        &mut self,
        i: usize,
        step: &Step,
        bar: &Bar,
    ) -> Result<(), bb_indicators::stream::Unsupported> {
        let values = &self.values;
        let num = |k: usize| -> f64 {
            step.inputs
                .get(k)
                .map_or(f64::NAN, |s| values[s.step][s.output].number())
        };
        let boolean = |k: usize| -> bool {
            step.inputs
                .get(k)
                .is_some_and(|s| values[s.step][s.output].boolean())
        };
        let number = match step.op {
            Op::Field(f) => Some(field(bar, f)),
            Op::Constant(c) => Some(c),
            Op::HigherTimeframe(_) => {
                let closed = match self.states[i] {
                    State::Higher(k) => self.higher[k].1,
                    _ => false,
                };
                Some(if closed { num(0) } else { f64::NAN })
            }
            Op::Arithmetic(a) => Some(arithmetic_fn(a)(num(0), num(1))),
            Op::Absolute => Some(num(0).abs()),
            Op::Window(w, _) => match &mut self.states[i] {
                State::Window(s) => Some(s.push(w, num(0))?),
                _ => None,
            },
            _ => None,
        };
        let boolean = match step.op {
            Op::Compare(c) => Some(compare_fn(c)(num(0), num(1))),
            Op::Cross(d) => match &mut self.states[i] {
                State::Cross(s) => Some(s.push(d, num(0), num(1))),
                _ => None,
            },
            Op::Trend(d, bars) => match &mut self.states[i] {
                State::Trend(s) => Some(s.push(d, bars, num(0))),
                _ => None,
            },
            Op::Between => {
                let (x, lo, hi) = (num(0), num(1), num(2));
                Some(x >= lo && x <= hi)
            }
            Op::And => Some(boolean(0) && boolean(1)),
            Op::Or => Some(boolean(0) || boolean(1)),
            Op::Not => Some(!boolean(0)),
            _ => None,
        };
        if let Some(x) = number {
            self.values[i][0] = Value::Number(x);
        } else if let Some(b) = boolean {
            self.values[i][0] = Value::Boolean(b);
        } else if let (Op::Indicator(ind), State::Indicator(s)) = (step.op, &mut self.states[i]) {
            let x = num(0);
            self.scratch.clear();
            self.scratch.resize(step.outputs, f64::NAN);
            s.push(ind, x, bar, &mut self.scratch)?;
            for (v, &x) in self.values[i].iter_mut().zip(&self.scratch) {
                *v = Value::Number(x);
            }
        }
        Ok(())
    }
}

fn field(c: &Bar, f: Field) -> f64 {
    match f {
        Field::Open => c.open,
        Field::High => c.high,
        Field::Low => c.low,
        Field::Close => c.close,
        Field::Volume => c.volume,
        Field::Hl2 => (c.high + c.low) / 2.0,
        Field::Hlc3 => (c.high + c.low + c.close) / 3.0,
        Field::Ohlc4 => (c.open + c.high + c.low + c.close) / 4.0,
    }
}
