//! A basket's paper run: one plan stream per member ([`Feed`], as in [`super::PaperEngine`])
//! and a [`BasketSimulator`] on one shared cash balance, advanced one merged timestamp at a
//! time. Replayed over stored candles and stopped, it makes exactly the basket backtest's
//! trades and equity (`tests/paper_basket_replay.rs`), provided every member has a candle at
//! the last timestamp (a backtest closes a member at the end of its own data; a paper run
//! cannot know a member's data has ended before it stops).

use bb_domain::{Candles, Timeframe, Trade};
use bb_simulator::{BasketResult, BasketSimulator, OpenPosition, SimConfig, SimInput};
use bb_strategy::{Bar, EvaluateError, Plan, StreamError};

use super::feed::{self, Feed};

/// One member's part of a [`BasketStep`].
#[derive(Clone, Debug, PartialEq)]
pub struct MemberStep {
    /// The member's index (its place in the list given to [`PaperBasket::new`]).
    pub member: usize,
    /// Trades this member closed at this timestamp.
    pub closed: Vec<Trade>,
    /// Which actions fired on its close (they fill at the next open with the default rule).
    pub enter_long: bool,
    pub exit_long: bool,
    pub enter_short: bool,
    pub exit_short: bool,
}

/// One merged timestamp's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct BasketStep {
    pub ts: i64,
    /// The members with a candle at this timestamp, in member order.
    pub members: Vec<MemberStep>,
    /// Basket equity after this timestamp: cash plus open positions at their latest close.
    pub equity: f64,
    /// Free cash after this timestamp.
    pub cash: f64,
}

/// Why candles were refused. A refused push changes nothing, except after
/// [`StreamError::Unsupported`]: the plan can no longer be streamed exactly for that member,
/// and the basket refuses every later push with that error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BasketPushError {
    #[error("no candle given")]
    Empty,
    #[error("member {0} is not in the basket")]
    UnknownMember(usize),
    #[error("member {0} has more than one candle at one time")]
    Repeated(usize),
    #[error("candles at {ts} are not after the basket's last time ({previous})")]
    NotIncreasing { ts: i64, previous: i64 },
    #[error("member {member}: {error}")]
    Stream { member: usize, error: StreamError },
}

/// A basket's paper run: see the module docs.
#[derive(Clone, Debug)]
pub struct PaperBasket {
    symbols: Vec<String>,
    feeds: Vec<Feed>,
    sim: BasketSimulator,
    /// The member whose stream failed for good, and why.
    broken: Option<(usize, StreamError)>,
}

impl PaperBasket {
    /// A basket of `members` (symbol and plan, in member order: the order in which members
    /// act at equal times) on candles of `timeframe`, trading with `config` from one cash
    /// balance; each position may cost at most `max_allocation_pct`% of the basket equity.
    pub fn new(
        members: &[(&str, &Plan)],
        timeframe: Timeframe,
        config: &SimConfig,
        max_allocation_pct: f64,
    ) -> Result<PaperBasket, EvaluateError> {
        let feeds = members
            .iter()
            .map(|(_, plan)| Feed::new(plan, timeframe))
            .collect::<Result<Vec<_>, _>>()?;
        let symbols: Vec<String> = members.iter().map(|(s, _)| s.to_string()).collect();
        Ok(PaperBasket {
            sim: BasketSimulator::new(symbols.clone(), config, max_allocation_pct, 0),
            symbols,
            feeds,
            broken: None,
        })
    }

    /// Feeds candles to `member`'s plan only, before it trades (its indicators' warm-up);
    /// nothing once the member has had a candle.
    pub fn warm(&mut self, member: usize, candles: &Candles) -> Result<(), BasketPushError> {
        let feed = self
            .feeds
            .get_mut(member)
            .ok_or(BasketPushError::UnknownMember(member))?;
        feed.warm(candles)
            .map_err(|error| BasketPushError::Stream { member, error })
    }

    /// Feeds the candles that closed at `ts`: `(member, open, high, low, close, volume)` for
    /// each member with a candle there, members absent having none. `ts` must be after the
    /// basket's last time and after each listed member's warm-up.
    pub fn push(
        &mut self,
        ts: i64,
        bars: &[(usize, f64, f64, f64, f64, f64)],
    ) -> Result<BasketStep, BasketPushError> {
        self.check(ts, bars)?;
        let mut outs = Vec::with_capacity(bars.len());
        for &(member, open, high, low, close, volume) in bars {
            let bar = Bar {
                ts,
                open,
                high,
                low,
                close,
                volume,
            };
            match self.feeds[member].evaluate(&bar) {
                Ok(out) => outs.push((member, bar, out)),
                Err(error) => {
                    // Streams before this one have taken the candle: no way back.
                    self.broken = Some((member, error.clone()));
                    return Err(BasketPushError::Stream { member, error });
                }
            }
        }
        outs.sort_by_key(|(member, ..)| *member);
        let before: Vec<usize> = outs
            .iter()
            .map(|(member, ..)| self.sim.trades(*member).len())
            .collect();
        for (member, bar, out) in &outs {
            self.feeds[*member].record(bar, out);
        }
        let inputs: Vec<SimInput> = self.feeds.iter().map(Feed::input).collect();
        let stepped = self.sim.step(&inputs, false);
        debug_assert_eq!(stepped, Some(ts));
        let members = outs
            .into_iter()
            .zip(before)
            .map(|((member, _, out), before)| MemberStep {
                member,
                closed: self.sim.trades(member)[before..].to_vec(),
                enter_long: out.enter_long,
                exit_long: out.exit_long,
                enter_short: out.enter_short,
                exit_short: out.exit_short,
            })
            .collect();
        Ok(BasketStep {
            ts,
            members,
            equity: self.sim.equity_curve().last().copied().unwrap_or(f64::NAN),
            cash: self.sim.cash(),
        })
    }

    /// Everything [`PaperBasket::push`] refuses without changing anything.
    fn check(
        &self,
        ts: i64,
        bars: &[(usize, f64, f64, f64, f64, f64)],
    ) -> Result<(), BasketPushError> {
        if let Some((member, error)) = &self.broken {
            let (member, error) = (*member, error.clone());
            return Err(BasketPushError::Stream { member, error });
        }
        if bars.is_empty() {
            return Err(BasketPushError::Empty);
        }
        if let Some(&previous) = self.sim.ts().last()
            && ts <= previous
        {
            return Err(BasketPushError::NotIncreasing { ts, previous });
        }
        for (k, &(member, open, high, low, close, volume)) in bars.iter().enumerate() {
            let feed = self
                .feeds
                .get(member)
                .ok_or(BasketPushError::UnknownMember(member))?;
            if bars[..k].iter().any(|b| b.0 == member) {
                return Err(BasketPushError::Repeated(member));
            }
            let stream = |error| BasketPushError::Stream { member, error };
            if let Some(previous) = feed.last_ts()
                && ts <= previous
            {
                return Err(stream(StreamError::NotIncreasing { ts, previous }));
            }
            if ![open, high, low, close, volume]
                .iter()
                .all(|x| x.is_finite())
            {
                return Err(stream(StreamError::NotFinite { ts }));
            }
        }
        Ok(())
    }

    /// Feeds `candles[m]` to member `m`, merged by time as a basket backtest merges them;
    /// stops at the first refused push.
    pub fn replay(&mut self, candles: &[Candles]) -> Result<(), BasketPushError> {
        let mut next = vec![0; candles.len()];
        let mut bars = Vec::with_capacity(candles.len());
        loop {
            let due = |m: usize| candles[m].ts.get(next[m]).copied();
            let Some(ts) = (0..candles.len()).filter_map(due).min() else {
                return Ok(());
            };
            bars.clear();
            for (m, c) in candles.iter().enumerate() {
                if c.ts.get(next[m]) == Some(&ts) {
                    let b = feed::bar(c, next[m]);
                    bars.push((m, b.open, b.high, b.low, b.close, b.volume));
                    next[m] += 1;
                }
            }
            self.push(ts, &bars)?;
        }
    }

    /// The members' symbols, in member order.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Trades `member` closed so far, in exit order.
    pub fn trades(&self, member: usize) -> &[Trade] {
        self.sim.trades(member)
    }

    /// The merged times fed so far.
    pub fn ts(&self) -> &[i64] {
        self.sim.ts()
    }

    /// Basket equity after each merged time so far.
    pub fn equity(&self) -> &[f64] {
        self.sim.equity_curve()
    }

    /// Each member's open position, in member order.
    pub fn positions(&self) -> Vec<Option<OpenPosition>> {
        (0..self.feeds.len())
            .map(|m| self.sim.open_position(m))
            .collect()
    }

    /// Free cash now.
    pub fn cash(&self) -> f64 {
        self.sim.cash()
    }

    /// Candles `member` was fed (warm-up excluded).
    pub fn candles(&self, member: usize) -> &Candles {
        self.feeds[member].candles()
    }

    /// Stops, as a basket backtest over the candles fed ends: the last time is taken as the
    /// end of the data (no entry on it; what is open closed at its close, `EndOfData`, with
    /// fees and slippage), and a member with no candle there is closed at its own last close.
    pub fn stop(self) -> BasketResult {
        let inputs: Vec<SimInput> = self.feeds.iter().map(Feed::input).collect();
        self.sim.finish(&inputs)
    }
}
