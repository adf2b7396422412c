//! Sweep throughput (issue P10): the SMA-crossover grid fast 5..=50 step 1 × slow 20..=200
//! step 5 with fast < slow (1,590 combinations, full metrics) on 100,000 one-minute bars,
//! and a 10-window walk-forward over the same grid and bars. Prints numbers; asserts
//! nothing.
//!
//! Run: `cargo bench -p bb-backtest --bench sweep -- [CSV] [--bars N] [--threads N] [--runs N] [--no-windows]`
//!
//! - `CSV`: candles with a header (e.g. `ts,open,high,low,close,volume`, Unix ms), as
//!   `tools/bench_sweep.py` writes them (seed 42); the first `--bars` (100,000) are used.
//!   Without it the bench makes its own random walk (`bb_domain::synthetic`).
//! - `--threads` (2): sweep workers. `--runs` (5): timed repetitions, the best is reported.
//!
//! The last line is machine-readable for `tools/bench_sweep.py`:
//! `RESULT combinations=… seconds=… per_second=… peak_rss_mb=… windows_seconds=…`.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bb_backtest::BacktestConfig;
use bb_backtest::sweep::{SweepSpec, sweep};
use bb_backtest::walk_forward::{WalkForwardSpec, walk_forward};
use bb_domain::Candles;
use bb_strategy::StrategyDocument;

/// The allocator the `blockbuilders` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn slice(c: &Candles, range: std::ops::Range<usize>) -> Candles {
    let mut out = Candles::default();
    for i in range {
        out.push(
            c.ts[i],
            c.open[i],
            c.high[i],
            c.low[i],
            c.close[i],
            c.volume[i],
        );
    }
    out
}

struct Args {
    csv: Option<String>,
    bars: usize,
    threads: usize,
    runs: usize,
    /// Skip the ten window sweeps (for profiling the main sweep alone).
    no_windows: bool,
}

fn args() -> Args {
    let mut out = Args {
        csv: None,
        bars: 100_000,
        threads: 2,
        runs: 5,
        no_windows: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut number = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match a.as_str() {
            // `cargo bench` passes `--bench` to every bench binary
            "--bench" => {}
            "--bars" => out.bars = number("--bars"),
            "--threads" => out.threads = number("--threads"),
            "--runs" => out.runs = number("--runs").max(1),
            "--no-windows" => out.no_windows = true,
            other if !other.starts_with("--") => out.csv = Some(other.to_string()),
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn main() {
    let args = args();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies");
    let text = std::fs::read_to_string(root.join("sma_crossover.json")).expect("starter exists");
    let doc = StrategyDocument::from_json(&text).expect("starter parses");
    let config = BacktestConfig::default();

    let load = Instant::now();
    let all = match &args.csv {
        Some(path) => bb_data::read_candles(std::path::Path::new(path)).expect("candles read"),
        None => bb_domain::synthetic::random_walk(args.bars, bb_domain::synthetic::BENCH_SEED),
    };
    let bars = args.bars.min(all.len());
    let data = slice(&all, 0..bars);
    let source = args.csv.as_deref().unwrap_or("synthetic random walk");
    println!(
        "data: {bars} bars of {} from {source} (loaded in {:.2} s)",
        all.len(),
        load.elapsed().as_secs_f64()
    );
    drop(all);

    let spec = SweepSpec {
        axes: vec![
            "fast.period=5..50:1".parse().expect("axis"),
            "slow.period=20..200:5".parse().expect("axis"),
        ],
        constraints: vec!["fast.period<slow.period".parse().expect("constraint")],
    };
    let threads = args.threads;
    let mut combos = 0;
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let t = Instant::now();
        let r = sweep(&doc, &data, &spec, &config, threads, &|_, _| {}).expect("sweep runs");
        times.push(t.elapsed());
        combos = r.rows.len();
        black_box(r);
    }
    let best = times.iter().min().copied().unwrap_or_default();
    let first = times.first().copied().unwrap_or_default();
    let per_second = combos as f64 / best.as_secs_f64();
    println!(
        "sweep, {combos} combinations on {bars} bars, {threads} threads: best {:.3} s ({per_second:.0} combinations/s), first {:.3} s, of {} runs",
        best.as_secs_f64(),
        first.as_secs_f64(),
        args.runs
    );

    // A 10-window walk-forward over the same grid and bars: ten in-sample sweeps, each
    // winner traded on its out-of-sample part, the parts stitched.
    let wf = WalkForwardSpec {
        windows: 10,
        ..WalkForwardSpec::default()
    };
    let runs = if args.no_windows { 0 } else { args.runs };
    let mut windows = 0;
    let windows_took: Duration = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let report = walk_forward(&doc, &data, &spec, &wf, &config, threads, &|_, _| {})
                .expect("walk-forward runs");
            windows = report.windows.len();
            black_box(report);
            t.elapsed()
        })
        .min()
        .unwrap_or_default();
    println!(
        "walk-forward, {windows} rolling windows ({:.0}% in sample) over the same grid and bars: best {:.3} s",
        wf.in_sample_pct,
        windows_took.as_secs_f64(),
    );
    let rss = peak_rss_mb();
    println!("peak RSS of this process: {rss:.0} MB");
    println!(
        "RESULT combinations={combos} seconds={:.6} per_second={per_second:.1} peak_rss_mb={rss:.1} windows_seconds={:.6}",
        best.as_secs_f64(),
        windows_took.as_secs_f64()
    );
}
