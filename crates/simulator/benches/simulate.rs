//! Timing of `simulate()` on 1,000,000 synthetic bars, and on 100,000 bars (a parameter-sweep
//! run). No external harness: std::time::Instant only. Run with
//! `cargo bench -p bb-simulator` (or `-- <text>` to run only the cases whose label contains it).
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use bb_domain::{Candles, RiskRules, Signals, StopRule, TargetRule, TrailingRule};
use bb_simulator::{
    BasketMember, FillRule, SimConfig, SimInput, SimResult, simulate, simulate_basket,
    simulate_into,
};

/// Deterministic random walk (xorshift) so runs are comparable.
fn candles(n: usize) -> Candles {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = Candles::default();
    let mut price = 100.0_f64;
    for i in 0..n {
        let open = price;
        let close = (open * (1.0 + (next() - 0.5) * 0.01)).max(1.0);
        let high = open.max(close) * (1.0 + next() * 0.003);
        let low = open.min(close) * (1.0 - next() * 0.003);
        c.push(i as i64 * 60_000, open, high, low, close, 1.0);
        price = close;
    }
    c
}

/// Exponential moving-average cross: enter long on the cross up, exit on the cross down;
/// with `short`, the reverse for shorts (always in the market). Smaller alphas trade less.
fn cross(c: &Candles, fast_alpha: f64, slow_alpha: f64, short: bool) -> Signals {
    let mut s = Signals::none(c.len());
    let (mut fast, mut slow) = (c.close[0], c.close[0]);
    let mut prev_above = false;
    for i in 0..c.len() {
        fast += (c.close[i] - fast) * fast_alpha;
        slow += (c.close[i] - slow) * slow_alpha;
        let above = fast > slow;
        s.enter_long[i] = above && !prev_above;
        s.exit_long[i] = !above && prev_above;
        if short {
            s.enter_short[i] = s.exit_long[i];
            s.exit_short[i] = s.enter_long[i];
        }
        prev_above = above;
    }
    s
}

fn atr14(c: &Candles) -> Vec<(usize, Vec<f64>)> {
    let series = (0..c.len()).map(|i| {
        if i < 14 {
            f64::NAN
        } else {
            c.high[i] - c.low[i]
        }
    });
    vec![(14, series.collect())]
}

fn selected(label: &str) -> bool {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    filter.iter().all(|f| label.contains(f.as_str()))
}

fn time(label: &str, input: &SimInput, config: &SimConfig, runs: usize) {
    if !selected(label) {
        return;
    }
    let n = input.candles.len();
    let mut times = Vec::with_capacity(runs);
    let mut trades = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let r = simulate(black_box(input), black_box(config));
        times.push(start.elapsed().as_secs_f64());
        trades = r.trades.len();
        black_box(r);
    }
    report(&format!("{label} [simulate]"), n, &mut times, trades);
    let mut out = SimResult::default();
    times.clear();
    for _ in 0..runs {
        let start = Instant::now();
        simulate_into(black_box(input), black_box(config), &mut out);
        times.push(start.elapsed().as_secs_f64());
        black_box(&out);
    }
    report(
        &format!("{label} [simulate_into]"),
        n,
        &mut times,
        out.trades.len(),
    );
}

/// Prints the best and the median run (the machine may be shared, so the best run is the
/// closest to the code's own cost).
fn report(label: &str, n: usize, times: &mut [f64], trades: usize) {
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "{label:<52} {n:>8} bars  best {:>7.3} ms  median {:>7.3} ms  {:>5.0} M bars/s  {:>5.0} runs/s  ({trades} trades)",
        best * 1e3,
        median * 1e3,
        n as f64 / best / 1e6,
        1.0 / best,
    );
}

fn main() {
    let plain = RiskRules::default();
    let stops = RiskRules {
        stop_loss: Some(StopRule::Percent { percent: 2.0 }),
        take_profit: Some(TargetRule::RewardRisk { ratio: 2.0 }),
        trailing_stop: Some(TrailingRule::Atr {
            period: 14,
            multiple: 3.0,
        }),
        break_even_after_pct: Some(1.0),
        time_stop_bars: Some(200),
        ..RiskRules::default()
    };
    let next_open = SimConfig::default();
    let same_close = SimConfig {
        fill: FillRule::SameClose,
        ..next_open
    };

    for n in [1_000_000, 100_000] {
        let runs = if n > 100_000 { 50 } else { 500 };
        let c = candles(n);
        let atr = atr14(&c);
        let none = Signals::none(n);
        let dense = cross(&c, 0.2, 0.05, true);
        let sparse = cross(&c, 0.02, 0.005, false);
        let input = |signals, risk| SimInput {
            candles: &c,
            signals,
            risk,
            atr: &atr,
        };
        time("no signals", &input(&none, &plain), &next_open, runs);
        time(
            "dense long+short, no stops, NextOpen",
            &input(&dense, &plain),
            &next_open,
            runs,
        );
        time(
            "dense long+short, no stops, SameClose",
            &input(&dense, &plain),
            &same_close,
            runs,
        );
        time(
            "dense long+short, all stops, NextOpen",
            &input(&dense, &stops),
            &next_open,
            runs,
        );
        time(
            "sparse long-only, all stops, NextOpen",
            &input(&sparse, &stops),
            &next_open,
            runs,
        );

        let label = "basket of 2, dense, no stops, NextOpen";
        if n > 100_000 && selected(label) {
            let member = |symbol: &str| BasketMember {
                symbol: symbol.into(),
                input: input(&dense, &plain),
            };
            let members = [member("A"), member("B")];
            let mut times = Vec::new();
            let mut trades = 0;
            for _ in 0..10 {
                let start = Instant::now();
                let r = simulate_basket(black_box(&members), &next_open, 50.0);
                times.push(start.elapsed().as_secs_f64());
                trades = r.members.iter().map(|m| m.trades.len()).sum();
            }
            report(label, 2 * n, &mut times, trades);
        }
    }
}
