//! Basket runs: several symbols trading from one shared cash balance on a merged timeline.
//!
//! Bars of all members are merged by timestamp. At each timestamp the members that have a bar
//! there are processed in member order (the deterministic tie-break), phase by phase, so that
//! every exit at a price point happens before any entry at it:
//! 1. `NextOpen`: all pending exits fill at the open, then all pending entries.
//! 2. Protective exits walk each member's bar; positions are marked at the close.
//! 3. Each member reads its signals on the close.
//! 4. `SameClose`: all exits fill at the close, then all entries.
//! 5. Members whose data ends here close their position (`EndOfData`).
//! 6. One equity point: cash + every open position marked at its latest close.
//!
//! [`BasketSimulator`] holds the run's state and processes one timestamp per call; a backtest
//! loops over it ([`simulate_basket`]), paper trading calls it as candles close.
//!
//! Entries are sized on the basket equity (cash + open positions at their latest price) and
//! may cost at most `min(cash, max_allocation_pct% × equity)`, entry fee included.

mod step;

use bb_domain::Trade;

pub use step::BasketSimulator;

use crate::config::SimConfig;
use crate::simulator::SimInput;

/// One symbol of a basket.
#[derive(Clone, Debug, PartialEq)]
pub struct BasketMember<'a> {
    pub symbol: String,
    pub input: SimInput<'a>,
}

/// One symbol's share of a basket run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberResult {
    pub symbol: String,
    /// This symbol's closed trades in exit order.
    pub trades: Vec<Trade>,
    pub bars_in_market: usize,
    pub ignored_signals: usize,
    pub stop_and_target_same_bar: usize,
    pub skipped_entries: usize,
    pub total_fees: f64,
    pub total_slippage: f64,
}

/// The outcome of a basket run. Counters are sums over the members.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BasketResult {
    /// Per symbol, in member order.
    pub members: Vec<MemberResult>,
    /// The merged timeline: every distinct timestamp of any member, ascending.
    pub ts: Vec<i64>,
    /// Combined equity at each merged timestamp (after that timestamp's closes).
    pub equity: Vec<f64>,
    pub bars_in_market: usize,
    pub ignored_signals: usize,
    pub stop_and_target_same_bar: usize,
    pub skipped_entries: usize,
    pub total_fees: f64,
    pub total_slippage: f64,
}

/// Runs all members on one shared cash balance; each position may cost at most
/// `max_allocation_pct`% of the basket equity. See the module docs for the order of work.
pub fn simulate_basket(
    inputs: &[BasketMember],
    config: &SimConfig,
    max_allocation_pct: f64,
) -> BasketResult {
    simulate_basket_observed(inputs, config, max_allocation_pct, |_| {})
}

/// [`simulate_basket`], calling `observe(cash)` after every merged timestamp.
pub(crate) fn simulate_basket_observed(
    inputs: &[BasketMember],
    config: &SimConfig,
    max_allocation_pct: f64,
    mut observe: impl FnMut(f64),
) -> BasketResult {
    let symbols = inputs.iter().map(|m| m.symbol.clone()).collect();
    let series: Vec<SimInput> = inputs.iter().map(|m| m.input).collect();
    let longest = series.iter().map(|s| s.candles.len()).max().unwrap_or(0);
    let mut sim = BasketSimulator::new(symbols, config, max_allocation_pct, longest);
    while sim.step(&series, true).is_some() {
        observe(sim.cash());
    }
    sim.finish(&series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FillRule;
    use bb_domain::{Candles, RiskRules, Signals, Sizing, StopRule};
    use proptest::prelude::*;

    const FREE: SimConfig = SimConfig {
        initial_capital: 10_000.0,
        fee_pct: 0.0,
        slippage_bps: 0.0,
        fill: FillRule::NextOpen,
        allow_short: true,
    };

    fn flat_candles(ts: &[i64], price: f64) -> Candles {
        let mut c = Candles::default();
        for &t in ts {
            c.push(t, price, price, price, price, 1.0);
        }
        c
    }

    fn member<'a>(
        symbol: &str,
        candles: &'a Candles,
        signals: &'a Signals,
        risk: &'a RiskRules,
    ) -> BasketMember<'a> {
        BasketMember {
            symbol: symbol.into(),
            input: SimInput {
                candles,
                signals,
                risk,
                atr: &[],
            },
        }
    }

    #[test]
    fn shared_cash_and_allocation_cap() {
        let c = flat_candles(&[0, 1, 2, 3], 100.0);
        let mut s = Signals::none(4);
        s.enter_long[0] = true;
        let risk = RiskRules::default(); // 100% of equity
        let members = [member("A", &c, &s, &risk), member("B", &c, &s, &risk)];
        // 100% allocation: A takes all the cash, B cannot enter.
        let r = simulate_basket(&members, &FREE, 100.0);
        assert_eq!(r.members[0].trades.len(), 1);
        assert_eq!(
            (r.members[1].trades.len(), r.members[1].skipped_entries),
            (0, 1)
        );
        assert_eq!(r.skipped_entries, 1);
        // 50% cap: both get half of the equity.
        let r = simulate_basket(&members, &FREE, 50.0);
        let q: Vec<f64> = r.members.iter().map(|m| m.trades[0].quantity).collect();
        assert_eq!(q, vec![50.0, 50.0]);
        assert_eq!(r.equity, vec![10_000.0; 4]);
        assert_eq!(r.members[1].symbol, "B");
    }

    #[test]
    fn exits_fill_before_entries_across_members() {
        // B is listed first and enters on bar 2's open; A exits on that same open. Exits go
        // first, so B gets the cash A frees.
        let c = flat_candles(&[0, 1, 2, 3], 100.0);
        let mut sa = Signals::none(4);
        sa.enter_long[0] = true;
        sa.exit_long[1] = true;
        let mut sb = Signals::none(4);
        sb.enter_long[1] = true;
        let risk = RiskRules::default();
        let r = simulate_basket(
            &[member("B", &c, &sb, &risk), member("A", &c, &sa, &risk)],
            &FREE,
            100.0,
        );
        let b = &r.members[0].trades[0];
        assert_eq!((b.entry_index, b.quantity), (2, 100.0));
        assert_eq!(r.skipped_entries, 0);
    }

    #[test]
    fn merges_timelines() {
        let a = flat_candles(&[0, 60, 120, 180], 100.0);
        let b = flat_candles(&[60, 180, 300], 50.0);
        let (sa, sb) = (Signals::none(4), Signals::none(3));
        let risk = RiskRules::default();
        let r = simulate_basket(
            &[member("A", &a, &sa, &risk), member("B", &b, &sb, &risk)],
            &FREE,
            100.0,
        );
        assert_eq!(r.ts, vec![0, 60, 120, 180, 300]);
        assert_eq!(r.equity.len(), 5);
    }

    fn prefix(s: &Signals, n: usize) -> Signals {
        Signals {
            enter_long: s.enter_long[..n].to_vec(),
            exit_long: s.exit_long[..n].to_vec(),
            enter_short: s.enter_short[..n].to_vec(),
            exit_short: s.exit_short[..n].to_vec(),
        }
    }

    fn bits(xs: &[f64]) -> Vec<u64> {
        xs.iter().map(|x| x.to_bits()).collect()
    }

    fn basket_world() -> impl Strategy<Value = (Vec<(Candles, Signals)>, SimConfig, f64, f64)> {
        let one = (3usize..60).prop_flat_map(|n| {
            (
                prop::collection::vec((80.0..150.0f64, 80.0..150.0f64, 0.0..1.0f64), n),
                prop::collection::vec((any::<u8>(), 1i64..3), n),
            )
        });
        (
            prop::collection::vec(one, 1..4),
            0.0..1.0f64,
            0.0..30.0f64,
            any::<bool>(),
            10.0..100.0f64,
            1.0..100.0f64,
        )
            .prop_map(|(members, fee, slip, same, cap, percent)| {
                let built = members
                    .into_iter()
                    .map(|(bars, flags)| {
                        let mut c = Candles::default();
                        let mut s = Signals::none(bars.len());
                        let mut t = 0;
                        for (i, (&(o, cl, u), &(f, step))) in bars.iter().zip(&flags).enumerate() {
                            t += step * 60;
                            let (h, l) = (o.max(cl) + u * 5.0, o.min(cl) - u * 5.0);
                            c.push(t, o, h, l, cl, 1.0);
                            s.enter_long[i] = f % 5 == 0;
                            s.exit_long[i] = f % 7 == 1;
                            s.enter_short[i] = f % 6 == 2;
                            s.exit_short[i] = f % 7 == 3;
                        }
                        (c, s)
                    })
                    .collect();
                let fill = if same {
                    FillRule::SameClose
                } else {
                    FillRule::NextOpen
                };
                let config = SimConfig {
                    fee_pct: fee,
                    slippage_bps: slip,
                    fill,
                    ..FREE
                };
                (built, config, cap, percent)
            })
    }

    proptest! {
        /// Shared cash never goes negative and the combined equity ends at capital + Σ pnl.
        #[test]
        fn shared_cash_is_never_overspent((members, config, cap, percent) in basket_world()) {
            let risk = RiskRules {
                sizing: Sizing::PercentOfEquity { percent },
                stop_loss: Some(StopRule::Percent { percent: 3.0 }),
                ..RiskRules::default()
            };
            let inputs: Vec<BasketMember> = members
                .iter()
                .enumerate()
                .map(|(k, (c, s))| member(&format!("S{k}"), c, s, &risk))
                .collect();
            let mut lowest = f64::INFINITY;
            let r = simulate_basket_observed(&inputs, &config, cap, |cash| lowest = lowest.min(cash));
            prop_assert!(lowest >= -1e-9 * config.initial_capital, "cash went to {}", lowest);
            let pnl: f64 = r.members.iter().flat_map(|m| &m.trades).map(|t| t.pnl).sum();
            let last = *r.equity.last().unwrap();
            prop_assert!((last - config.initial_capital - pnl).abs() <= 1e-6 * last.abs().max(1.0));
        }

        /// Stepping as bars arrive (nothing ends) and then finishing is the batch run, bit for
        /// bit, when every member has a bar at the last timestamp; before the end, the stepped
        /// equity is the batch's.
        #[test]
        fn stepped_as_bars_arrive_then_finished_is_the_batch_run(
            (mut members, config, cap, percent) in basket_world()
        ) {
            let end = members.iter().map(|(c, _)| *c.ts.last().unwrap()).max().unwrap() + 60;
            for (c, s) in &mut members {
                let close = *c.close.last().unwrap();
                c.push(end, close, close * 1.01, close * 0.99, close, 1.0);
                s.enter_long.push(true);
                s.enter_short.push(false);
                s.exit_long.push(false);
                s.exit_short.push(false);
            }
            let risk = RiskRules {
                sizing: Sizing::PercentOfEquity { percent },
                stop_loss: Some(StopRule::Percent { percent: 3.0 }),
                ..RiskRules::default()
            };
            let full: Vec<BasketMember> = members
                .iter()
                .enumerate()
                .map(|(k, (c, s))| member(&format!("S{k}"), c, s, &risk))
                .collect();
            let batch = simulate_basket(&full, &config, cap);

            let symbols = full.iter().map(|m| m.symbol.clone()).collect();
            let mut sim = BasketSimulator::new(symbols, &config, cap, 0);
            let mut seen = vec![0; members.len()];
            let mut prefixes: Vec<(Candles, Signals)> = Vec::new();
            for &t in &batch.ts {
                for (k, (c, _)) in members.iter().enumerate() {
                    seen[k] += usize::from(c.ts.get(seen[k]) == Some(&t));
                }
                prefixes = members
                    .iter()
                    .zip(&seen)
                    .map(|((c, s), &n)| (c.slice(0, n), prefix(s, n)))
                    .collect();
                let inputs: Vec<SimInput> = prefixes
                    .iter()
                    .map(|(c, s)| member("", c, s, &risk).input)
                    .collect();
                prop_assert_eq!(sim.step(&inputs, false), Some(t));
                prop_assert_eq!(sim.step(&inputs, false), None);
            }
            let n = batch.ts.len();
            prop_assert_eq!(bits(&sim.equity_curve()[..n - 1]), bits(&batch.equity[..n - 1]));
            let inputs: Vec<SimInput> = prefixes
                .iter()
                .map(|(c, s)| member("", c, s, &risk).input)
                .collect();
            let stepped = sim.finish(&inputs);
            prop_assert_eq!(format!("{stepped:?}"), format!("{batch:?}"));
            prop_assert_eq!(bits(&stepped.equity), bits(&batch.equity));
        }
    }
}
