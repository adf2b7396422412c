//! Property tests: random candles, signals, risk rules and costs.

use bb_domain::{
    Candles, RiskRules, Side, Signals, Sizing, StopRule, TargetRule, Trade, TrailingRule,
};
use bb_simulator::{
    BasketMember, FillRule, SimConfig, SimInput, SimResult, Simulator, simulate, simulate_basket,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct World {
    candles: Candles,
    signals: Signals,
    risk: RiskRules,
    config: SimConfig,
    atr: Vec<(usize, Vec<f64>)>,
}

impl World {
    fn input(&self) -> SimInput<'_> {
        SimInput {
            candles: &self.candles,
            signals: &self.signals,
            risk: &self.risk,
            atr: &self.atr,
        }
    }
}

/// Prices stay within [80, 150], so no short can lose more than its collateral (the price
/// would have to double); bars gap freely, which exercises the gap rules.
fn bar() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (80.0..150.0f64, 80.0..150.0f64, 0.0..1.0f64, 0.0..1.0f64).prop_map(|(o, c, u, v)| {
        let top = o.max(c);
        let bottom = o.min(c);
        (
            o,
            top + u * u * (150.0 - top),
            bottom - v * v * (bottom - 80.0),
            c,
        )
    })
}

fn risk() -> impl Strategy<Value = RiskRules> {
    let sizing = prop_oneof![
        (1.0..100.0f64).prop_map(|percent| Sizing::PercentOfEquity { percent }),
        (100.0..20_000.0f64).prop_map(|amount| Sizing::FixedQuote { amount }),
        (0.1..5.0f64).prop_map(|percent| Sizing::RiskPercent { percent }),
    ];
    let stop = prop::option::of(prop_oneof![
        (0.5..20.0f64).prop_map(|percent| StopRule::Percent { percent }),
        (0.5..4.0f64).prop_map(|multiple| StopRule::Atr {
            period: 3,
            multiple
        }),
    ]);
    let target = prop::option::of(prop_oneof![
        (0.5..30.0f64).prop_map(|percent| TargetRule::Percent { percent }),
        (0.5..6.0f64).prop_map(|multiple| TargetRule::Atr {
            period: 5,
            multiple
        }),
        (0.5..4.0f64).prop_map(|ratio| TargetRule::RewardRisk { ratio }),
    ]);
    let trail = prop::option::of(prop_oneof![
        (0.5..20.0f64).prop_map(|percent| TrailingRule::Percent { percent }),
        (0.5..4.0f64).prop_map(|multiple| TrailingRule::Atr {
            period: 3,
            multiple
        }),
    ]);
    (
        sizing,
        stop,
        target,
        trail,
        prop::option::of(1u32..12),
        prop::option::of(0.5..10.0f64),
    )
        .prop_map(
            |(sizing, stop_loss, take_profit, trailing_stop, time_stop_bars, be)| RiskRules {
                sizing,
                stop_loss,
                take_profit,
                trailing_stop,
                time_stop_bars,
                break_even_after_pct: be,
            },
        )
}

fn config() -> impl Strategy<Value = SimConfig> {
    (0.0..1.0f64, 0.0..50.0f64, any::<bool>(), any::<bool>()).prop_map(
        |(fee, slip, same, short)| SimConfig {
            initial_capital: 10_000.0,
            fee_pct: fee,
            slippage_bps: slip,
            fill: if same {
                FillRule::SameClose
            } else {
                FillRule::NextOpen
            },
            allow_short: short,
        },
    )
}

fn world() -> impl Strategy<Value = World> {
    (2usize..120, 0.02..0.4f64)
        .prop_flat_map(|(n, density)| {
            let flags = move || prop::collection::vec(prop::bool::weighted(density), n);
            (
                prop::collection::vec(bar(), n),
                (flags(), flags(), flags(), flags()),
                risk(),
                config(),
                prop::collection::vec(0.2..6.0f64, n),
                0usize..6,
            )
        })
        .prop_map(|(bars, (el, xl, es, xs), risk, config, atr, warm_up)| {
            let mut candles = Candles::default();
            for (i, &(o, h, l, c)) in bars.iter().enumerate() {
                candles.push(i as i64 * 60_000, o, h, l, c, 1.0);
            }
            let signals = Signals {
                enter_long: el,
                exit_long: xl,
                enter_short: es,
                exit_short: xs,
            };
            let series = |warm: usize| -> Vec<f64> {
                atr.iter()
                    .enumerate()
                    .map(|(i, &a)| if i < warm { f64::NAN } else { a })
                    .collect()
            };
            let atr = vec![(3, series(warm_up)), (5, series(warm_up + 2))];
            World {
                candles,
                signals,
                risk,
                config,
                atr,
            }
        })
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// The raw price (slippage removed) of a fill.
fn raw(fill: f64, buy: bool, config: &SimConfig) -> f64 {
    let s = config.slippage_bps / 1e4;
    if buy {
        fill / (1.0 + s)
    } else {
        fill / (1.0 - s)
    }
}

fn prefix_world(w: &World, m: usize) -> World {
    let cut = |v: &Vec<bool>| v[..m].to_vec();
    World {
        candles: w.candles.prefix(m),
        signals: Signals {
            enter_long: cut(&w.signals.enter_long),
            exit_long: cut(&w.signals.exit_long),
            enter_short: cut(&w.signals.enter_short),
            exit_short: cut(&w.signals.exit_short),
        },
        atr: w.atr.iter().map(|(p, s)| (*p, s[..m].to_vec())).collect(),
        ..w.clone()
    }
}

fn before(trades: &[Trade], k: usize) -> Vec<&Trade> {
    trades.iter().filter(|t| t.exit_index < k).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn accounting_and_fills(w in world()) {
        let r = simulate(&w.input(), &w.config);
        let c = &w.candles;
        // (a) final equity = initial capital + Σ pnl.
        let pnl: f64 = r.trades.iter().map(|t| t.pnl).sum();
        let last = *r.equity.last().unwrap();
        prop_assert!(rel_close(last, w.config.initial_capital + pnl, 1e-6), "{} vs {}", last, pnl);
        prop_assert_eq!(r.equity.len(), c.len());
        let fees: f64 = r.trades.iter().map(|t| t.fees).sum();
        prop_assert!(rel_close(r.total_fees, fees, 1e-9));
        // (b) no overlap, in order.
        for t in &r.trades {
            prop_assert!(t.entry_index <= t.exit_index);
            prop_assert!(t.quantity > 0.0);
            prop_assert!(rel_close(t.pnl_pct, t.pnl / (t.entry_price * t.quantity) * 100.0, 1e-9));
        }
        for pair in r.trades.windows(2) {
            prop_assert!(pair[0].exit_index <= pair[1].entry_index, "{:?}", pair);
        }
        // (c) raw fill prices lie inside their bar.
        for t in &r.trades {
            let long = t.side == Side::Long;
            for (index, price, buy) in [(t.entry_index, t.entry_price, long), (t.exit_index, t.exit_price, !long)] {
                let p = raw(price, buy, &w.config);
                let tol = 1e-9 * p;
                prop_assert!(c.low[index] - tol <= p && p <= c.high[index] + tol,
                    "raw {} outside [{}, {}] on bar {}: {:?}", p, c.low[index], c.high[index], index, t);
            }
        }
        prop_assert!(r.bars_in_market <= c.len());
    }

    /// (d) Bars appended after index k change nothing that happened before k.
    #[test]
    fn no_look_ahead(w in world(), cut in 0.0..1.0f64) {
        let n = w.candles.len();
        let m = 1 + ((n - 1) as f64 * cut) as usize;
        let full = simulate(&w.input(), &w.config);
        let short_world = prefix_world(&w, m);
        let part = simulate(&short_world.input(), &w.config);
        prop_assert_eq!(before(&part.trades, m - 1), before(&full.trades, m - 1));
        prop_assert_eq!(&part.equity[..m - 1], &full.equity[..m - 1]);
    }

    /// (e) Cash never goes negative, bar by bar; and the stepped state machine gives the same
    /// result as `simulate` (its fast paths) when the last bar carries no entry signal.
    #[test]
    fn stepping_matches_simulate_and_cash_stays_positive(mut w in world()) {
        let n = w.candles.len();
        w.signals.enter_long[n - 1] = false;
        w.signals.enter_short[n - 1] = false;
        let input = w.input();
        let mut sim = Simulator::new(&w.config, n);
        for i in 0..n {
            sim.on_bar(&input, i);
            prop_assert!(sim.cash() >= -1e-9 * w.config.initial_capital, "cash {} at bar {}", sim.cash(), i);
        }
        let stepped = sim.finish(&input);
        let fast = simulate(&input, &w.config);
        prop_assert_eq!(stepped, fast);
    }

    /// A basket of one member at 100% allocation is the single run.
    #[test]
    fn basket_of_one_is_the_single_run(w in world()) {
        let single: SimResult = simulate(&w.input(), &w.config);
        let member = BasketMember { symbol: "BTCUSDT".into(), input: w.input() };
        let b = simulate_basket(&[member], &w.config, 100.0);
        prop_assert_eq!(&b.members[0].trades, &single.trades);
        prop_assert_eq!(&b.equity, &single.equity);
        prop_assert_eq!(&b.ts, &w.candles.ts);
        prop_assert_eq!(
            (b.bars_in_market, b.ignored_signals, b.stop_and_target_same_bar, b.skipped_entries),
            (single.bars_in_market, single.ignored_signals, single.stop_and_target_same_bar, single.skipped_entries)
        );
        prop_assert_eq!((b.total_fees, b.total_slippage), (single.total_fees, single.total_slippage));
    }
}
