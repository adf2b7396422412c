//! Timing of `compute()` on a 100,000-bar equity curve with 2,000 trades, the size of one
//! parameter-sweep evaluation. Run with `cargo bench -p bb-metrics`. No external harness:
//! std::time::Instant only.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use bb_domain::{ExitReason, Side, Timeframe, Trade};
use bb_metrics::{MetricsInput, compute};

/// Deterministic random walk (xorshift) so runs are comparable.
fn synthetic(bars: usize, trades: usize) -> (Vec<i64>, Vec<f64>, Vec<f64>, Vec<Trade>) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let ts: Vec<i64> = (0..bars as i64)
        .map(|i| 1_600_000_000_000 + i * 60_000)
        .collect();
    let (mut equity, mut close) = (Vec::with_capacity(bars), Vec::with_capacity(bars));
    let (mut e, mut c) = (10_000.0_f64, 100.0_f64);
    for i in 0..bars {
        c *= 1.0 + (next() - 0.5) * 0.01;
        // In the market two bars out of three.
        if i % 3 != 0 {
            e *= 1.0 + (next() - 0.5) * 0.01;
        }
        close.push(c);
        equity.push(e);
    }
    let step = bars / trades.max(1);
    let trades = (0..trades)
        .map(|k| {
            let pnl_pct = (next() - 0.45) * 4.0;
            Trade {
                side: Side::Long,
                entry_index: k * step,
                entry_ts: ts[k * step],
                entry_price: 100.0,
                exit_index: k * step + step / 2,
                exit_ts: ts[k * step + step / 2],
                exit_price: 100.0 + pnl_pct,
                quantity: 1.0,
                pnl: pnl_pct,
                pnl_pct,
                fees: 0.1,
                slippage: 0.05,
                exit_reason: ExitReason::Signal,
            }
        })
        .collect();
    (ts, equity, close, trades)
}

/// Seconds per call of `f`: the best of ten batches, as the machine may be shared.
fn best_of(runs: usize, f: &dyn Fn()) -> f64 {
    (0..10)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..runs / 10 {
                f();
            }
            start.elapsed().as_secs_f64() / (runs / 10) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let (bars, n_trades) = (100_000, 2_000);
    let (ts, equity, close, trades) = synthetic(bars, n_trades);
    let input = MetricsInput {
        ts: &ts,
        equity: &equity,
        close: &close,
        trades: &trades,
        initial_capital: 10_000.0,
        timeframe: Timeframe::MINUTE,
        bars_in_market: bars * 2 / 3,
        risk_free_rate: 0.02,
    };
    for _ in 0..20 {
        black_box(compute(black_box(&input)));
    }
    let runs = 500;
    let time = |name: &str, f: &dyn Fn()| {
        println!("  {name}: {:.1} us", best_of(runs, f) * 1e6);
    };
    time("returns", &|| {
        black_box(bb_metrics::returns::ReturnStats::from_equity(
            black_box(&equity),
            0.0,
        ));
    });
    time("drawdown", &|| {
        black_box(bb_metrics::max_drawdown::max_drawdown(
            black_box(&ts),
            black_box(&equity),
        ));
    });
    time("trades", &|| {
        let t = black_box(&trades[..]);
        black_box(bb_metrics::win_rate::win_rate_pct(t));
        black_box(bb_metrics::profit_factor::profit_factor(t));
        black_box(bb_metrics::average_win_loss::average_win_loss(t));
        black_box(bb_metrics::holding_time::average_holding(t));
        black_box(bb_metrics::costs::total_costs(t));
        black_box(bb_metrics::best_worst_trade::best_worst_trade_pct(t));
        black_box(bb_metrics::expectancy::expectancy(t));
    });
    let per_run = best_of(runs, &|| {
        black_box(compute(black_box(&input)));
    });
    println!(
        "compute: {bars} bars, {n_trades} trades: {:.1} us per call, {:.2} ns per bar, {:.0} calls/s per core",
        per_run * 1e6,
        per_run * 1e9 / bars as f64,
        1.0 / per_run
    );
}
