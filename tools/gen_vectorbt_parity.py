#!/usr/bin/env python3
"""Generate the vectorbt parity fixtures in testdata/vectorbt/.

Purpose
    An independent engine replays OUR signals. For each case below the script takes the
    four action columns (signal.enter_long, signal.exit_long, signal.enter_short,
    signal.exit_short) that our engine computes, as printed by
    `target/release/blockbuilders inspect --strategy S --data D --csv`, feeds them to
    vectorbt's `Portfolio.from_signals` with conventions chosen to match bb-simulator's
    defaults (see CONVENTIONS below), and writes vectorbt's trades and final equity to
    testdata/vectorbt/<case>.json. `crates/backtest/tests/parity.rs` then runs our own
    pipeline (bb-strategy -> bb-simulator with SimConfig::default()) on the same files and
    compares trade by trade. The simulator is therefore checked against vectorbt; the
    signals are ours on both sides (the indicators have their own TA-Lib parity test).

Versions used to generate the committed fixtures
    Python 3.11.7, vectorbt 1.2.0 (numba engine; vectorbt-rust not installed),
    numba 0.68.1, numpy 2.4.6, pandas 3.1.1.

How to run (from the repository root)
    python3 tools/gen_vectorbt_parity.py            # builds the CLI with cargo first
    python3 tools/gen_vectorbt_parity.py --no-build # use the existing target/release/blockbuilders

    Without --no-build it runs `cargo build --release -p blockbuilders` (a no-op when the
    binary is up to date). It refuses to run outside the repository root.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import vectorbt as vbt

BIN = "target/release/blockbuilders"
OUT_DIR = "testdata/vectorbt"
DAILY = "data/demo/yahoo_BTC-USD_1d_2014-2022.csv"
MINUTE = "data/demo/btc-perp_1m_2022-01.csv"

CASES = [
    ("sma_crossover_1d", "strategies/sma_crossover.json", DAILY),
    ("bollinger_breakout_1d", "strategies/bollinger_breakout.json", DAILY),
    ("sma_crossover_1m", "strategies/sma_crossover.json", MINUTE),
    ("sma_long_short_1d", "testdata/vectorbt/strategies/sma_long_short.json", DAILY),
]

# bb-simulator's SimConfig::default(), in vectorbt's units.
INIT_CASH = 10_000.0
FEES = 0.001  # 0.1 % of the fill notional per fill
SLIPPAGE = 0.0005  # 5 bps: buys at raw * (1 + s), sells at raw * (1 - s)

VBT_KWARGS = dict(
    size=np.inf,  # all the cash (vectorbt: size = cash_limit / (1 + fees) / fill)
    size_type="amount",
    fees=FEES,
    fixed_fees=0.0,
    slippage=SLIPPAGE,
    init_cash=INIT_CASH,
    min_size=0.0,
    max_size=np.inf,
    lock_cash=True,  # shorts are cash-limited: size = free cash / (fill * (1 + fees))
    allow_partial=True,
    accumulate=False,  # one position at a time: same-side entries while in a position are ignored
    upon_long_conflict="exit",  # long entry + long exit on one bar: the exit wins
    upon_short_conflict="exit",
    upon_dir_conflict="opposite",  # both entries: flat -> neither; in a position -> the opposite one
    upon_opposite_entry="reverse",  # close and open the other side in one order, no accumulation
    use_stops=False,
)

CONVENTIONS = [
    "Signals: our own, from `blockbuilders inspect --csv` (columns signal.enter_long, "
    "signal.exit_long, signal.enter_short, signal.exit_short); vectorbt only simulates.",
    "Next-open fills: the four signal arrays are shifted forward one bar (an order decided on "
    "bar i's close is on vectorbt row i+1) and `price` is the open, so it fills at open[i+1]. "
    "A signal on the last bar therefore never fills.",
    "End of data: vectorbt does not close positions at the end, so one synthetic row is "
    "appended after the last bar with price = close = the last close, entries false and both "
    "exits (long and short) true. vectorbt closes any open position there with the usual fee "
    "and slippage; that row's index (n) is reported as the last bar (n-1), like our EndOfData "
    "exit. Final equity is vectorbt's portfolio value on that row.",
    "Costs: fees=0.001 (0.1% of fill notional per fill), slippage=0.0005 (buys at "
    "raw*(1+0.0005), sells at raw*(1-0.0005)), fixed_fees=0, init_cash=10000.",
    "Sizing: size=inf, size_type='amount', lock_cash=True, min_size=0. A long entry buys "
    "cash/(1+fees)/fill. A short entry is an order of size -inf, which vectorbt turns into "
    "'100% of free cash' and sells free_cash/(fill*(1+fees)); while short, vectorbt's free "
    "cash equals our cash (the entry takes notional + fee out of it) and its value "
    "(cash - qty*price) equals ours (cash + qty*(2*entry - price)). A reversal is one vectorbt "
    "order whose size is the closed position plus the new one at one fill price, which is "
    "algebraically our close-then-open at that fill. So both engines size "
    "qty = cash/(fill*(1+fee)) for longs and shorts; results differ only by rounding. "
    "lock_cash=True changes nothing on these data (False gives the same trades to 2e-15); it "
    "would only matter when covering a short costs more than the account holds (a short that "
    "lost about 100%): vectorbt then covers partially, we cover fully (cash goes negative) "
    "and skip the new entry.",
    "Position rules: accumulate=False (entries while in a position of the same side are "
    "ignored); upon_long_conflict=upon_short_conflict='exit' (entry and exit of the held side "
    "on one bar: exit, the entry is ignored); upon_dir_conflict='opposite' (both entries "
    "while flat: neither); upon_opposite_entry='reverse' (exit + opposite entry: reverse at "
    "the same fill). No stops (use_stops=False).",
    "Known convention differences, absent from these cases (checked by the generator, see "
    "`checks`): (1) flat with an entry and an exit of the same side on one bar: we enter, "
    "vectorbt ('exit' conflict mode) does nothing; (2) in a position, an opposite entry "
    "without the exit of the held side: we ignore it, vectorbt ('reverse') reverses.",
    "Trades: vectorbt's exit trades (pf.trades). size = quantity; entry/exit prices are "
    "fill prices (slippage included); pnl is net of entry and exit fees; fees = "
    "entry_fees + exit_fees.",
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def our_signals(strategy, data):
    """Our engine's per-bar action signals and bar times, via the CLI."""
    out = subprocess.run(
        [BIN, "inspect", "--strategy", strategy, "--data", data, "--csv"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    header = lines[0].split(",")
    cols = {name: header.index(name) for name in header}
    names = ["signal.enter_long", "signal.exit_long", "signal.enter_short", "signal.exit_short"]
    times, sig = [], {name: [] for name in names}
    for line in lines[1:]:
        cells = line.split(",")
        times.append(cells[cols["time"]])
        for name in names:
            v = cells[cols[name]]
            assert v in ("true", "false"), f"{name}: {v!r}"
            sig[name].append(v == "true")
    return times, {k: np.array(v, dtype=bool) for k, v in sig.items()}


def candles(data):
    """Open and close as our reader sees them (same decimal strings -> same f64) and UTC times."""
    df = pd.read_csv(data, dtype=str)
    lower = {c.lower(): c for c in df.columns}
    time_col = next(lower[k] for k in ("timestamp", "date", "time") if k in lower)
    ts = pd.to_datetime(df[time_col], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    open_ = np.array([float(x) for x in df[lower["open"]]])
    close = np.array([float(x) for x in df[lower["close"]]])
    return ts, open_, close


def checks(sig):
    """Bars where vectorbt's built-in modes and our rules could disagree (must be 0)."""
    el, xl = sig["signal.enter_long"], sig["signal.exit_long"]
    es, xs = sig["signal.enter_short"], sig["signal.exit_short"]
    c = {
        "bars_enter_and_exit_long": int((el & xl).sum()),
        "bars_enter_and_exit_short": int((es & xs).sum()),
        "bars_both_entries": int((el & es).sum()),
        # An opposite entry without the held side's exit: for a long-only strategy there are
        # no short entries; for the long/short one every enter_short bar is an exit_long bar
        # and every enter_long bar an exit_short bar.
        "bars_enter_short_without_exit_long": int((es & ~xl).sum()),
        "bars_enter_long_without_exit_short": int((el & ~xs).sum()) if es.any() or xs.any() else 0,
    }
    bad = {k: v for k, v in c.items() if v}
    if bad:
        sys.exit(f"signals hit a convention difference vectorbt cannot express: {bad}")
    return c


def run_case(name, strategy, data):
    times, sig = our_signals(strategy, data)
    ts, open_, close = candles(data)
    n = len(times)
    if len(ts) != n or ts != times:
        sys.exit(f"{name}: our bars and pandas' bars differ ({n} vs {len(ts)})")

    # Row j < n: bar j, orders decided on bar j-1's close fill at open[j].
    # Row n: synthetic end-of-data row at the last close, exits only.
    def shifted(col, last):
        a = np.zeros(n + 1, dtype=bool)
        a[1:n] = col[: n - 1]
        a[n] = last
        return a

    entries = shifted(sig["signal.enter_long"], False)
    exits = shifted(sig["signal.exit_long"], True)
    short_entries = shifted(sig["signal.enter_short"], False)
    short_exits = shifted(sig["signal.exit_short"], True)
    price = np.append(open_, close[-1])
    close_ext = np.append(close, close[-1])

    pf = vbt.Portfolio.from_signals(
        close=pd.Series(close_ext),
        entries=pd.Series(entries),
        exits=pd.Series(exits),
        short_entries=pd.Series(short_entries),
        short_exits=pd.Series(short_exits),
        price=pd.Series(price),
        **VBT_KWARGS,
    )
    rec = pf.trades.values  # structured record array
    if (rec["status"] != 1).any():
        sys.exit(f"{name}: vectorbt left a trade open")
    trades = []
    for r in rec:
        entry_idx, exit_idx = int(r["entry_idx"]), int(r["exit_idx"])
        end_of_data = exit_idx == n
        exit_bar = n - 1 if end_of_data else exit_idx
        trades.append(
            {
                "side": "long" if int(r["direction"]) == 0 else "short",
                "entry_index": entry_idx,
                "entry_time": times[entry_idx],
                "exit_index": exit_bar,
                "exit_time": times[exit_bar],
                "end_of_data": bool(end_of_data),
                "size": float(r["size"]),
                "entry_price": float(r["entry_price"]),
                "exit_price": float(r["exit_price"]),
                "fees": float(r["entry_fees"] + r["exit_fees"]),
                "pnl": float(r["pnl"]),
            }
        )
    final_equity = float(pf.value().iloc[-1])
    fixture = {
        "case": name,
        "generator": "tools/gen_vectorbt_parity.py",
        "vectorbt": vbt.__version__,
        "strategy": strategy,
        "strategy_sha256": sha256(strategy),
        "data": data,
        "data_sha256": sha256(data),
        "bars": n,
        "initial_capital": INIT_CASH,
        "conventions": CONVENTIONS,
        "vectorbt_call": {
            k: (str(v) if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in VBT_KWARGS.items()
        },
        "signal_counts": {k: int(v.sum()) for k, v in sig.items()},
        "checks": checks(sig),
        "final_equity": final_equity,
        "trades": trades,
    }
    path = os.path.join(OUT_DIR, f"{name}.json")
    # One trade per line keeps the files readable and their diffs small.
    trades_json = ",\n".join("  " + json.dumps(t) for t in fixture.pop("trades"))
    head = json.dumps(fixture, indent=1)[:-2]
    with open(path, "w") as f:
        f.write(f'{head},\n "trades": [\n{trades_json}\n ]\n}}\n')
    json.loads(open(path).read())  # well-formed
    print(f"{path}: {len(trades)} trades, final equity {final_equity:.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="do not run cargo build")
    args = parser.parse_args()
    if not os.path.exists("Cargo.toml") or not os.path.isdir("crates/simulator"):
        sys.exit("run from the repository root: python3 tools/gen_vectorbt_parity.py")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "blockbuilders"], check=True)
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: build it with `cargo build --release -p blockbuilders`")
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, strategy, data in CASES:
        run_case(name, strategy, data)


if __name__ == "__main__":
    main()
