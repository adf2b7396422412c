-- 0023 screener (P13): the alerts the real-time screener stores, and the screens users keep
-- (a symbol list, the built-in alert types they want to hear of, and optionally a strategy
-- version whose entry condition is a block screen). Portable subset: see 0001. Append-only.

CREATE TABLE screener_alerts (
    id             TEXT PRIMARY KEY,
    -- NULL: a built-in screen's alert (market data, seen by every signed-in user); else the
    -- owner of the block screen that made it (seen by them only)
    user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
    symbol         TEXT NOT NULL,
    -- gap_up | gap_down | volume_spike | new_high | new_low | spread_blowout | block_screen
    alert_type     TEXT NOT NULL,
    -- a built-in's name, or a block screen's id
    screen         TEXT NOT NULL,
    screen_version BIGINT NOT NULL,
    -- the triggering event (Unix ms)
    trigger_time   BIGINT NOT NULL,
    -- the feed it came from: `replay`, `binance`, …
    feed           TEXT NOT NULL,
    -- the whole alert as JSON (trigger price, conditions, book, time in ns)
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE INDEX screener_alerts_time_idx ON screener_alerts (trigger_time, id);
CREATE INDEX screener_alerts_symbol_idx ON screener_alerts (symbol, trigger_time);
CREATE INDEX screener_alerts_created_idx ON screener_alerts (created_at);

CREATE TABLE screener_screens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- JSON array of upper-case symbols (1 to 50)
    symbols     TEXT NOT NULL,
    -- JSON array of built-in alert types whose alerts on those symbols reach the owner
    alert_types TEXT NOT NULL,
    -- a block screen: the strategy version whose entry condition fires it
    strategy_id TEXT REFERENCES strategies (id) ON DELETE CASCADE,
    version     BIGINT,
    -- enter_long | enter_short | either
    signal      TEXT,
    -- 1: its alerts reach the owner as `screener_alert` notifications
    notify      INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX screener_screens_user_idx ON screener_screens (user_id, created_at);

-- A trade watched from an alert (the seed's trade model): entered at `entry`, closed when
-- the live price reaches the stop loss or the take profit (or cancelled by its owner).
CREATE TABLE screener_trades (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the alert it was opened from (alerts are pruned; the id stays)
    alert_id    TEXT,
    symbol      TEXT NOT NULL,
    -- long | short
    side        TEXT NOT NULL,
    -- JSON {"entry", "stop_loss", "take_profit"}
    levels      TEXT NOT NULL,
    -- open | stopped | target | cancelled
    status      TEXT NOT NULL,
    -- JSON {"price", "time_ns"} of the trade that closed it
    outcome     TEXT,
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);

CREATE INDEX screener_trades_user_idx ON screener_trades (user_id, created_at);
CREATE INDEX screener_trades_open_idx ON screener_trades (status, symbol);
