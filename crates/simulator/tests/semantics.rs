//! Hand-computed cases for every simulator rule. Unless a case says otherwise: no fees, no
//! slippage, 10,000 capital, `NextOpen`, 100% of equity per trade.

use bb_domain::{
    Candles, ExitReason, RiskRules, Side, Signals, Sizing, StopRule, TargetRule, TrailingRule,
};
use bb_simulator::{FillRule, SimConfig, SimInput, SimResult, simulate};

use ExitReason::*;
use Side::*;

const FREE: SimConfig = SimConfig {
    initial_capital: 10_000.0,
    fee_pct: 0.0,
    slippage_bps: 0.0,
    fill: FillRule::NextOpen,
    allow_short: true,
};
const SAME: SimConfig = SimConfig {
    fill: FillRule::SameClose,
    ..FREE
};

/// Bars from (open, high, low, close), one minute apart.
fn candles(bars: &[(f64, f64, f64, f64)]) -> Candles {
    let mut c = Candles::default();
    for (i, &(o, h, l, cl)) in bars.iter().enumerate() {
        c.push(i as i64 * 60_000, o, h, l, cl, 1.0);
    }
    c
}

/// A bar with open = high = low = close.
fn at(p: f64) -> (f64, f64, f64, f64) {
    (p, p, p, p)
}

/// Per-bar signal letters: L enter long, X exit long, S enter short, C cover (exit short).
fn signals(spec: &[&str]) -> Signals {
    let mut s = Signals::none(spec.len());
    for (i, letters) in spec.iter().enumerate() {
        s.enter_long[i] = letters.contains('L');
        s.exit_long[i] = letters.contains('X');
        s.enter_short[i] = letters.contains('S');
        s.exit_short[i] = letters.contains('C');
    }
    s
}

/// (side, entry index, entry fill, exit index, exit fill, reason)
type Expect = (Side, usize, f64, usize, f64, ExitReason);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

struct Case<'a> {
    bars: &'a [(f64, f64, f64, f64)],
    sig: &'a [&'a str],
    risk: RiskRules,
    config: SimConfig,
    atr: Vec<(usize, Vec<f64>)>,
}

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            bars: &[],
            sig: &[],
            risk: RiskRules::default(),
            config: FREE,
            atr: Vec::new(),
        }
    }
}

fn run(case: &Case) -> SimResult {
    let c = candles(case.bars);
    let s = signals(case.sig);
    assert_eq!(c.len(), s.len(), "case has as many signal entries as bars");
    simulate(
        &SimInput {
            candles: &c,
            signals: &s,
            risk: &case.risk,
            atr: &case.atr,
        },
        &case.config,
    )
}

/// Runs the case, compares the trades and the end-of-run identity, returns the result.
fn check(name: &str, case: Case, expected: &[Expect]) -> SimResult {
    let r = run(&case);
    let got: Vec<Expect> = r
        .trades
        .iter()
        .map(|t| {
            (
                t.side,
                t.entry_index,
                t.entry_price,
                t.exit_index,
                t.exit_price,
                t.exit_reason,
            )
        })
        .collect();
    let same = got.len() == expected.len()
        && got.iter().zip(expected).all(|(g, e)| {
            g.0 == e.0
                && g.1 == e.1
                && close(g.2, e.2)
                && g.3 == e.3
                && close(g.4, e.4)
                && g.5 == e.5
        });
    assert!(same, "{name}:\n got      {got:?}\n expected {expected:?}");
    let pnl: f64 = r.trades.iter().map(|t| t.pnl).sum();
    let last = r
        .equity
        .last()
        .copied()
        .unwrap_or(case.config.initial_capital);
    assert!(
        close(last, case.config.initial_capital + pnl),
        "{name}: final equity {last} vs pnl {pnl}"
    );
    assert_eq!(
        r.equity.len(),
        case.bars.len(),
        "{name}: one equity point per bar"
    );
    r
}

fn risk(f: impl FnOnce(&mut RiskRules)) -> RiskRules {
    let mut r = RiskRules::default();
    f(&mut r);
    r
}

const RISING: &[(f64, f64, f64, f64)] = &[
    (100.0, 100.0, 100.0, 100.0),
    (101.0, 102.0, 100.0, 101.0),
    (102.0, 103.0, 101.0, 102.0),
    (104.0, 105.0, 103.0, 104.0),
    (105.0, 106.0, 104.0, 105.0),
];

#[test]
fn fill_rules() {
    // NextOpen: the signal on bar 0 fills at bar 1's open, the exit on bar 2 at bar 3's open.
    let r = check(
        "next open",
        Case {
            bars: RISING,
            sig: &["L", "", "X", "", ""],
            ..Case::default()
        },
        &[(Long, 1, 101.0, 3, 104.0, Signal)],
    );
    let qty = 10_000.0 / 101.0;
    assert!(close(r.trades[0].quantity, qty));
    assert!(close(r.trades[0].pnl, qty * 3.0));
    assert!(close(r.trades[0].pnl_pct, 3.0 / 101.0 * 100.0));
    let want = [10_000.0, qty * 101.0, qty * 102.0, qty * 104.0, qty * 104.0];
    assert!(
        r.equity.iter().zip(want).all(|(a, b)| close(*a, b)),
        "{:?}",
        r.equity
    );
    assert_eq!(r.bars_in_market, 2);

    // SameClose: fills at the signal bar's close.
    check(
        "same close",
        Case {
            bars: RISING,
            sig: &["L", "", "X", "", ""],
            config: SAME,
            ..Case::default()
        },
        &[(Long, 0, 100.0, 2, 102.0, Signal)],
    );

    // A signal on the last bar never fills, in either mode.
    for config in [FREE, SAME] {
        let r = check(
            "last bar",
            Case {
                bars: RISING,
                sig: &["", "", "", "", "L"],
                config,
                ..Case::default()
            },
            &[],
        );
        assert!(r.equity.iter().all(|&e| e == 10_000.0));
    }
    // An exit signal on the last bar: NextOpen cannot fill it, so the data end closes.
    check(
        "exit on last bar",
        Case {
            bars: RISING,
            sig: &["L", "", "", "", "X"],
            ..Case::default()
        },
        &[(Long, 1, 101.0, 4, 105.0, EndOfData)],
    );
    check(
        "exit on last bar, same close",
        Case {
            bars: RISING,
            sig: &["L", "", "", "", "X"],
            config: SAME,
            ..Case::default()
        },
        &[(Long, 0, 100.0, 4, 105.0, Signal)],
    );
}

#[test]
fn fees_slippage_and_end_of_data() {
    let config = SimConfig {
        fee_pct: 0.1,
        slippage_bps: 5.0,
        ..FREE
    };
    let bars = &[at(100.0), at(100.0), at(105.0), at(110.0)];
    let (entry, exit) = (100.0 * 1.0005, 110.0 * 0.9995);
    let r = check(
        "costs",
        Case {
            bars,
            sig: &["L", "", "", ""],
            config,
            ..Case::default()
        },
        &[(Long, 1, entry, 3, exit, EndOfData)],
    );
    let t = &r.trades[0];
    let qty = 10_000.0 / (entry * 1.001);
    let (fee_in, fee_out) = (qty * entry * 0.001, qty * exit * 0.001);
    assert!(close(t.quantity, qty));
    assert!(close(t.fees, fee_in + fee_out));
    assert!(close(t.slippage, qty * 0.05 + qty * 0.055));
    assert!(close(t.pnl, qty * (exit - entry) - fee_in - fee_out));
    assert!(close(t.pnl_pct, t.pnl / (entry * qty) * 100.0));
    assert!(close(r.total_fees, t.fees) && close(r.total_slippage, t.slippage));
    // Entry bar: all cash spent (notional + fee); marked at the raw close.
    assert!(close(r.equity[1], qty * 100.0));
    assert!(close(r.equity[2], qty * 105.0));
    // Last point: after the end-of-data close, costs paid.
    assert!(close(r.equity[3], qty * exit - fee_out));

    // Shorts: sell fills below the raw price, the buy-back above it.
    let bars = &[at(100.0), at(100.0), at(90.0), at(90.0)];
    let r = check(
        "short costs",
        Case {
            bars,
            sig: &["S", "", "C", ""],
            config,
            ..Case::default()
        },
        &[(Short, 1, 100.0 * 0.9995, 3, 90.0 * 1.0005, Signal)],
    );
    let t = &r.trades[0];
    let qty = 10_000.0 / (99.95 * 1.001);
    assert!(close(
        t.pnl,
        qty * (99.95 - 90.045) - qty * 99.95 * 0.001 - qty * 90.045 * 0.001
    ));
}

#[test]
fn sizing_rules() {
    let bars = &[at(100.0), at(100.0), at(100.0)];
    let sized = |sizing: Sizing, stop: Option<StopRule>| {
        let risk = risk(|r| {
            r.sizing = sizing;
            r.stop_loss = stop;
        });
        run(&Case {
            bars,
            sig: &["L", "", ""],
            risk,
            ..Case::default()
        })
        .trades[0]
            .quantity
    };
    assert!(close(
        sized(Sizing::PercentOfEquity { percent: 50.0 }, None),
        50.0
    ));
    assert!(close(
        sized(Sizing::FixedQuote { amount: 1_000.0 }, None),
        10.0
    ));
    assert!(
        close(sized(Sizing::FixedQuote { amount: 20_000.0 }, None), 100.0),
        "cash-limited"
    );
    // 1% of 10,000 at risk over a 5-point stop distance: 20 units.
    let stop5 = Some(StopRule::Percent { percent: 5.0 });
    assert!(close(
        sized(Sizing::RiskPercent { percent: 1.0 }, stop5),
        20.0
    ));
    // 50% at risk would need 1,000 units; capped by the cash at 100.
    assert!(close(
        sized(Sizing::RiskPercent { percent: 50.0 }, stop5),
        100.0
    ));
    // RiskPercent without a stop loss cannot size: skipped.
    let r = run(&Case {
        bars,
        sig: &["L", "", ""],
        risk: risk(|r| r.sizing = Sizing::RiskPercent { percent: 1.0 }),
        ..Case::default()
    });
    assert_eq!((r.trades.len(), r.skipped_entries), (0, 1));
    // Percent of equity refers to equity after earlier trades (flat: the cash).
    let bars = &[at(100.0), at(100.0), at(200.0), at(200.0), at(200.0)];
    let r = check(
        "compounding",
        Case {
            bars,
            sig: &["L", "X", "L", "", ""],
            risk: risk(|r| r.sizing = Sizing::PercentOfEquity { percent: 50.0 }),
            ..Case::default()
        },
        &[
            (Long, 1, 100.0, 2, 200.0, Signal),
            (Long, 3, 200.0, 4, 200.0, EndOfData),
        ],
    );
    assert!(close(r.trades[1].quantity, 15_000.0 / 2.0 / 200.0));
}

#[test]
fn one_position_reversals_and_ignored_signals() {
    let bars = &[
        at(100.0),
        at(100.0),
        at(101.0),
        at(102.0),
        at(103.0),
        at(104.0),
    ];
    // Exit long + enter short on bar 2: both fill at bar 3's open.
    let r = check(
        "reversal",
        Case {
            bars,
            sig: &["L", "", "XS", "", "", ""],
            ..Case::default()
        },
        &[
            (Long, 1, 100.0, 3, 102.0, Signal),
            (Short, 3, 102.0, 5, 104.0, EndOfData),
        ],
    );
    assert_eq!(r.ignored_signals, 0);
    check(
        "reversal, same close",
        Case {
            bars,
            sig: &["L", "", "XS", "", "", ""],
            config: SAME,
            ..Case::default()
        },
        &[
            (Long, 0, 100.0, 2, 101.0, Signal),
            (Short, 2, 101.0, 5, 104.0, EndOfData),
        ],
    );
    // Same-side entry while long, opposite entry without an exit: both ignored and counted.
    let r = check(
        "ignored",
        Case {
            bars,
            sig: &["L", "", "L", "S", "", ""],
            ..Case::default()
        },
        &[(Long, 1, 100.0, 5, 104.0, EndOfData)],
    );
    assert_eq!(r.ignored_signals, 2);
    // Exit + same-side entry on one bar: exit only, the entry is ignored (no zero-length re-entry).
    let r = check(
        "exit and re-enter",
        Case {
            bars,
            sig: &["L", "", "XL", "", "", ""],
            ..Case::default()
        },
        &[(Long, 1, 100.0, 3, 102.0, Signal)],
    );
    assert_eq!(r.ignored_signals, 1);
    // Long and short entries on the same bar while flat: neither, both counted.
    let r = check(
        "conflict",
        Case {
            bars,
            sig: &["LS", "", "", "", "", ""],
            ..Case::default()
        },
        &[],
    );
    assert_eq!(r.ignored_signals, 2);
    // Shorts disabled: short signals do nothing and are not counted.
    let config = SimConfig {
        allow_short: false,
        ..FREE
    };
    let r = check(
        "no shorts",
        Case {
            bars,
            sig: &["S", "", "L", "S", "XS", ""],
            config,
            ..Case::default()
        },
        &[(Long, 3, 102.0, 5, 104.0, Signal)],
    );
    assert_eq!(r.ignored_signals, 0);
}

#[test]
fn short_accounting() {
    let bars = &[at(100.0), at(100.0), at(95.0), at(90.0), at(90.0)];
    let r = check(
        "short",
        Case {
            bars,
            sig: &["S", "", "C", "", ""],
            ..Case::default()
        },
        &[(Short, 1, 100.0, 3, 90.0, Signal)],
    );
    // 100 units; the collateral (10,000) plus (100 − price) × 100 of unrealised P&L.
    assert!(close(r.trades[0].pnl, 1_000.0));
    let want = [10_000.0, 10_000.0, 10_500.0, 11_000.0, 11_000.0];
    assert!(
        r.equity.iter().zip(want).all(|(a, b)| close(*a, b)),
        "{:?}",
        r.equity
    );
}

#[test]
fn stops_and_targets() {
    let sl5 = || risk(|r| r.stop_loss = Some(StopRule::Percent { percent: 5.0 }));
    let sl5_tp10 = || {
        risk(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
            r.take_profit = Some(TargetRule::Percent { percent: 10.0 });
        })
    };
    // Stop hit inside bar 2 at the stop price.
    let bars = &[at(100.0), at(100.0), (99.0, 100.0, 94.0, 96.0), at(96.0)];
    check(
        "stop",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: sl5(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 95.0, StopLoss)],
    );
    // Gap through the stop: fill at the open.
    let bars = &[at(100.0), at(100.0), (93.0, 94.0, 90.0, 92.0), at(96.0)];
    check(
        "gap",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: sl5(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 93.0, StopLoss)],
    );
    // Slippage applies to the stop fill.
    let bars = &[at(100.0), at(100.0), (99.0, 100.0, 94.0, 96.0), at(96.0)];
    let config = SimConfig {
        slippage_bps: 10.0,
        ..FREE
    };
    check(
        "stop slippage",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: sl5(),
            config,
            ..Case::default()
        },
        &[(Long, 1, 100.1, 2, 100.1 * 0.95 * 0.999, StopLoss)],
    );
    // NextOpen: the entry fills at the open, so the whole entry bar is checked.
    let bars = &[at(100.0), (100.0, 100.5, 94.0, 96.0), at(96.0)];
    check(
        "entry bar",
        Case {
            bars,
            sig: &["L", "", ""],
            risk: sl5(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 1, 95.0, StopLoss)],
    );
    // SameClose: the entry fills at the close; checks start on the next bar.
    let bars = &[
        (100.0, 100.0, 80.0, 100.0),
        (100.0, 100.0, 96.0, 97.0),
        (97.0, 97.0, 94.0, 94.0),
    ];
    check(
        "same close entry bar",
        Case {
            bars,
            sig: &["L", "", ""],
            risk: sl5(),
            config: SAME,
            ..Case::default()
        },
        &[(Long, 0, 100.0, 2, 95.0, StopLoss)],
    );
    // Stop and target inside one bar; the open is nearer the high, so the target comes first.
    let bars = &[at(100.0), at(100.0), (104.0, 111.0, 94.0, 100.0), at(100.0)];
    let r = check(
        "both in bar",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: sl5_tp10(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 110.0, TakeProfit)],
    );
    assert_eq!(r.stop_and_target_same_bar, 1);
    // Open nearer the low: the stop comes first.
    let bars = &[at(100.0), at(100.0), (97.0, 111.0, 94.0, 100.0), at(100.0)];
    let r = check(
        "both in bar, low first",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: sl5_tp10(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 95.0, StopLoss)],
    );
    assert_eq!(r.stop_and_target_same_bar, 1);
    // Reward/risk 2 on a 5% stop: target 110. Short side mirrored: stop 105, target 90.
    let rr = risk(|r| {
        r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
        r.take_profit = Some(TargetRule::RewardRisk { ratio: 2.0 });
    });
    let bars = &[at(100.0), at(100.0), (99.0, 100.0, 89.0, 92.0), at(92.0)];
    check(
        "short target",
        Case {
            bars,
            sig: &["S", "", "", ""],
            risk: rr.clone(),
            ..Case::default()
        },
        &[(Short, 1, 100.0, 2, 90.0, TakeProfit)],
    );
    let bars = &[
        at(100.0),
        at(100.0),
        (104.0, 106.0, 100.0, 105.0),
        at(105.0),
    ];
    check(
        "short stop",
        Case {
            bars,
            sig: &["S", "", "", ""],
            risk: rr,
            ..Case::default()
        },
        &[(Short, 1, 100.0, 2, 105.0, StopLoss)],
    );
}

#[test]
fn trailing_break_even_and_tightest_stop() {
    let trail5 = risk(|r| {
        r.stop_loss = Some(StopRule::Percent { percent: 10.0 });
        r.trailing_stop = Some(TrailingRule::Percent { percent: 5.0 });
    });
    // Bar 2 opens nearer its high: high 110 lifts the trail to 104.5 before the low 103.
    let bars = &[
        at(100.0),
        at(100.0),
        (107.0, 110.0, 103.0, 105.0),
        at(105.0),
    ];
    check(
        "trail",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: trail5.clone(),
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 104.5, TrailingStop)],
    );
    // Short: low 90 pulls the trail to 94.5; the close 95 is above it.
    let bars = &[at(100.0), at(100.0), (94.0, 96.0, 90.0, 95.0), at(95.0)];
    check(
        "short trail",
        Case {
            bars,
            sig: &["S", "", "", ""],
            risk: trail5,
            ..Case::default()
        },
        &[(Short, 1, 100.0, 2, 94.5, TrailingStop)],
    );
    // Break-even after +3%: bar 2 reaches 104, bar 3 falls through 100.
    let be = risk(|r| {
        r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
        r.break_even_after_pct = Some(3.0);
    });
    let bars = &[
        at(100.0),
        at(100.0),
        (101.0, 104.0, 101.0, 103.0),
        (102.0, 102.5, 99.0, 100.0),
        at(100.0),
    ];
    check(
        "break-even",
        Case {
            bars,
            sig: &["L", "", "", "", ""],
            risk: be,
            ..Case::default()
        },
        &[(Long, 1, 100.0, 3, 100.0, BreakEven)],
    );
    // Tightest wins: a 2% trail (98) beats a 5% stop loss (95).
    let both = risk(|r| {
        r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
        r.trailing_stop = Some(TrailingRule::Percent { percent: 2.0 });
    });
    let bars = &[at(100.0), at(100.0), (99.5, 99.6, 97.0, 98.0), at(98.0)];
    check(
        "tightest",
        Case {
            bars,
            sig: &["L", "", "", ""],
            risk: both,
            ..Case::default()
        },
        &[(Long, 1, 100.0, 2, 98.0, TrailingStop)],
    );
}

#[test]
fn time_stop() {
    let bars = &[
        at(100.0),
        at(101.0),
        at(102.0),
        at(103.0),
        at(104.0),
        at(105.0),
    ];
    let ts2 = risk(|r| r.time_stop_bars = Some(2));
    // NextOpen: entry at bar 1's open, the time stop fires on bar 2's close, fills at bar 3's open.
    let r = check(
        "time stop",
        Case {
            bars,
            sig: &["L", "", "", "", "", ""],
            risk: ts2.clone(),
            ..Case::default()
        },
        &[(Long, 1, 101.0, 3, 103.0, TimeStop)],
    );
    assert_eq!(r.trades[0].bars_held(), 2);
    // SameClose: entry at bar 0's close, exit at bar 2's close.
    let r = check(
        "time stop, same close",
        Case {
            bars,
            sig: &["L", "", "", "", "", ""],
            risk: ts2.clone(),
            config: SAME,
            ..Case::default()
        },
        &[(Long, 0, 100.0, 2, 102.0, TimeStop)],
    );
    assert_eq!(r.trades[0].bars_held(), 2);
    // An exit signal on the same close wins the reason.
    check(
        "signal first",
        Case {
            bars,
            sig: &["L", "", "X", "", "", ""],
            risk: ts2,
            ..Case::default()
        },
        &[(Long, 1, 101.0, 3, 103.0, Signal)],
    );
}

#[test]
fn atr_rules_use_the_signal_bar_and_skip_warm_up() {
    let bars = &[
        at(100.0),
        at(100.0),
        at(100.0),
        at(100.0),
        (100.0, 100.0, 97.0, 99.0),
        at(99.0),
    ];
    let atr = vec![(3, vec![f64::NAN, f64::NAN, 1.0, 5.0, 5.0, 5.0])];
    let rules = risk(|r| {
        r.stop_loss = Some(StopRule::Atr {
            period: 3,
            multiple: 2.0,
        })
    });
    // Signal on bar 0: ATR still NaN -> skipped. Signal on bar 2 (ATR 1.0): stop 100 − 2 = 98.
    let r = check(
        "atr",
        Case {
            bars,
            sig: &["L", "", "L", "", "", ""],
            risk: rules.clone(),
            atr,
            ..Case::default()
        },
        &[(Long, 3, 100.0, 4, 98.0, StopLoss)],
    );
    assert_eq!(r.skipped_entries, 1);
    // An ATR period the input does not carry counts as missing.
    let r = check(
        "atr missing",
        Case {
            bars,
            sig: &["L", "", "", "", "", ""],
            risk: rules,
            ..Case::default()
        },
        &[],
    );
    assert_eq!(r.skipped_entries, 1);
}

#[test]
fn signal_columns_shorter_than_the_candles_read_as_false() {
    let c = candles(&[
        at(100.0),
        at(101.0),
        at(102.0),
        at(103.0),
        at(104.0),
        at(105.0),
    ]);
    let mut s = signals(&["L", "", ""]);
    s.exit_short.truncate(1);
    let risk = RiskRules::default();
    for config in [FREE, SAME] {
        let r = simulate(
            &SimInput {
                candles: &c,
                signals: &s,
                risk: &risk,
                atr: &[],
            },
            &config,
        );
        assert_eq!(r.trades.len(), 1);
        assert_eq!(r.trades[0].exit_reason, EndOfData);
        assert_eq!(r.equity.len(), 6);
    }
}
