"""A local stand-in for Binance in its real wire formats, for tools/spec-test and the browser
tests (web/e2e), standard library only:

- `GET /api/v3/exchangeInfo` lists a few markets (one not trading);
- `GET /api/v3/klines?symbol=&interval=&startTime=&endTime=&limit=`: complete candles, oldest
  first, as Binance's 12-field arrays (times in milliseconds, prices and volumes as decimal
  strings), with the `X-MBX-USED-WEIGHT-1M` header and Binance's error shape;
- the public dumps in data.binance.vision's layout on the same server:
  `/data/spot/monthly/klines/{SYM}/{interval}/{SYM}-{interval}-{YYYY-MM}.zip`,
  `/data/spot/daily/klines/{SYM}/{interval}/{SYM}-{interval}-{YYYY-MM-DD}.zip` (intervals
  1m..1d), each one header-less CSV with the same 12 columns (microsecond times in files dated
  2025-01-01 or later, as Binance writes them), and `<zip>.CHECKSUM` (`<sha256>  <name>`);
  a file not there answers S3's 404 XML.

Candles are pure functions of (symbol, interval, open time): a smooth price path (sums of
sines) with a small hash-based noise, so a candle read from klines and the same candle in a
dump are the same strings. Every symbol is listed from 2022-01-01T00:00Z; only TRADING
symbols have candles, only complete ones (open + interval <= now).

`FAKE_BINANCE_DOWN=1` answers 503 to everything (Binance unreachable).
Prints its port on the first line, then serves until killed."""

import calendar
import hashlib
import io
import json
import math
import os
import re
import struct
import threading
import time
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MARKETS = [
    ("BTCUSDT", "BTC", "USDT", "TRADING"),
    ("ETHUSDT", "ETH", "USDT", "TRADING"),
    ("ETHBTC", "ETH", "BTC", "TRADING"),
    ("ADABTC", "ADA", "BTC", "TRADING"),
    ("LUNAUSDT", "LUNA", "USDT", "BREAK"),
]
STATUS = {s: status for s, _, _, status in MARKETS}
EXCHANGE_INFO = json.dumps(
    {
        "timezone": "UTC",
        "serverTime": 1796543818603,
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {
                "symbol": s,
                "status": status,
                "baseAsset": base,
                "baseAssetPrecision": 8,
                "quoteAsset": quote,
                "quotePrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "isSpotTradingAllowed": True,
            }
            for s, base, quote, status in MARKETS
        ],
    }
).encode()

# Per symbol: the price level, the price's tick (decimal places) and a typical volume per hour.
PRICES = {
    "BTCUSDT": (30000.0, 2, 900.0),
    "ETHUSDT": (2000.0, 2, 9000.0),
    "ETHBTC": (0.05, 5, 2500.0),
    "ADABTC": (0.000012, 8, 600000.0),
}
LISTED_MS = 1640995200000  # 2022-01-01T00:00:00Z
MICROS_FROM = "2025-01-01"  # dump files dated from here on write microseconds

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
INTERVALS = {
    "1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
    "1h": HOUR, "2h": 2 * HOUR, "4h": 4 * HOUR, "6h": 6 * HOUR, "8h": 8 * HOUR,
    "12h": 12 * HOUR, "1d": DAY, "3d": 3 * DAY, "1w": 7 * DAY,
}
DAILY_INTERVALS = {k for k, v in INTERVALS.items() if v <= DAY}
# Weekly candles open on Mondays (1970-01-05 was the first); the others on multiples of their length.
ALIGN = {"1w": 4 * DAY}

NOT_FOUND_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message></Error>"
)
DOWN = os.environ.get("FAKE_BINANCE_DOWN") == "1"


def now_ms():
    return int(time.time() * 1000)


def unit(*parts):
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return struct.unpack(">Q", digest)[0] / 2**64


def seed(symbol):
    return unit("seed", symbol) * 2 * math.pi


# Periods (days) and amplitudes (of the log price) of the path's waves.
WAVES = [(0.29, 0.004), (2.7, 0.012), (11.3, 0.035), (47.0, 0.08), (173.0, 0.11), (611.0, 0.14)]


def price_at(symbol, t_ms):
    """The price path: a sum of sines in log space plus a small noise at each instant."""
    level = PRICES[symbol][0]
    phase = seed(symbol)
    days = t_ms / DAY
    x = sum(a * math.sin(2 * math.pi * days / p + phase * (k + 1)) for k, (p, a) in enumerate(WAVES))
    x += (unit("p", symbol, t_ms) - 0.5) * 0.003
    return level * math.exp(x)


def first_open(interval):
    step = INTERVALS[interval]
    off = ALIGN.get(interval, 0)
    return off + -(-(LISTED_MS - off) // step) * step


def aligned_at_or_after(interval, t_ms):
    step = INTERVALS[interval]
    off = ALIGN.get(interval, 0)
    return max(first_open(interval), off + -(-(t_ms - off) // step) * step)


def aligned_at_or_before(interval, t_ms):
    step = INTERVALS[interval]
    off = ALIGN.get(interval, 0)
    return off + ((t_ms - off) // step) * step


def fmt(x, places):
    """A price rounded to its tick, written with Binance's eight decimals."""
    return f"{round(x, places):.8f}"


def candle(symbol, interval, open_ms):
    """One candle as Binance's 12 fields, times in milliseconds."""
    step = INTERVALS[interval]
    _, places, hourly_volume = PRICES[symbol]
    tick = 10.0**-places
    o = round(price_at(symbol, open_ms), places)
    c = round(price_at(symbol, open_ms + step), places)
    spread = 0.0015 * math.sqrt(step / HOUR) + 0.0004
    h = round(max(o, c) * (1 + spread * unit("h", symbol, interval, open_ms)), places)
    lo = round(min(o, c) * (1 - spread * unit("l", symbol, interval, open_ms)), places)
    h = max(h, o, c)
    lo = max(min(lo, o, c), tick)
    volume = hourly_volume * (step / HOUR) * (0.4 + 1.2 * unit("v", symbol, interval, open_ms))
    volume = round(volume, 4)
    mid = (o + c + h + lo) / 4
    taker = round(volume * (0.35 + 0.3 * unit("t", symbol, interval, open_ms)), 4)
    trades = max(1, int(volume * 3 * (0.5 + unit("n", symbol, interval, open_ms))))
    return [
        open_ms, fmt(o, places), fmt(h, places), fmt(lo, places), fmt(c, places),
        f"{volume:.8f}", open_ms + step - 1, f"{volume * mid:.8f}", trades,
        f"{taker:.8f}", f"{taker * mid:.8f}", "0",
    ]


def opens(interval, start_ms, end_ms):
    """Open times of the complete candles opening in [start_ms, end_ms]."""
    step = INTERVALS[interval]
    last = min(end_ms, now_ms() - step)
    t = aligned_at_or_after(interval, start_ms)
    while t <= last:
        yield t
        t += step


# ---------------------------------------------------------------- REST

weight_lock = threading.Lock()
weight = {"minute": 0, "used": 0}


def use_weight(n):
    with weight_lock:
        minute = now_ms() // MINUTE
        if weight["minute"] != minute:
            weight["minute"], weight["used"] = minute, 0
        weight["used"] += n
        return weight["used"]


def error(code, msg):
    return 400, json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()


def klines(query):
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    symbol, interval = params.get("symbol", ""), params.get("interval", "")
    if not symbol:
        return error(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    if not interval:
        return error(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")
    if symbol not in STATUS:
        return error(-1121, "Invalid symbol.")
    if interval not in INTERVALS:
        return error(-1120, "Invalid interval.")
    try:
        limit = int(params.get("limit") or 500)
        start = int(params["startTime"]) if params.get("startTime") else None
        end = int(params["endTime"]) if params.get("endTime") else None
    except ValueError:
        return error(-1100, "Illegal characters found in a parameter.")
    if limit < 1:
        return error(-1130, "Data sent for parameter 'limit' is not valid.")
    if start is not None and end is not None and start > end:
        return error(-1023, "Start time is greater than end time.")
    limit = min(limit, 1000)
    if STATUS[symbol] != "TRADING":
        return 200, b"[]"
    step = INTERVALS[interval]
    end = now_ms() if end is None else end
    if start is None:
        # The latest `limit` candles up to endTime.
        last = aligned_at_or_before(interval, min(end, now_ms() - step))
        start = last - (limit - 1) * step
    rows = []
    for t in opens(interval, start, end):
        rows.append(candle(symbol, interval, t))
        if len(rows) == limit:
            break
    return 200, json.dumps(rows, separators=(",", ":")).encode()


# ---------------------------------------------------------------- dumps

DUMP = re.compile(
    r"^/data/spot/(monthly|daily)/klines/([A-Z0-9]+)/([0-9]+[mhdw])/"
    r"\2-\3-([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)\.zip(\.CHECKSUM)?$"
)
zip_cache = {}
zip_lock = threading.Lock()


def day_ms(y, m, d=1):
    return calendar.timegm((y, m, d, 0, 0, 0)) * 1000


def dump_period(kind, date):
    """The [start, end) of a dump's date, or None when the date has the wrong shape."""
    try:
        parts = [int(p) for p in date.split("-")]
        if kind == "monthly" and len(parts) == 2:
            y, m = parts
            datetime(y, m, 1)
            return day_ms(y, m), day_ms(y + m // 12, m % 12 + 1)
        if kind == "daily" and len(parts) == 3:
            datetime(*parts)
            start = day_ms(*parts)
            return start, start + DAY
    except ValueError:
        pass
    return None


def build_zip(symbol, interval, date, start, end):
    micros = date >= MICROS_FROM
    out = io.StringIO()
    for t in opens(interval, start, end - 1):
        row = candle(symbol, interval, t)
        if micros:
            row[0] *= 1000
            row[6] = (t + INTERVALS[interval]) * 1000 - 1
        out.write(",".join(map(str, row)) + "\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(f"{symbol}-{interval}-{date}.csv", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, out.getvalue())
    return buf.getvalue()


def dump(path):
    m = DUMP.match(path)
    if not m:
        return None
    kind, symbol, interval, date, checksum = m.groups()
    if STATUS.get(symbol) != "TRADING" or interval not in INTERVALS:
        return None
    if kind == "daily" and interval not in DAILY_INTERVALS:
        return None
    period = dump_period(kind, date)
    if period is None:
        return None
    start, end = period
    # Published once the period is over; none before the listing.
    if end > now_ms() or end <= LISTED_MS or next(opens(interval, start, end - 1), None) is None:
        return None
    key = (symbol, interval, date)
    with zip_lock:
        body = zip_cache.get(key)
    if body is None:
        body = build_zip(symbol, interval, date, start, end)
        with zip_lock:
            zip_cache[key] = body
    if checksum:
        name = f"{symbol}-{interval}-{date}.zip"
        return "text/plain", f"{hashlib.sha256(body).hexdigest()}  {name}\n".encode()
    return "application/zip", body


# ---------------------------------------------------------------- server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, a small body waits for the
    # client's delayed ACK (about 40 ms a response), which would be timed as ours.
    disable_nagle_algorithm = True

    def answer(self, status, body, content_type="application/json", weight_used=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if weight_used is not None:
            self.send_header("X-MBX-USED-WEIGHT-1M", str(weight_used))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (the standard library's name)
        if DOWN:
            return self.answer(503, b"Service Unavailable", "text/plain")
        url = urlsplit(self.path)
        if url.path.startswith("/data/"):
            found = dump(url.path)
            if found is None:
                return self.answer(404, NOT_FOUND_XML, "application/xml")
            return self.answer(200, found[1], found[0])
        if url.path == "/api/v3/exchangeInfo":
            return self.answer(200, EXCHANGE_INFO, weight_used=use_weight(20))
        if url.path == "/api/v3/klines":
            status, body = klines(url.query)
            limit = re.search(r"(?:^|&)limit=([0-9]+)", url.query)
            n = int(limit.group(1)) if limit else 500
            return self.answer(status, body, weight_used=use_weight(1 if n < 100 else 2 if n < 500 else 5 if n <= 1000 else 10))
        status, body = error(-1121, "Invalid symbol.")
        return self.answer(status, body, weight_used=use_weight(1))

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
