//! Paper trading's engine: a plan and the simulator advanced together one closed candle at a
//! time, with the backtest's own code — the plan's stream ([`bb_strategy::PlanStream`], bit
//! for bit the batch evaluation) feeds the same [`Simulator`] the backtest loops over. So a
//! paper run replayed over stored candles makes exactly the backtest's trades and equity
//! (`tests/paper_replay.rs`); only the end differs, since a backtest closes what is open at
//! the end of its data and a paper run carries on.
//!
//! The cost of a candle does not depend on how many came before (the stream's state is
//! bounded; the simulator reads the current bar). The candles, signals and equity it keeps
//! grow by one entry a bar.

use bb_domain::{Candles, RiskRules, Signals, Timeframe, Trade};
use bb_simulator::{SimConfig, SimInput, SimResult, Simulator};
use bb_strategy::{Plan, PlanStream, StreamError};

/// One candle's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperStep {
    /// Trades closed on this candle.
    pub closed: Vec<Trade>,
    /// Equity at its close.
    pub equity: f64,
    /// Which actions fired on its close (they fill at the next open with the default rule).
    pub enter_long: bool,
    pub exit_long: bool,
    pub enter_short: bool,
    pub exit_short: bool,
}

/// A plan and a simulator advanced one candle at a time.
#[derive(Clone, Debug)]
pub struct PaperEngine {
    stream: PlanStream,
    sim: Simulator,
    risk: RiskRules,
    candles: Candles,
    signals: Signals,
    atr: Vec<(usize, Vec<f64>)>,
}

impl PaperEngine {
    /// An engine for `plan` on candles of `timeframe`, trading with `config`.
    pub fn new(
        plan: &Plan,
        timeframe: Timeframe,
        config: &SimConfig,
    ) -> Result<PaperEngine, bb_strategy::EvaluateError> {
        let stream = plan.stream(timeframe)?;
        let atr = plan
            .risk
            .atr_periods()
            .into_iter()
            .map(|p| (p, Vec::new()))
            .collect();
        Ok(PaperEngine {
            stream,
            sim: Simulator::new(config, 0),
            risk: plan.risk.clone(),
            candles: Candles::default(),
            signals: Signals::none(0),
            atr,
        })
    }

    /// Feeds the next closed candle. A refused candle (not after the last one, not finite,
    /// or a value the stream cannot reproduce exactly) changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        ts: i64,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Result<PaperStep, StreamError> {
        let out = self.stream.push(ts, open, high, low, close, volume)?;
        self.candles.push(ts, open, high, low, close, volume);
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
        let before = self.sim.trades().len();
        let i = self.candles.len() - 1;
        let input = SimInput {
            candles: &self.candles,
            signals: &self.signals,
            risk: &self.risk,
            atr: &self.atr,
        };
        self.sim.on_bar(&input, i);
        Ok(PaperStep {
            closed: self.sim.trades()[before..].to_vec(),
            equity: self.sim.equity_curve().last().copied().unwrap_or(f64::NAN),
            enter_long: out.enter_long,
            exit_long: out.exit_long,
            enter_short: out.enter_short,
            exit_short: out.exit_short,
        })
    }

    /// Feeds candles to the plan only, before the run trades (its indicators' warm-up).
    pub fn warm(&mut self, candles: &Candles) -> Result<(), StreamError> {
        if !self.candles.is_empty() {
            return Ok(());
        }
        self.stream.warm(candles).map(|_| ())
    }

    /// Feeds every candle of `candles` in order; stops at the first refused one.
    pub fn replay(&mut self, candles: &Candles) -> Result<(), StreamError> {
        for i in 0..candles.len() {
            self.push(
                candles.ts[i],
                candles.open[i],
                candles.high[i],
                candles.low[i],
                candles.close[i],
                candles.volume[i],
            )?;
        }
        Ok(())
    }

    /// Trades closed so far.
    pub fn trades(&self) -> &[Trade] {
        self.sim.trades()
    }

    /// Equity at each candle's close so far.
    pub fn equity(&self) -> &[f64] {
        self.sim.equity_curve()
    }

    /// The open position, if any.
    pub fn position(&self) -> Option<bb_simulator::OpenPosition> {
        self.sim.open_position()
    }

    /// Candles fed so far.
    pub fn candles(&self) -> &Candles {
        &self.candles
    }

    /// Stops: what is open is closed at the last candle's close (`EndOfData`, with fees and
    /// slippage), as a backtest ends.
    pub fn stop(self) -> SimResult {
        let input = SimInput {
            candles: &self.candles,
            signals: &self.signals,
            risk: &self.risk,
            atr: &self.atr,
        };
        self.sim.finish(&input)
    }
}
