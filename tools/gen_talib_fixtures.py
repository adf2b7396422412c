#!/usr/bin/env python3
"""Generate TA-Lib reference fixtures for the `bb-indicators` parity test.

How to run (from the workspace root):

    pip install ta-lib==0.8.2 numpy      # PyPI ta-lib 0.8.2 bundles TA-Lib's C core 0.8.1
    python3 tools/gen_talib_fixtures.py

Generated with Python 3.11, ta-lib 0.8.2 (C core 0.8.1) and numpy 2.4.

It reads testdata/yahoo_BTC-USD_1d_2014-2022.csv (columns
Date,Open,High,Low,Close,Adj Close,Volume; Open/High/Low/Close/Volume are used) and
writes testdata/talib/<case>.json, one file per case:

    {"case": ..., "function": <bb-indicators function>, "talib": <TA-Lib function(s)>,
     "params": {...}, "rows": [first, end), "lead_nan": k, "outputs": {<name>: [...]}}

`rows` selects a half-open range of CSV data rows; the first `lead_nan` bars of every
input in that range are then replaced by NaN (to check the leading-NaN rule, which the
Python wrapper of TA-Lib applies the same way as bb-indicators). Numbers are written
with full repr precision (they round-trip exactly), NaN as null. The calls below
mirror crates/indicators exactly (same MA types: SMA for STOCH, STOCHRSI and BBANDS,
EMA for PPO; the same deviation up and down for BBANDS).
"""

import csv
import json
import math
import pathlib
import sys

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CSV = ROOT / "testdata" / "yahoo_BTC-USD_1d_2014-2022.csv"
OUT = ROOT / "testdata" / "talib"

SMA, EMA = 0, 1  # TA-Lib MAType values


def load():
    cols = {"open": [], "high": [], "low": [], "close": [], "volume": []}
    with open(CSV, newline="") as f:
        for row in csv.DictReader(f):
            for name in cols:
                cols[name].append(float(row[name.capitalize()]))
    return {k: np.array(v, dtype=np.float64) for k, v in cols.items()}


def ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[den == 0.0] = np.nan
    return out


def bollinger(d, period, deviations):
    upper, middle, lower = talib.BBANDS(d["close"], period, deviations, deviations, SMA)
    return {
        "upper": upper,
        "middle": middle,
        "lower": lower,
        # Own lines, the same formulas (and IEEE operations) as in Rust.
        "percent_b": ratio(d["close"] - lower, upper - lower),
        "width": ratio(upper - lower, middle),
    }


def adx(d, period):
    h, l, c = d["high"], d["low"], d["close"]
    return {
        "adx": talib.ADX(h, l, c, period),
        "plus_di": talib.PLUS_DI(h, l, c, period),
        "minus_di": talib.MINUS_DI(h, l, c, period),
    }


def aroon(d, period):
    down, up = talib.AROON(d["high"], d["low"], period)
    return {"up": up, "down": down}


def stoch(d, fastk_period, slowk_period, slowd_period):
    k, dd = talib.STOCH(
        d["high"], d["low"], d["close"], fastk_period, slowk_period, SMA, slowd_period, SMA
    )
    return {"k": k, "d": dd}


def stoch_rsi(d, period, fastk_period, fastd_period):
    k, dd = talib.STOCHRSI(d["close"], period, fastk_period, fastd_period, SMA)
    return {"k": k, "d": dd}


def macd(d, fast, slow, signal):
    m, s, h = talib.MACD(d["close"], fast, slow, signal)
    return {"macd": m, "signal": s, "histogram": h}


def one(f):
    return lambda d, **p: {"values": f(d, **p)}


# bb-indicators function -> (TA-Lib name(s), params -> outputs)
FUNCS = {
    "sma": ("SMA", one(lambda d, period: talib.SMA(d["close"], period))),
    "ema": ("EMA", one(lambda d, period: talib.EMA(d["close"], period))),
    "wma": ("WMA", one(lambda d, period: talib.WMA(d["close"], period))),
    "dema": ("DEMA", one(lambda d, period: talib.DEMA(d["close"], period))),
    "tema": ("TEMA", one(lambda d, period: talib.TEMA(d["close"], period))),
    "kama": ("KAMA", one(lambda d, period: talib.KAMA(d["close"], period))),
    "rsi": ("RSI", one(lambda d, period: talib.RSI(d["close"], period))),
    "stoch": ("STOCH", stoch),
    "stoch_rsi": ("STOCHRSI", stoch_rsi),
    "macd": ("MACD", macd),
    "ppo": ("PPO", one(lambda d, fast, slow: talib.PPO(d["close"], fast, slow, EMA))),
    "roc": ("ROC", one(lambda d, period: talib.ROC(d["close"], period))),
    "momentum": ("MOM", one(lambda d, period: talib.MOM(d["close"], period))),
    "williams_r": (
        "WILLR",
        one(lambda d, period: talib.WILLR(d["high"], d["low"], d["close"], period)),
    ),
    "cci": ("CCI", one(lambda d, period: talib.CCI(d["high"], d["low"], d["close"], period))),
    "mfi": (
        "MFI",
        one(lambda d, period: talib.MFI(d["high"], d["low"], d["close"], d["volume"], period)),
    ),
    "adx": ("ADX,PLUS_DI,MINUS_DI", adx),
    "aroon": ("AROON", aroon),
    "aroon_oscillator": (
        "AROONOSC",
        one(lambda d, period: talib.AROONOSC(d["high"], d["low"], period)),
    ),
    "bollinger": ("BBANDS", bollinger),
    "atr": ("ATR", one(lambda d, period: talib.ATR(d["high"], d["low"], d["close"], period))),
    "natr": ("NATR", one(lambda d, period: talib.NATR(d["high"], d["low"], d["close"], period))),
    "stddev": (
        "STDDEV",
        one(lambda d, period, deviations: talib.STDDEV(d["close"], period, deviations)),
    ),
    "parabolic_sar": (
        "SAR",
        one(lambda d, acceleration, maximum: talib.SAR(d["high"], d["low"], acceleration, maximum)),
    ),
    "obv": ("OBV", one(lambda d: talib.OBV(d["close"], d["volume"]))),
    "chaikin_ad": (
        "AD",
        one(lambda d: talib.AD(d["high"], d["low"], d["close"], d["volume"])),
    ),
    "linreg_slope": (
        "LINEARREG_SLOPE",
        one(lambda d, period: talib.LINEARREG_SLOPE(d["close"], period)),
    ),
    "highest": ("MAX", one(lambda d, period: talib.MAX(d["close"], period))),
    "lowest": ("MIN", one(lambda d, period: talib.MIN(d["close"], period))),
}

N = 2723  # data rows in the CSV (2014-09-17..2022-03-01, one per day)
FULL = (0, N)
RECENT = (N - 1000, N)  # the last 1000 bars, including the defective last volume
EARLY = (0, 600)  # used with leading NaNs

# (function, params, rows, lead_nan): a default-ish set on the full history, a short
# set on the recent bars, and for several functions a leading-NaN case.
CASES = [
    ("sma", {"period": 30}, FULL, 0),
    ("sma", {"period": 5}, RECENT, 0),
    ("sma", {"period": 1}, RECENT, 0),
    ("sma", {"period": 10}, EARLY, 17),
    ("ema", {"period": 30}, FULL, 0),
    ("ema", {"period": 5}, RECENT, 0),
    ("ema", {"period": 1}, RECENT, 0),
    ("ema", {"period": 10}, EARLY, 17),
    ("wma", {"period": 30}, FULL, 0),
    ("wma", {"period": 5}, RECENT, 0),
    ("dema", {"period": 30}, FULL, 0),
    ("dema", {"period": 5}, RECENT, 0),
    ("tema", {"period": 30}, FULL, 0),
    ("tema", {"period": 5}, RECENT, 0),
    ("kama", {"period": 30}, FULL, 0),
    ("kama", {"period": 10}, RECENT, 0),
    ("kama", {"period": 10}, EARLY, 17),
    ("rsi", {"period": 14}, FULL, 0),
    ("rsi", {"period": 2}, RECENT, 0),
    ("rsi", {"period": 14}, EARLY, 17),
    ("stoch", {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3}, FULL, 0),
    ("stoch", {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}, RECENT, 0),
    ("stoch", {"fastk_period": 14, "slowk_period": 1, "slowd_period": 5}, EARLY, 17),
    ("stoch_rsi", {"period": 14, "fastk_period": 5, "fastd_period": 3}, FULL, 0),
    ("stoch_rsi", {"period": 14, "fastk_period": 14, "fastd_period": 3}, RECENT, 0),
    ("stoch_rsi", {"period": 7, "fastk_period": 3, "fastd_period": 1}, EARLY, 17),
    ("macd", {"fast": 12, "slow": 26, "signal": 9}, FULL, 0),
    ("macd", {"fast": 5, "slow": 13, "signal": 4}, RECENT, 0),
    ("macd", {"fast": 26, "slow": 12, "signal": 9}, EARLY, 17),
    ("ppo", {"fast": 12, "slow": 26}, FULL, 0),
    ("ppo", {"fast": 5, "slow": 10}, RECENT, 0),
    ("roc", {"period": 10}, FULL, 0),
    ("roc", {"period": 1}, RECENT, 0),
    ("momentum", {"period": 10}, FULL, 0),
    ("momentum", {"period": 1}, RECENT, 0),
    ("williams_r", {"period": 14}, FULL, 0),
    ("williams_r", {"period": 2}, RECENT, 0),
    ("cci", {"period": 14}, FULL, 0),
    ("cci", {"period": 20}, RECENT, 0),
    ("mfi", {"period": 14}, FULL, 0),
    ("mfi", {"period": 5}, RECENT, 0),
    ("mfi", {"period": 14}, EARLY, 17),
    ("adx", {"period": 14}, FULL, 0),
    ("adx", {"period": 5}, RECENT, 0),
    ("adx", {"period": 14}, EARLY, 17),
    ("aroon", {"period": 14}, FULL, 0),
    ("aroon", {"period": 25}, RECENT, 0),
    ("aroon_oscillator", {"period": 14}, FULL, 0),
    ("aroon_oscillator", {"period": 25}, RECENT, 0),
    ("bollinger", {"period": 20, "deviations": 2.0}, FULL, 0),
    ("bollinger", {"period": 10, "deviations": 1.5}, RECENT, 0),
    ("bollinger", {"period": 20, "deviations": 2.0}, EARLY, 17),
    ("atr", {"period": 14}, FULL, 0),
    ("atr", {"period": 5}, RECENT, 0),
    ("atr", {"period": 1}, RECENT, 0),
    ("atr", {"period": 14}, EARLY, 17),
    ("natr", {"period": 14}, FULL, 0),
    ("natr", {"period": 5}, RECENT, 0),
    ("stddev", {"period": 20, "deviations": 1.0}, FULL, 0),
    ("stddev", {"period": 5, "deviations": 2.0}, RECENT, 0),
    ("parabolic_sar", {"acceleration": 0.02, "maximum": 0.2}, FULL, 0),
    ("parabolic_sar", {"acceleration": 0.01, "maximum": 0.1}, RECENT, 0),
    ("parabolic_sar", {"acceleration": 0.02, "maximum": 0.2}, EARLY, 17),
    ("obv", {}, FULL, 0),
    ("obv", {}, RECENT, 0),
    ("obv", {}, EARLY, 17),
    ("chaikin_ad", {}, FULL, 0),
    ("chaikin_ad", {}, RECENT, 0),
    ("linreg_slope", {"period": 14}, FULL, 0),
    ("linreg_slope", {"period": 5}, RECENT, 0),
    ("highest", {"period": 30}, FULL, 0),
    ("highest", {"period": 5}, RECENT, 0),
    ("lowest", {"period": 30}, FULL, 0),
    ("lowest", {"period": 5}, RECENT, 0),
]


def case_name(func, params, rows, lead_nan):
    parts = [func] + [str(v).replace(".", "p") for v in params.values()]
    if rows == RECENT:
        parts.append("recent")
    elif rows == EARLY:
        parts.append("early")
    elif rows != FULL:
        parts.append(f"rows{rows[0]}-{rows[1]}")
    if lead_nan:
        parts.append(f"nan{lead_nan}")
    return "_".join(parts)


def to_json_list(a):
    return [None if math.isnan(v) else float(v) for v in a.tolist()]


def main():
    data = load()
    if len(data["close"]) != N:
        sys.exit(f"expected {N} rows, found {len(data['close'])}")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    for func, params, rows, lead_nan in CASES:
        d = {k: v[rows[0] : rows[1]].copy() for k, v in data.items()}
        for v in d.values():
            v[:lead_nan] = np.nan
        talib_name, compute = FUNCS[func]
        outputs = compute(d, **params)
        name = case_name(func, params, rows, lead_nan)
        doc = {
            "case": name,
            "function": func,
            "talib": talib_name,
            "params": params,
            "rows": list(rows),
            "lead_nan": lead_nan,
            "outputs": {k: to_json_list(v) for k, v in outputs.items()},
        }
        with open(OUT / f"{name}.json", "w") as f:
            json.dump(doc, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
