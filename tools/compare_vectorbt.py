#!/usr/bin/env python3
"""Speed comparison with vectorbt, as one command: `python3 tools/compare_vectorbt.py`
(from the repository root).

Runs the two workloads of `crates/backtest/benches/backtest.rs` in vectorbt 1.2.0 (numba
engine), then our bench (`cargo bench -p bb-backtest --bench backtest`, whose two printed
lines it parses), and prints a table. Numbers only; nothing is asserted.

  (a) single: one SMA-crossover (10/30) backtest on 1,000,000 one-minute bars, data already
      in memory: two SMAs (`vbt.MA.run`), crossings (`ma_crossed_above/below`), signals
      shifted one bar with `price=open` (our next-open fill), `Portfolio.from_signals` with
      fees=0.001 and slippage=0.0005 on all the cash, then total_return, sharpe_ratio and
      max_drawdown. Best of 5.
  (b) sweep: fast 5..=50 × slow 20..=200, step 5, fast < slow (342 combinations) on the first
      100,000 of those bars, the vectorbt way: one `vbt.MA.run` per side with one window per
      combination (vectorbt's MA cache computes each distinct window once), crossings over
      all 342 columns at once, one `from_signals` over all columns, the three statistics per
      column. Best of 3.

Data: the Rust bench's generator ported exactly (xorshift64 seeded 0x9E3779B97F4A7C15,
random walk from 40,000, one bar a minute from 2022-01-01), so both engines see identical
candles. The 100,000-bar data is the prefix of the 1,000,000-bar data, as in the bench.

Each vectorbt workload runs in its own child process (this script with `--worker`), after a
numba warm-up on 2,000 bars, so its peak RSS (`resource.getrusage`, ru_maxrss) is its own;
the RSS after imports and data, before any vectorbt call, is shown as the baseline.

Not identical work, deliberately idiomatic on both sides: vectorbt does not close the open
position at the end of data (ours does); our single backtest builds the whole report
(equity points, monthly returns, all metrics, warnings), vectorbt computes three statistics;
vectorbt's simulation is single-threaded numba, our sweep uses every core
(`available_parallelism`); our peak RSS is the bench process's high-water mark (VmHWM),
which also covers its 1,000,000-bar single backtest.

Versions: vectorbt 1.2.0, numba 0.68.1, numpy 2.4.6, pandas 3.1.1, Python 3.11.7.
Options: --skip-ours (vectorbt only), --runs-single N, --runs-sweep N.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

N_SINGLE = 1_000_000
N_SWEEP = 100_000
FAST = list(range(5, 51, 5))
SLOW = list(range(20, 201, 5))
FEES = 0.001
SLIPPAGE = 0.0005
INIT_CASH = 10_000.0
START_MS = 1_640_995_200_000
MASK = (1 << 64) - 1


def candles(n):
    """`candles(n)` of benches/backtest.rs, line for line: (open, high, low, close, volume)."""
    state = 0x9E37_79B9_7F4A_7C15

    def next_f64():
        nonlocal state
        state ^= (state << 13) & MASK
        state ^= state >> 7
        state ^= (state << 17) & MASK
        return (state >> 11) / float(1 << 53)

    o, h, l, c, v = [], [], [], [], []
    price = 40_000.0
    for _ in range(n):
        open_ = price
        price *= 1.0 + (next_f64() - 0.5) * 0.004
        high = max(open_, price) * (1.0 + next_f64() * 0.001)
        low = min(open_, price) * (1.0 - next_f64() * 0.001)
        o.append(open_)
        h.append(high)
        l.append(low)
        c.append(price)
        v.append(1.0 + next_f64() * 100.0)
    return o, h, l, c, v


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best(runs, f):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def frames(n):
    import numpy as np
    import pandas as pd

    o, _h, _l, c, _v = candles(n)
    index = pd.date_range(pd.Timestamp(START_MS, unit="ms"), periods=n, freq="1min")
    return pd.Series(np.array(o), index=index), pd.Series(np.array(c), index=index)


def single_backtest(open_, close):
    import vectorbt as vbt

    fast = vbt.MA.run(close, 10, short_name="fast")
    slow = vbt.MA.run(close, 30, short_name="slow")
    entries = fast.ma_crossed_above(slow).vbt.fshift(1, fill_value=False)
    exits = fast.ma_crossed_below(slow).vbt.fshift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        price=open_,
        size=float("inf"),
        fees=FEES,
        slippage=SLIPPAGE,
        init_cash=INIT_CASH,
        freq="1min",
    )
    return pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown(), pf.trades.count()


def sweep(open_, close):
    import vectorbt as vbt

    combos = [(f, s) for f in FAST for s in SLOW if f < s]
    fast = vbt.MA.run(close, [f for f, _ in combos], short_name="fast")
    slow = vbt.MA.run(close, [s for _, s in combos], short_name="slow")
    entries = fast.ma_crossed_above(slow).vbt.fshift(1, fill_value=False)
    exits = fast.ma_crossed_below(slow).vbt.fshift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        price=open_,
        size=float("inf"),
        fees=FEES,
        slippage=SLIPPAGE,
        init_cash=INIT_CASH,
        freq="1min",
    )
    return len(combos), pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown()


def worker(kind, runs):
    """One workload in this process; prints a JSON line."""
    n = N_SINGLE if kind == "single" else N_SWEEP
    open_, close = frames(n)
    import vectorbt  # noqa: F401  (import cost belongs to the baseline)

    baseline = rss_mb()
    work = single_backtest if kind == "single" else sweep
    work(open_.iloc[:2000], close.iloc[:2000])  # numba compiles (or loads its cache) here
    took, out = best(runs, lambda: work(open_, close))
    result = {"kind": kind, "seconds": took, "baseline_mb": baseline, "peak_mb": rss_mb()}
    if kind == "single":
        result.update(
            total_return=float(out[0]),
            sharpe=float(out[1]),
            max_drawdown=float(out[2]),
            trades=int(out[3]),
        )
    else:
        result.update(combos=out[0], best_total_return=float(out[1].max()))
    print(json.dumps(result))


def run_worker(kind, runs):
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_ours():
    out = subprocess.run(
        ["cargo", "bench", "-p", "bb-backtest", "--bench", "backtest"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    single = re.search(r"single backtest, .*?: ([\d.]+) ms", out)
    sweep_ = re.search(
        r"sweep, (\d+) combinations .*?, (\d+) threads: ([\d.]+) s, ([\d.]+) combinations/s"
        r".*?peak RSS of this process ([\d.]+) MB",
        out,
    )
    if not single or not sweep_:
        sys.exit(f"could not parse the bench output:\n{out}")
    return {
        "raw": out.strip(),
        "single_s": float(single.group(1)) / 1e3,
        "combos": int(sweep_.group(1)),
        "threads": int(sweep_.group(2)),
        "sweep_s": float(sweep_.group(3)),
        "combos_per_s": float(sweep_.group(4)),
        "peak_mb": float(sweep_.group(5)),
    }


def fmt_time(s):
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.3f} s"


def main():
    p = argparse.ArgumentParser(description="vectorbt vs our backtest bench")
    p.add_argument("--worker", choices=["single", "sweep"], help=argparse.SUPPRESS)
    p.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--runs-single", type=int, default=5)
    p.add_argument("--runs-sweep", type=int, default=3)
    p.add_argument("--skip-ours", action="store_true", help="do not run cargo bench")
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.runs)
        return

    import numba
    import vectorbt as vbt

    print(
        f"vectorbt {vbt.__version__} (numba {numba.__version__}), Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start"
    )
    single = run_worker("single", args.runs_single)
    print(
        f"vectorbt single: {fmt_time(single['seconds'])} (best of {args.runs_single}), "
        f"{single['trades']} trades, total return {single['total_return']:.6f}, "
        f"sharpe {single['sharpe']:.4f}, max drawdown {single['max_drawdown']:.6f}; "
        f"peak RSS {single['peak_mb']:.0f} MB (after imports and data {single['baseline_mb']:.0f} MB)"
    )
    sw = run_worker("sweep", args.runs_sweep)
    print(
        f"vectorbt sweep: {sw['combos']} combinations in {fmt_time(sw['seconds'])} "
        f"(best of {args.runs_sweep}), best total return {sw['best_total_return']:.6f}; "
        f"peak RSS {sw['peak_mb']:.0f} MB (after imports and data {sw['baseline_mb']:.0f} MB)"
    )
    ours = None if args.skip_ours else run_ours()
    if ours:
        print("ours (cargo bench -p bb-backtest --bench backtest):")
        for line in ours["raw"].splitlines():
            print(f"  {line}")

    rows = [
        ("workload", "vectorbt", "ours", "ours better by"),
        (
            "single, 1,000,000 bars: time",
            fmt_time(single["seconds"]),
            fmt_time(ours["single_s"]) if ours else "-",
            f"{single['seconds'] / ours['single_s']:.1f}x" if ours else "-",
        ),
        (
            "single: peak RSS",
            f"{single['peak_mb']:.0f} MB",
            "(not reported)",
            "-",
        ),
        (
            f"sweep, {sw['combos']} combos, 100,000 bars: time",
            fmt_time(sw["seconds"]),
            f"{fmt_time(ours['sweep_s'])} ({ours['threads']} threads)" if ours else "-",
            f"{sw['seconds'] / ours['sweep_s']:.1f}x" if ours else "-",
        ),
        (
            "sweep: combinations/s",
            f"{sw['combos'] / sw['seconds']:.0f}",
            f"{ours['combos_per_s']:.0f}" if ours else "-",
            f"{ours['combos_per_s'] / (sw['combos'] / sw['seconds']):.1f}x" if ours else "-",
        ),
        (
            "sweep: peak RSS",
            f"{sw['peak_mb']:.0f} MB",
            f"{ours['peak_mb']:.0f} MB (whole bench)" if ours else "-",
            f"{sw['peak_mb'] / ours['peak_mb']:.1f}x" if ours else "-",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for k, r in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    if ours and ours["combos"] != sw["combos"]:
        print(f"note: our sweep ran {ours['combos']} combinations, vectorbt {sw['combos']}")


if __name__ == "__main__":
    main()
