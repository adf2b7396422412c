//! The random-entry baseline: could trades placed at random have done as well?
//!
//! Method (a permutation test in the spirit of the "vs random" robustness tests of trading
//! tools; reference notes Part 3 §6): keep the strategy's trades' number, holding times (in
//! bars) and sides, hence its exposure, and place them in a random order at random
//! non-overlapping positions over the bars (every arrangement of the shuffled sequence
//! equally likely: stars and bars over the free bars). Each trade enters at the open of
//! its entry bar and leaves at the open of its exit bar, paying `slippage_bps` on each fill
//! (a buy fills at open × (1 + bps/10⁴), a sell at open × (1 − bps/10⁴)) and `fee_pct`% of
//! each fill's notional, as the simulator does; each trade commits all equity, so a
//! placement's total return is the product of its trades' growth factors minus 1. The
//! strategy's own trades are valued by the same model, at their own fill prices when given
//! ([`HeldTrade::fills`]: a stop's exit at the stop, not at the open of the bar it was hit
//! in), so both sides are priced alike and neither sees a price before it could trade.
//! p-value = (1 + #{random ≥ strategy}) / (runs + 1).

use std::collections::BTreeSet;

use bb_domain::Side;
use serde::{Deserialize, Serialize};

use crate::quantiles::Distribution;
use crate::rng::{below, run_rng, shuffle};

/// A trade's position in the bars: entered at the open of `entry_bar`, left at the open of
/// `exit_bar` (`entry_bar <= exit_bar`: equal when a stop closed it within its entry bar,
/// which the model prices as its costs alone, for the strategy and the random placements
/// alike).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldTrade {
    /// Bar whose open the trade enters at.
    pub entry_bar: usize,
    /// Bar whose open the trade leaves at.
    pub exit_bar: usize,
    /// Long or short.
    pub side: Side,
    /// The strategy's own entry and exit fill prices, slippage included, when known: its
    /// trade is then valued at them. A stop's exit fills at the stop, after the move that hit
    /// it, so valuing it at the exit bar's open would credit the strategy with a price from
    /// before that move. `None`: at the opens, as the random placements.
    pub fills: Option<(f64, f64)>,
}

/// The strategy against random placements of the same trades.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RandomBaseline {
    /// Number of random placements.
    pub runs: usize,
    /// The seed: the same inputs, runs and seed give the same result.
    pub seed: u64,
    /// Number of trades placed in each run.
    pub trades: usize,
    /// Share of the bar-to-bar steps spent in a trade (the same for every placement).
    pub exposure: f64,
    /// The strategy's total return (0.12 = +12%) under the baseline's cost model.
    pub strategy_return: f64,
    /// (1 + number of random placements returning at least the strategy's) / (runs + 1):
    /// small means the strategy's timing beat chance.
    pub p_value: f64,
    /// Total returns of the random placements.
    pub random_return: Distribution,
}

/// Why the baseline cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RandomBaselineError {
    #[error("no trades to place")]
    NoTrades,
    #[error("at least one run is needed")]
    NoRuns,
    #[error("trade {index} exits before it enters or after the last of the {bars} bars")]
    Trade { index: usize, bars: usize },
    #[error("open {index} is not a positive finite price")]
    Price { index: usize },
    #[error("trade {index}'s fill prices are not positive finite prices")]
    Fill { index: usize },
    #[error("the trades hold {held} bar steps, more than the {available} the bars offer")]
    TooLong { held: usize, available: usize },
    #[error("costs must be finite and non-negative")]
    Costs,
}

/// The cost model of a fill.
#[derive(Clone, Copy, Debug)]
struct Costs {
    fee: f64,
    slip: f64,
}

impl Costs {
    /// Growth factor of equity over one trade committing all of it, entering at the open of
    /// bar `entry` and leaving at the open of bar `exit`, slippage against it on both.
    fn growth(&self, opens: &[f64], entry: usize, exit: usize, side: Side) -> f64 {
        let (up, down) = (1.0 + self.slip, 1.0 - self.slip);
        match side {
            Side::Long => self.growth_of_fills(opens[entry] * up, opens[exit] * down, side),
            Side::Short => self.growth_of_fills(opens[entry] * down, opens[exit] * up, side),
        }
    }

    /// [`Costs::growth`] from the fill prices themselves (slippage included): the fee on
    /// both fills.
    fn growth_of_fills(&self, entry: f64, exit: f64, side: Side) -> f64 {
        match side {
            Side::Long => (1.0 - self.fee).powi(2) * exit / entry,
            Side::Short => {
                let x = exit / entry;
                (1.0 - self.fee + (1.0 - x) - self.fee * x).max(0.0)
            }
        }
    }
}

/// Compares the strategy's `trades` on `opens` with `runs` random placements (seeded).
pub fn random_entry_baseline(
    opens: &[f64],
    trades: &[HeldTrade],
    fee_pct: f64,
    slippage_bps: f64,
    runs: usize,
    seed: u64,
) -> Result<RandomBaseline, RandomBaselineError> {
    if trades.is_empty() {
        return Err(RandomBaselineError::NoTrades);
    }
    if runs == 0 {
        return Err(RandomBaselineError::NoRuns);
    }
    if !(fee_pct.is_finite() && fee_pct >= 0.0 && slippage_bps.is_finite() && slippage_bps >= 0.0) {
        return Err(RandomBaselineError::Costs);
    }
    if let Some(index) = opens.iter().position(|p| !(p.is_finite() && *p > 0.0)) {
        return Err(RandomBaselineError::Price { index });
    }
    let bars = opens.len();
    if let Some(index) = trades
        .iter()
        .position(|t| t.entry_bar > t.exit_bar || t.exit_bar >= bars)
    {
        return Err(RandomBaselineError::Trade { index, bars });
    }
    if let Some(index) = trades.iter().position(|t| {
        t.fills
            .is_some_and(|(a, b)| !(a.is_finite() && a > 0.0 && b.is_finite() && b > 0.0))
    }) {
        return Err(RandomBaselineError::Fill { index });
    }
    let available = bars - 1;
    let held: usize = trades.iter().map(|t| t.exit_bar - t.entry_bar).sum();
    if held > available {
        return Err(RandomBaselineError::TooLong { held, available });
    }
    let costs = Costs {
        fee: fee_pct / 100.0,
        slip: slippage_bps / 1e4,
    };
    let total = |placed: &mut dyn Iterator<Item = (usize, usize, Side)>| {
        placed
            .map(|(entry, exit, side)| costs.growth(opens, entry, exit, side))
            .product::<f64>()
            - 1.0
    };
    let strategy_return = trades
        .iter()
        .map(|t| match t.fills {
            Some((entry, exit)) => costs.growth_of_fills(entry, exit, t.side),
            None => costs.growth(opens, t.entry_bar, t.exit_bar, t.side),
        })
        .product::<f64>()
        - 1.0;

    let free = available - held;
    let mut shape: Vec<(usize, Side)> = trades
        .iter()
        .map(|t| (t.exit_bar - t.entry_bar, t.side))
        .collect();
    let mut returns = Vec::with_capacity(runs);
    for run in 0..runs {
        let mut rng = run_rng(seed, run as u64);
        shuffle(&mut rng, &mut shape);
        let mut placed = place(&mut rng, &shape, free).into_iter();
        returns.push(total(&mut placed));
    }
    let at_least = returns.iter().filter(|&&r| r >= strategy_return).count();
    Ok(RandomBaseline {
        runs,
        seed,
        trades: trades.len(),
        exposure: if available == 0 {
            0.0
        } else {
            held as f64 / available as f64
        },
        strategy_return,
        p_value: (1 + at_least) as f64 / (runs + 1) as f64,
        random_return: Distribution::of(&mut returns).expect("returns are finite"),
    })
}

/// Places trades of the given holding times and sides, in that order, at a uniformly
/// random arrangement with `free` bar steps left out of any trade: a uniform k-subset
/// s_0 < … < s_{k−1} of `0..free + k` (Floyd's algorithm) puts trade j at
/// `s_j − j + Σ_{i<j} len_i`.
fn place(
    rng: &mut impl rand_core::Rng,
    shape: &[(usize, Side)],
    free: usize,
) -> Vec<(usize, usize, Side)> {
    let k = shape.len();
    let m = free + k;
    let mut chosen = BTreeSet::new();
    for j in m - k..m {
        let t = below(rng, j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut held_before = 0;
    chosen
        .iter()
        .enumerate()
        .zip(shape)
        .map(|((j, &s), &(len, side))| {
            let entry = s - j + held_before;
            held_before += len;
            (entry, entry + len, side)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_simulator() {
        let opens = [100.0, 110.0];
        let none = Costs {
            fee: 0.0,
            slip: 0.0,
        };
        assert!((none.growth(&opens, 0, 1, Side::Long) - 1.1).abs() < 1e-15);
        assert!((none.growth(&opens, 0, 1, Side::Short) - 0.9).abs() < 1e-15);
        let some = Costs {
            fee: 0.001,
            slip: 0.0005,
        };
        let want = 0.999f64.powi(2) * (110.0 * 0.9995) / (100.0 * 1.0005);
        assert!((some.growth(&opens, 0, 1, Side::Long) - want).abs() < 1e-15);
        // Short: sell 100·0.9995, buy back 110·1.0005; fee on both notionals.
        let x = 110.0 * 1.0005 / (100.0 * 0.9995);
        let want = 1.0 - 0.001 + (1.0 - x) - 0.001 * x;
        assert!((some.growth(&opens, 0, 1, Side::Short) - want).abs() < 1e-15);
    }

    #[test]
    fn placement_is_ordered_disjoint_and_covers_every_gap() {
        let shape = [(2, Side::Long), (3, Side::Short), (1, Side::Long)];
        let mut starts = std::collections::BTreeSet::new();
        for run in 0..2000 {
            let placed = place(&mut run_rng(3, run), &shape, 4);
            assert_eq!(placed.len(), 3);
            for (p, &(len, side)) in placed.iter().zip(&shape) {
                assert_eq!((p.1 - p.0, p.2), (len, side));
            }
            assert!(placed.windows(2).all(|w| w[0].1 <= w[1].0), "{placed:?}");
            assert!(placed[2].1 <= 10);
            starts.insert(placed[0].0);
        }
        // The first trade can start anywhere from 0 to the 4 free steps.
        assert_eq!(starts.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn placements_fit() {
        // 3 trades of 2, 3 and 1 bars on 10 bars: every placement must fit in 0..=9.
        let opens: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
        let trades = [
            HeldTrade {
                entry_bar: 0,
                exit_bar: 2,
                side: Side::Long,
                fills: None,
            },
            HeldTrade {
                entry_bar: 3,
                exit_bar: 6,
                side: Side::Long,
                fills: None,
            },
            HeldTrade {
                entry_bar: 8,
                exit_bar: 9,
                side: Side::Long,
                fills: None,
            },
        ];
        // On a steadily rising series every long placement of 6 bar steps earns... less or
        // more depending on the level, but exposure is fixed at 6/9.
        let b = random_entry_baseline(&opens, &trades, 0.0, 0.0, 200, 1).unwrap();
        assert!((b.exposure - 6.0 / 9.0).abs() < 1e-15);
        assert!(b.random_return.p5 > 0.0);
        let too_long = [HeldTrade {
            entry_bar: 0,
            exit_bar: 9,
            side: Side::Long,
            fills: None,
        }; 2];
        assert_eq!(
            random_entry_baseline(&opens, &too_long, 0.0, 0.0, 10, 1),
            Err(RandomBaselineError::TooLong {
                held: 18,
                available: 9
            })
        );
    }
}
