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
