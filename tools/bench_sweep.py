#!/usr/bin/env python3
"""Our sweep against a hand-written numba loop, side by side in one run (issue P10).

Run from the repository root (numpy from `bash scripts/setup test`; numba is not in the test
requirements, so add it by hand: `.venv/bin/pip install numba`):

    .venv/bin/python tools/bench_sweep.py [--bars 100000] [--threads 2] [--binary PATH]

1. Writes the synthetic series: numpy, seed 42, 1,000,000 one-minute bars of a random walk,
   as CSV `ts,open,high,low,close,volume` (Unix ms) in target/bench_sweep/walk_1m.csv (and its
   first --bars bars in walk_head.csv, for --binary).
2. Runs our sweep on the first --bars bars: the grid fast.period=5..50:1 ×
   slow.period=20..200:5 with fast.period<slow.period (1,590 combinations) of
   strategies/sma_crossover.json, full metrics, --threads workers. By default through the
   bench binary (`cargo bench -p bb-backtest --bench sweep -- CSV --bars N --threads T`,
   which times the sweep alone, best of 5, and reports its peak RSS); with `--binary PATH`
   through `PATH sweep ...` (a built `blockbuilders`), timed as a whole process.
3. Runs the numba loop on the same bars: every SMA once, then `prange` over the
   combinations, each a long-only crossover with next-open fills, 0.1% fee, 5 bps slippage,
   the whole capital per trade, giving the final equity only; compiled first, then timed
   (best of 5) on --threads threads.
4. Prints both combinations/s, their ratio, the peak memory of each process, and (through
   the bench) the time of a 10-window walk-forward over the same grid and bars.

CARGO_TARGET_DIR is honoured for the bench build.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 42
TOTAL_BARS = 1_000_000
START_MS = 1_640_995_200_000  # 2022-01-01 00:00 UTC
FAST = list(range(5, 51))
SLOW = list(range(20, 201, 5))
FEE = 0.001  # 0.1 % per fill
SLIPPAGE = 0.0005  # 5 bps per fill
CAPITAL = 10_000.0


def make_series(np):
    """The random walk: log-normal steps of 0.1 %, wicks up to 0.1 %, volume 1..101."""
    rng = np.random.default_rng(SEED)
    steps = rng.normal(0.0, 0.001, TOTAL_BARS)
    close = 40_000.0 * np.exp(np.cumsum(steps))
    open_ = np.empty_like(close)
    open_[0] = 40_000.0
    open_[1:] = close[:-1]
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.001, TOTAL_BARS))
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.001, TOTAL_BARS))
    volume = rng.uniform(1.0, 101.0, TOTAL_BARS)
    ts = START_MS + np.arange(TOTAL_BARS, dtype=np.int64) * 60_000
    # Rounded as written, so both engines see the same numbers.
    cols = [np.round(x, 4) for x in (open_, high, low, close, volume)]
    return ts, cols


def write_csv(np, path, ts, cols, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    table = np.column_stack([ts[:rows].astype(np.float64)] + [c[:rows] for c in cols])
    np.savetxt(
        path,
        table,
        fmt=["%d", "%.4f", "%.4f", "%.4f", "%.4f", "%.4f"],
        delimiter=",",
        header="ts,open,high,low,close,volume",
        comments="",
    )


def numba_sweep(np, numba, open_, close, threads):
    numba.set_num_threads(threads)
    from numba import njit, prange

    @njit(cache=False)
    def sma_table(close, periods):
        n = close.shape[0]
        out = np.full((periods.shape[0], n), np.nan)
        for j in range(periods.shape[0]):
            p = periods[j]
            s = 0.0
            for i in range(n):
                s += close[i]
                if i >= p:
                    s -= close[i - p]
                if i >= p - 1:
                    out[j, i] = s / p
        return out

    @njit(parallel=True, cache=False)
    def run(open_, close, smas, fast_idx, slow_idx, fee, slip, capital):
        m = fast_idx.shape[0]
        n = close.shape[0]
        final = np.empty(m)
        for k in prange(m):
            f = smas[fast_idx[k]]
            s = smas[slow_idx[k]]
            cash = capital
            qty = 0.0
            pending = 0  # 1 buy, -1 sell at the next open
            for i in range(1, n):
                if pending == 1:
                    price = open_[i] * (1.0 + slip)
                    qty = cash / (price * (1.0 + fee))
                    cash -= qty * price * (1.0 + fee)
                    pending = 0
                elif pending == -1:
                    price = open_[i] * (1.0 - slip)
                    cash += qty * price * (1.0 - fee)
                    qty = 0.0
                    pending = 0
                above = f[i] > s[i] and f[i - 1] <= s[i - 1]
                below = f[i] < s[i] and f[i - 1] >= s[i - 1]
                if qty == 0.0 and above and i + 1 < n:
                    pending = 1
                elif qty > 0.0 and below:
                    pending = -1
            if qty > 0.0:
                cash += qty * close[n - 1] * (1.0 - slip) * (1.0 - fee)
            final[k] = cash
        return final

    periods = np.array(sorted(set(FAST) | set(SLOW)), dtype=np.int64)
    where = {p: j for j, p in enumerate(periods)}
    pairs = [(f, s) for f in FAST for s in SLOW if f < s]
    fast_idx = np.array([where[f] for f, _ in pairs], dtype=np.int64)
    slow_idx = np.array([where[s] for _, s in pairs], dtype=np.int64)

    def once():
        smas = sma_table(close, periods)
        return run(open_, close, smas, fast_idx, slow_idx, FEE, SLIPPAGE, CAPITAL)

    t = time.perf_counter()
    once()  # compile
    compile_s = time.perf_counter() - t
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        final = once()
        best = min(best, time.perf_counter() - t)
    # the loop alone, its moving averages made beforehand
    smas = sma_table(close, periods)
    loop_best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        run(open_, close, smas, fast_idx, slow_idx, FEE, SLIPPAGE, CAPITAL)
        loop_best = min(loop_best, time.perf_counter() - t)
    return len(pairs), best, compile_s, final, loop_best


def ours_bench(csv, bars, threads):
    env = dict(os.environ)
    cmd = [
        "cargo", "bench", "-q", "-p", "bb-backtest", "--bench", "sweep", "--",
        str(csv), "--bars", str(bars), "--threads", str(threads),
    ]
    print("$", " ".join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    print(out.rstrip())
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    return (
        int(fields["combinations"]),
        float(fields["seconds"]),
        float(fields["peak_rss_mb"]),
        float(fields["windows_seconds"]),
    )


def ours_binary(binary, csv, threads):
    cmd = [
        str(binary), "sweep", "--strategy", str(ROOT / "strategies/sma_crossover.json"),
        "--data", str(csv), "--param", "fast.period=5..50:1", "--param", "slow.period=20..200:5",
        "--where", "fast.period<slow.period", "--threads", str(threads), "--top", "3",
    ]
    print("$", " ".join(cmd), flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    took = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(out.rstrip())
    m = re.search(r"(\d+) combinations", out)
    combos = int(m.group(1)) if m else 1590
    # ru_maxrss of children is the largest child so far (kB); cargo is not involved here.
    return combos, took, max(rss, before) / 1024.0, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--binary", type=Path, help="a built blockbuilders binary (whole-process timing)")
    ap.add_argument("--out", type=Path, default=ROOT / "target/bench_sweep")
    args = ap.parse_args()

    import numpy as np
    try:
        import numba
    except ImportError:
        sys.exit("numba is missing: .venv/bin/pip install numba (numpy comes with bash scripts/setup test)")

    full_csv = args.out / "walk_1m.csv"
    head_csv = args.out / "walk_head.csv"
    ts, cols = make_series(np)
    if not full_csv.exists() or full_csv.stat().st_size < 1000:
        print(f"writing {full_csv} ({TOTAL_BARS} bars)", flush=True)
        write_csv(np, full_csv, ts, cols, TOTAL_BARS)
    write_csv(np, head_csv, ts, cols, args.bars)

    if args.binary:
        combos, ours_s, ours_mb, walk_s = ours_binary(args.binary, head_csv, args.threads)
        what = "whole process (CSV read included)"
    else:
        combos, ours_s, ours_mb, walk_s = ours_bench(full_csv, args.bars, args.threads)
        what = "sweep only, best of 5"
    ours_rate = combos / ours_s

    open_ = np.ascontiguousarray(cols[0][: args.bars])
    close = np.ascontiguousarray(cols[3][: args.bars])
    n_combos, numba_s, compile_s, final, loop_s = numba_sweep(
        np, numba, open_, close, args.threads
    )
    numba_rate = n_combos / numba_s
    numba_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    print()
    print(f"bars: {args.bars} (of {TOTAL_BARS}, seed {SEED}), threads: {args.threads}")
    print(f"ours : {combos} combinations in {ours_s:.3f} s = {ours_rate:,.0f} combinations/s "
          f"(full metrics; {what}); peak RSS {ours_mb:.0f} MB")
    print(f"numba: {n_combos} combinations in {numba_s:.3f} s = {numba_rate:,.0f} combinations/s "
          f"(final equity only; compute only, best of 5, compile {compile_s:.1f} s); "
          f"peak RSS of the Python process {numba_mb:.0f} MB (1M-bar series included)")
    print(f"numba, the loop alone (moving averages made beforehand): {n_combos / loop_s:,.0f} "
          f"combinations/s")
    print(f"ratio ours/numba: {ours_rate / numba_rate:.2f} "
          f"(against the loop alone: {ours_rate / (n_combos / loop_s):.2f})")
    if walk_s is not None:
        print(f"walk-forward: 10 rolling windows over the same grid and bars in {walk_s:.3f} s")
    print(f"numba best final equity: {final.max():.2f}, median {np.median(final):.2f}")


if __name__ == "__main__":
    main()
