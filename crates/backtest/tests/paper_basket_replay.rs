//! A basket's paper run replayed over stored candles and stopped makes exactly the basket
//! backtest's trades per member and equity: the same numbers, bit for bit. Real 5-minute
//! altcoin pairs (on one timeline, and on timelines that differ: a member starting later,
//! members with missing bars), several starters, next-open and same-close fills; a run in
//! progress equals the backtest of the candles seen so far but for what a backtest does at
//! the end of its data; random candles likewise.

use std::path::PathBuf;

use bb_backtest::paper::{BasketPushError, PaperBasket};
use bb_backtest::{BacktestConfig, BasketInput, BasketReport, backtest_basket};
use bb_domain::{Candles, Trade};
use bb_simulator::{BasketMember, BasketResult, FillRule, SimConfig, SimInput, simulate_basket};
use bb_strategy::{CompileOptions, Plan, StrategyDocument, compile, validate};
use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const STARTERS: &[&str] = &[
    "sma_crossover",
    "rsi_mean_reversion",
    "macd_trend_atr_trailing",
];

/// Each position may take at most this share of the equity, so members compete for cash.
const CAP: f64 = 40.0;

/// The repo's own copy of a ccxt pair (`data/demo`, plain or gzipped).
fn pair(name: &str) -> Candles {
    let file = format!("ccxt_{name}_BTC-5m_2018-01.json");
    let demo = root().join("data/demo");
    let path = [demo.join(&file), demo.join(format!("{file}.gz"))]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{file} is not in data/demo"));
    bb_data::read_candles(&path).unwrap()
}

/// ETH, LTC and XLM: no gaps, one timeline.
fn same_timeline() -> Vec<(String, Candles)> {
    ["ETH", "LTC", "XLM"]
        .iter()
        .map(|n| (n.to_string(), pair(n)))
        .collect()
}

/// ADA and TRX with their real gaps, and DASH starting 1,500 bars later. All end together.
fn different_timelines() -> Vec<(String, Candles)> {
    let dash = pair("DASH");
    vec![
        ("ADA".to_string(), pair("ADA")),
        ("DASH".to_string(), dash.slice(1500, dash.len())),
        ("TRX".to_string(), pair("TRX")),
    ]
}

fn plan(name: &str, candles: &Candles) -> Plan {
    let text =
        std::fs::read_to_string(root().join("strategies").join(format!("{name}.json"))).unwrap();
    let doc = StrategyDocument::from_json(&text).unwrap();
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: None,
    };
    compile(&validate(&doc), &options).unwrap()
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn trade_bits(t: &Trade) -> String {
    format!(
        "{:?} {} {} {:x} {:x} {:x} {:x} {:x} {:x} {:?}",
        t.side,
        t.entry_ts,
        t.exit_ts,
        t.entry_price.to_bits(),
        t.exit_price.to_bits(),
        t.quantity.to_bits(),
        t.pnl.to_bits(),
        t.fees.to_bits(),
        t.slippage.to_bits(),
        t.exit_reason
    )
}

fn all_trade_bits(trades: &[Trade]) -> Vec<String> {
    trades.iter().map(trade_bits).collect()
}

fn config(fill: FillRule) -> BacktestConfig {
    BacktestConfig {
        sim: SimConfig {
            fill,
            fee_pct: 0.1,
            slippage_bps: 5.0,
            ..SimConfig::default()
        },
        equity_points: 0,
        ..BacktestConfig::default()
    }
}

fn report(
    name: &str,
    plans: &[Plan],
    data: &[(String, Candles)],
    config: &BacktestConfig,
) -> BasketReport {
    let inputs: Vec<BasketInput> = data
        .iter()
        .zip(plans)
        .map(|((symbol, candles), plan)| BasketInput {
            symbol,
            plan,
            candles,
        })
        .collect();
    backtest_basket(name, &inputs, config, CAP).unwrap()
}

/// The simulator's own basket run over the plans' batch evaluations.
fn batch(plans: &[Plan], data: &[(String, Candles)], sim: &SimConfig) -> BasketResult {
    let evaluations: Vec<_> = data
        .iter()
        .zip(plans)
        .map(|((_, c), p)| p.evaluate(c).unwrap())
        .collect();
    let members: Vec<BasketMember> = data
        .iter()
        .zip(plans)
        .zip(&evaluations)
        .map(|(((symbol, candles), plan), e)| BasketMember {
            symbol: symbol.clone(),
            input: SimInput {
                candles,
                signals: &e.signals,
                risk: &plan.risk,
                atr: &e.atr,
            },
        })
        .collect();
    simulate_basket(&members, sim, CAP)
}

fn paper(plans: &[Plan], data: &[(String, Candles)], sim: &SimConfig) -> PaperBasket {
    let members: Vec<(&str, &Plan)> = data
        .iter()
        .zip(plans)
        .map(|((symbol, _), plan)| (symbol.as_str(), plan))
        .collect();
    let tf = data[0].1.timeframe().unwrap();
    PaperBasket::new(&members, tf, sim, CAP).unwrap()
}

/// Replays the data into a paper basket, stops it, and checks it against the basket
/// backtest and the simulator's batch run. Returns the number of trades compared.
fn check_replay(name: &str, data: &[(String, Candles)], fill: FillRule) -> usize {
    let plans: Vec<Plan> = data.iter().map(|(_, c)| plan(name, c)).collect();
    let config = config(fill);
    let report = report(name, &plans, data, &config);
    let mut run = paper(&plans, data, &config.sim);
    let candles: Vec<Candles> = data.iter().map(|(_, c)| c.clone()).collect();
    run.replay(&candles).unwrap();
    let stopped = run.stop();
    let what = format!(
        "{name} ({fill:?}) on {:?}",
        data.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
    let mut compared = 0;
    for (m, member) in report.members.iter().enumerate() {
        assert_eq!(
            all_trade_bits(&stopped.members[m].trades),
            all_trade_bits(&member.trades),
            "{what}: trades of {}",
            member.symbol
        );
        compared += member.trades.len();
    }
    let ts: Vec<i64> = report.equity.iter().map(|p| p.ts).collect();
    let equity: Vec<f64> = report.equity.iter().map(|p| p.equity).collect();
    assert_eq!(stopped.ts, ts, "{what}: merged timeline");
    assert_eq!(bits(&stopped.equity), bits(&equity), "{what}: equity");
    // Counters and per-member totals too: the whole result is the batch run's.
    let batch = batch(&plans, data, &config.sim);
    assert_eq!(
        format!("{stopped:?}"),
        format!("{batch:?}"),
        "{what}: result"
    );
    compared
}

#[test]
fn a_basket_paper_run_stopped_at_the_end_of_the_data_is_the_basket_backtest() {
    let datasets = [same_timeline(), different_timelines()];
    for data in &datasets {
        let mut compared = 0;
        for fill in [FillRule::NextOpen, FillRule::SameClose] {
            for name in STARTERS {
                compared += check_replay(name, data, fill);
                // Also ending where an entry fires on the last bar, which a backtest does not
                // take and a paper run took: stopping takes that bar again as the end.
                compared += check_replay(name, &ending_on_an_entry(name, data), fill);
            }
        }
        assert!(compared > 300, "{compared} trades compared");
    }
}

/// The data up to the first time after the first third where every member has a candle and
/// some member's plan fires an entry.
fn ending_on_an_entry(name: &str, data: &[(String, Candles)]) -> Vec<(String, Candles)> {
    let signals: Vec<_> = data
        .iter()
        .map(|(_, c)| plan(name, c).evaluate(c).unwrap().signals)
        .collect();
    let shared = shared_times(data);
    let end = shared[shared.len() / 3..]
        .iter()
        .copied()
        .find(|t| {
            data.iter().zip(&signals).any(|((_, c), s)| {
                let i = c.ts.binary_search(t).unwrap();
                s.enter_long[i] || s.enter_short[i]
            })
        })
        .expect("an entry after the first third");
    data.iter()
        .map(|(symbol, c)| (symbol.clone(), between(c, i64::MIN, end + 1)))
        .collect()
}

/// The times at which every member has a candle.
fn shared_times(data: &[(String, Candles)]) -> Vec<i64> {
    let first = &data[0].1.ts;
    first
        .iter()
        .copied()
        .filter(|t| data.iter().all(|(_, c)| c.ts.binary_search(t).is_ok()))
        .collect()
}

/// Candles of `c` with `from <= ts < to`.
fn between(c: &Candles, from: i64, to: i64) -> Candles {
    let a = c.ts.partition_point(|&t| t < from);
    let b = c.ts.partition_point(|&t| t < to);
    c.slice(a, b)
}

#[test]
fn a_basket_paper_run_in_progress_is_the_backtest_of_the_candles_seen_so_far() {
    let data = different_timelines();
    let shared = shared_times(&data);
    let cuts: Vec<i64> = [0.2, 0.45, 0.7, 0.95]
        .iter()
        .map(|f| shared[(shared.len() as f64 * f) as usize])
        .collect();
    for fill in [FillRule::NextOpen, FillRule::SameClose] {
        let config = config(fill);
        for name in STARTERS {
            let plans: Vec<Plan> = data.iter().map(|(_, c)| plan(name, c)).collect();
            let mut run = paper(&plans, &data, &config.sim);
            let mut fed = i64::MIN;
            for &cut in &cuts {
                // The backtest of the candles up to and including `cut` (where every member
                // has one) treats `cut` as the end of its data; the times before it are
                // processed exactly as a paper run that has seen them processes them.
                let more: Vec<Candles> = data.iter().map(|(_, c)| between(c, fed, cut)).collect();
                run.replay(&more).unwrap();
                fed = cut;
                let prefix: Vec<(String, Candles)> = data
                    .iter()
                    .map(|(s, c)| (s.clone(), between(c, i64::MIN, cut + 1)))
                    .collect();
                let report = report(name, &plans, &prefix, &config);
                let what = format!("{name} ({fill:?}) before {cut}");
                for (m, member) in report.members.iter().enumerate() {
                    let closed_before: Vec<&Trade> =
                        member.trades.iter().filter(|t| t.exit_ts < cut).collect();
                    assert_eq!(
                        run.trades(m).iter().map(trade_bits).collect::<Vec<_>>(),
                        closed_before
                            .into_iter()
                            .map(trade_bits)
                            .collect::<Vec<_>>(),
                        "{what}: trades of {}",
                        member.symbol
                    );
                }
                let seen = run.ts().len();
                assert_eq!(seen + 1, report.equity.len(), "{what}: times seen");
                let ts: Vec<i64> = report.equity[..seen].iter().map(|p| p.ts).collect();
                let equity: Vec<f64> = report.equity[..seen].iter().map(|p| p.equity).collect();
                assert_eq!(run.ts(), ts.as_slice(), "{what}: times");
                assert_eq!(bits(run.equity()), bits(&equity), "{what}: equity");
            }
        }
    }
}

#[test]
fn refused_pushes_change_nothing() {
    let data = same_timeline();
    let plans: Vec<Plan> = data.iter().map(|(_, c)| plan("sma_crossover", c)).collect();
    let mut run = paper(&plans, &data, &SimConfig::default());
    let head: Vec<Candles> = data.iter().map(|(_, c)| c.slice(0, 100)).collect();
    run.replay(&head).unwrap();
    let before = (run.ts().to_vec(), bits(run.equity()), run.cash().to_bits());
    let c = &data[0].1;
    let bar = |m: usize, i: usize| (m, c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
    let (last, next) = (c.ts[99], c.ts[100]);
    assert_eq!(run.push(next, &[]), Err(BasketPushError::Empty));
    assert_eq!(
        run.push(next, &[bar(3, 100)]),
        Err(BasketPushError::UnknownMember(3))
    );
    assert_eq!(
        run.push(next, &[bar(1, 100), bar(0, 100), bar(1, 100)]),
        Err(BasketPushError::Repeated(1))
    );
    assert_eq!(
        run.push(last, &[bar(0, 100)]),
        Err(BasketPushError::NotIncreasing {
            ts: last,
            previous: last
        })
    );
    let mut nan = bar(2, 100);
    nan.4 = f64::NAN;
    assert!(matches!(
        run.push(next, &[bar(0, 100), nan]),
        Err(BasketPushError::Stream { member: 2, .. })
    ));
    assert_eq!(
        (run.ts().to_vec(), bits(run.equity()), run.cash().to_bits()),
        before
    );
    // Members may come in any order; the step lists them in member order.
    let step = run.push(next, &[bar(2, 100), bar(0, 100)]).unwrap();
    assert_eq!(
        step.members.iter().map(|m| m.member).collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert_eq!(
        (run.ts().len(), run.candles(1).len(), run.candles(2).len()),
        (101, 100, 101)
    );
}

/// Random walks for up to three members, each with random missing bars and a later start,
/// all ending at one time.
fn random_members() -> impl Strategy<Value = Vec<Candles>> {
    let member = (
        0usize..40,
        prop::collection::vec((-0.03..0.03f64, 0.0..0.02f64, any::<bool>()), 150..400),
    );
    prop::collection::vec(member, 1..4).prop_map(|members| {
        let last = members
            .iter()
            .map(|(start, bars)| start + bars.len())
            .max()
            .unwrap();
        members
            .into_iter()
            .map(|(start, bars)| {
                let mut c = Candles::default();
                let mut price = 100.0;
                let offset = last - start - bars.len();
                for (k, &(change, wick, keep)) in bars.iter().enumerate() {
                    let open = price;
                    price *= 1.0 + change;
                    let (high, low) = (
                        open.max(price) * (1.0 + wick),
                        open.min(price) * (1.0 - wick),
                    );
                    let i = start + offset + k;
                    // Keep the first two bars (the timeframe) and the last (the shared end).
                    if keep || k < 2 || k + 1 == bars.len() || k % 3 != 0 {
                        c.push(i as i64 * 60_000, open, high, low, price, 1.0);
                    }
                }
                c
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random candles: replayed and stopped, the paper basket is the simulator's batch run.
    #[test]
    fn random_baskets_replay_to_the_batch_run(members in random_members(), same_close in any::<bool>()) {
        let fill = if same_close { FillRule::SameClose } else { FillRule::NextOpen };
        let data: Vec<(String, Candles)> = members
            .into_iter()
            .enumerate()
            .map(|(k, c)| (format!("S{k}"), c))
            .collect();
        for name in ["sma_crossover", "macd_trend_atr_trailing"] {
            let plans: Vec<Plan> = data.iter().map(|(_, c)| plan(name, c)).collect();
            let sim = config(fill).sim;
            let mut run = paper(&plans, &data, &sim);
            let candles: Vec<Candles> = data.iter().map(|(_, c)| c.clone()).collect();
            run.replay(&candles).unwrap();
            let stopped = run.stop();
            let batch = batch(&plans, &data, &sim);
            prop_assert_eq!(bits(&stopped.equity), bits(&batch.equity));
            prop_assert_eq!(format!("{stopped:?}"), format!("{batch:?}"));
        }
    }
}
