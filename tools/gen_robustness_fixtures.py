#!/usr/bin/env python3
"""Reference statistics for bb-robustness's bootstraps, computed independently with numpy.

Writes testdata/robustness/:
- trades.json: 120 per-trade returns (fraction of equity), derived from a fixed seed;
- bars.json: 500 per-bar returns with volatility clustering (GARCH(1,1)), fixed seed;
- bootstrap_reference.json: for the IID trade bootstrap (400,000 draws) the mean, std and
  percentiles (0.5 to 99.5 in steps of 0.5) of final equity and of maximum drawdown and the
  probability of losing more than 10%; for the stationary bar bootstrap (Politis & Romano,
  mean block length 8, 200,000 draws) the mean and std of final equity.

Paths start at CAPITAL and compound: E = CAPITAL * prod(1 + r); the maximum drawdown is
max over the path of 1 - E / running peak, the peak including the starting capital.
Percentiles use numpy's default (linear) method. Run: python3 tools/gen_robustness_fixtures.py
(numpy only).
"""

import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "testdata" / "robustness"
CAPITAL = 10_000.0
TRADE_DRAWS = 400_000
BAR_DRAWS = 200_000
BLOCK_LEN = 8
GRID = [round(0.5 * i, 1) for i in range(1, 200)]


def make_trades(rng):
    wins = rng.random(120) < 0.42
    gains = np.exp(rng.normal(np.log(0.025), 0.6, 120))
    losses = -np.exp(rng.normal(np.log(0.015), 0.4, 120))
    return np.round(np.where(wins, gains, losses), 6)


def make_bars(rng):
    n, omega, alpha, beta = 500, 2e-6, 0.1, 0.85
    var = omega / (1 - alpha - beta)
    out = []
    for _ in range(n):
        r = 0.0004 + np.sqrt(var) * rng.standard_normal()
        out.append(r)
        var = omega + alpha * (r - 0.0004) ** 2 + beta * var
    return np.round(np.array(out), 8)


def path_stats(paths):
    """Final equity and maximum drawdown of each row of returns."""
    growth = np.cumprod(1.0 + paths, axis=1)
    equity = CAPITAL * np.concatenate([np.ones((paths.shape[0], 1)), growth], axis=1)
    peak = np.maximum.accumulate(equity, axis=1)
    drawdown = np.max(1.0 - equity / peak, axis=1)
    return equity[:, -1], drawdown


def summary(values):
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)),
        "percentiles": [float(v) for v in np.percentile(values, GRID)],
    }


def trade_bootstrap(rng, trades):
    finals, drawdowns = [], []
    for _ in range(TRADE_DRAWS // 50_000):
        idx = rng.integers(0, len(trades), size=(50_000, len(trades)))
        f, d = path_stats(trades[idx])
        finals.append(f)
        drawdowns.append(d)
    finals, drawdowns = np.concatenate(finals), np.concatenate(drawdowns)
    return {
        "draws": TRADE_DRAWS,
        "final_equity": summary(finals),
        "max_drawdown": summary(drawdowns),
        "loss_10_probability": float(np.mean(finals < CAPITAL * 0.9)),
    }


def stationary_bootstrap(rng, bars):
    n, p = len(bars), 1.0 / BLOCK_LEN
    finals = []
    for _ in range(BAR_DRAWS // 20_000):
        rows = 20_000
        starts = rng.integers(0, n, size=(rows, n))
        new_block = rng.random((rows, n)) < p
        idx = np.empty((rows, n), dtype=np.int64)
        idx[:, 0] = starts[:, 0]
        for t in range(1, n):
            idx[:, t] = np.where(new_block[:, t], starts[:, t], (idx[:, t - 1] + 1) % n)
        f, _ = path_stats(bars[idx])
        finals.append(f)
    finals = np.concatenate(finals)
    return {
        "draws": BAR_DRAWS,
        "block_len": BLOCK_LEN,
        "final_equity_mean": float(finals.mean()),
        "final_equity_std": float(finals.std(ddof=1)),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    trades = make_trades(np.random.default_rng(20261201))
    bars = make_bars(np.random.default_rng(20261202))
    (OUT / "trades.json").write_text(json.dumps([float(x) for x in trades]) + "\n")
    (OUT / "bars.json").write_text(json.dumps([float(x) for x in bars]) + "\n")
    rng = np.random.default_rng(7)
    reference = {
        "capital": CAPITAL,
        "percentile_grid": GRID,
        "trade_bootstrap": trade_bootstrap(rng, trades),
        "bar_bootstrap": stationary_bootstrap(rng, bars),
    }
    (OUT / "bootstrap_reference.json").write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()
