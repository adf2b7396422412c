//! One symbol's plan stream and the columns the simulator reads, grown one candle at a time.

use bb_domain::{Candles, RiskRules, Signals, Timeframe};
use bb_simulator::SimInput;
use bb_strategy::{Bar, BarOutput, EvaluateError, Plan, PlanStream, StreamError};

/// A plan evaluated candle by candle, with the candles, signals and ATR series it produced so
/// far: what [`bb_simulator`] reads of one symbol.
#[derive(Clone, Debug)]
pub(crate) struct Feed {
    stream: PlanStream,
    risk: RiskRules,
    candles: Candles,
    signals: Signals,
    atr: Vec<(usize, Vec<f64>)>,
    /// The last candle given to the plan (warm-up included).
    last_ts: Option<i64>,
}

impl Feed {
    /// A feed for `plan` on candles of `timeframe`.
    pub(crate) fn new(plan: &Plan, timeframe: Timeframe) -> Result<Feed, EvaluateError> {
        let atr = plan
            .risk
            .atr_periods()
            .into_iter()
            .map(|p| (p, Vec::new()))
            .collect();
        Ok(Feed {
            stream: plan.stream(timeframe)?,
            risk: plan.risk.clone(),
            candles: Candles::default(),
            signals: Signals::none(0),
            atr,
            last_ts: None,
        })
    }

    /// Evaluates the next closed candle with the plan; [`Feed::record`] then keeps it. A
    /// refused candle changes nothing.
    pub(crate) fn evaluate(&mut self, bar: &Bar) -> Result<BarOutput, StreamError> {
        let out = self
            .stream
            .push(bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume)?;
        self.last_ts = Some(bar.ts);
        Ok(out)
    }

    /// Keeps a candle and what [`Feed::evaluate`] gave for it.
    pub(crate) fn record(&mut self, bar: &Bar, out: &BarOutput) {
        self.candles
            .push(bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume);
        self.signals.enter_long.push(out.enter_long);
        self.signals.exit_long.push(out.exit_long);
        self.signals.enter_short.push(out.enter_short);
        self.signals.exit_short.push(out.exit_short);
        for (period, series) in &mut self.atr {
            let value = out
                .atr
                .iter()
                .find(|(p, _)| p == period)
                .map_or(f64::NAN, |(_, v)| *v);
            series.push(value);
        }
    }

    /// [`Feed::evaluate`] then [`Feed::record`].
    pub(crate) fn push(&mut self, bar: &Bar) -> Result<BarOutput, StreamError> {
        let out = self.evaluate(bar)?;
        self.record(bar, &out);
        Ok(out)
    }

    /// Feeds candles to the plan only (its indicators' warm-up); nothing once a candle was
    /// kept.
    pub(crate) fn warm(&mut self, candles: &Candles) -> Result<(), StreamError> {
        if !self.candles.is_empty() {
            return Ok(());
        }
        for i in 0..candles.len() {
            self.evaluate(&bar(candles, i))?;
        }
        Ok(())
    }

    /// The time of the last candle given to the plan, warm-up included.
    pub(crate) fn last_ts(&self) -> Option<i64> {
        self.last_ts
    }

    /// The candles kept so far.
    pub(crate) fn candles(&self) -> &Candles {
        &self.candles
    }

    /// Drops the first `n` candles kept (and their signals and ATR values).
    pub(crate) fn forget(&mut self, n: usize) {
        let c = &mut self.candles;
        c.ts.drain(..n);
        for col in [
            &mut c.open,
            &mut c.high,
            &mut c.low,
            &mut c.close,
            &mut c.volume,
        ] {
            col.drain(..n);
        }
        let s = &mut self.signals;
        for col in [
            &mut s.enter_long,
            &mut s.exit_long,
            &mut s.enter_short,
            &mut s.exit_short,
        ] {
            col.drain(..n);
        }
        for (_, series) in &mut self.atr {
            series.drain(..n);
        }
    }

    /// What the simulator reads: every candle kept so far.
    pub(crate) fn input(&self) -> SimInput<'_> {
        SimInput {
            candles: &self.candles,
            signals: &self.signals,
            risk: &self.risk,
            atr: &self.atr,
        }
    }
}

/// Candle `i` of `candles`.
pub(crate) fn bar(candles: &Candles, i: usize) -> Bar {
    Bar {
        ts: candles.ts[i],
        open: candles.open[i],
        high: candles.high[i],
        low: candles.low[i],
        close: candles.close[i],
        volume: candles.volume[i],
    }
}
