//! Paper trading's engine: a plan and the simulator advanced together one closed candle at a
//! time, with the backtest's own code — the plan's stream ([`bb_strategy::PlanStream`], bit
//! for bit the batch evaluation) feeds the same [`Simulator`] the backtest loops over. So a
//! paper run replayed over stored candles makes exactly the backtest's trades and equity
//! (`tests/paper_replay.rs`); only the end differs, since a backtest closes what is open at
//! the end of its data and a paper run carries on.
//!
//! The cost of a candle does not depend on how many came before (the stream's state is
//! bounded; the simulator reads the current bar). The candles, signals and equity it keeps
//! grow by one entry a bar, or, with [`PaperEngine::keep_last`], stay within a window (what a
//! long-running paper run keeps in memory).
//!
//! [`PaperBasket`] does the same for a basket: one plan stream per member and the basket
//! simulator on one shared cash balance, one merged timestamp at a time.

mod basket;
mod feed;

use bb_domain::{Candles, Timeframe, Trade};
use bb_simulator::{SimConfig, SimResult, Simulator};
use bb_strategy::{Bar, Plan, StreamError};

pub use basket::{BasketPushError, BasketStep, MemberStep, PaperBasket};
use feed::Feed;

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
    feed: Feed,
    sim: Simulator,
    /// Candles kept at least when older ones are forgotten (`None`: all).
    keep: Option<usize>,
}

impl PaperEngine {
    /// An engine for `plan` on candles of `timeframe`, trading with `config`.
    pub fn new(
        plan: &Plan,
        timeframe: Timeframe,
        config: &SimConfig,
    ) -> Result<PaperEngine, bb_strategy::EvaluateError> {
        Ok(PaperEngine {
            feed: Feed::new(plan, timeframe)?,
            sim: Simulator::new(config, 0),
            keep: None,
        })
    }

    /// Keeps the last `bars` candles (and any the open position still needs) in memory and
    /// forgets older ones, in batches, so memory stays bounded however long the engine runs:
    /// [`PaperEngine::candles`] and [`PaperEngine::equity`] then cover at most about `2 ×
    /// bars` candles, later trades number their bars from the first candle kept, and every
    /// price, trade and equity value is the same as without forgetting.
    pub fn keep_last(mut self, bars: usize) -> PaperEngine {
        self.keep = Some(bars.max(1));
        self
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
        let bar = Bar {
            ts,
            open,
            high,
            low,
            close,
            volume,
        };
        let out = self.feed.push(&bar)?;
        let before = self.sim.trades().len();
        let i = self.feed.candles().len() - 1;
        self.sim.on_bar(&self.feed.input(), i);
        if let Some(keep) = self.keep
            && i + 1 >= 2 * keep
        {
            let forgotten = self.sim.forget_bars(i + 1 - keep);
            self.feed.forget(forgotten);
        }
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
        self.feed.warm(candles)
    }

    /// Feeds every candle of `candles` in order; stops at the first refused one.
    pub fn replay(&mut self, candles: &Candles) -> Result<(), StreamError> {
        for i in 0..candles.len() {
            let b = feed::bar(candles, i);
            self.push(b.ts, b.open, b.high, b.low, b.close, b.volume)?;
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
        self.feed.candles()
    }

    /// Stops: what is open is closed at the last candle's close (`EndOfData`, with fees and
    /// slippage), as a backtest ends.
    pub fn stop(self) -> SimResult {
        self.sim.finish(&self.feed.input())
    }
}
