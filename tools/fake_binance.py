"""A local stand-in for Binance's public REST API in its real wire format, for tools/spec-test:
`GET /api/v3/exchangeInfo` lists a few markets (one not trading); anything else answers
Binance's error shape. Prints its port on the first line, then serves until killed."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKETS = [
    ("BTCUSDT", "BTC", "USDT", "TRADING"),
    ("ETHUSDT", "ETH", "USDT", "TRADING"),
    ("ETHBTC", "ETH", "BTC", "TRADING"),
    ("ADABTC", "ADA", "BTC", "TRADING"),
    ("LUNAUSDT", "LUNA", "USDT", "BREAK"),
]
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


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        if self.path.split("?")[0] == "/api/v3/exchangeInfo":
            status, body = 200, EXCHANGE_INFO
        else:
            status, body = 400, json.dumps({"code": -1121, "msg": "Invalid symbol."}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-MBX-USED-WEIGHT-1M", "10")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
