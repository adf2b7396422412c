-- 0012 paper trading: strategies run forward on candles as they close (or on stored candles,
-- replayed), with the backtest's own engine. Portable subset: see 0001. Append-only.

-- 0003 reserved a `paper_runs` table that nothing ever wrote; it is replaced by this one.
DROP TABLE paper_runs;

-- One paper run (the seed's PaperTradeRun).
CREATE TABLE paper_runs (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    strategy_id       TEXT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    version           BIGINT NOT NULL CHECK (version >= 1),
    dataset_id        TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    symbol            TEXT NOT NULL,
    timeframe         TEXT NOT NULL,
    -- JSON: capital, fee, slippage, fill rule, shorts (bb_backtest::Settings)
    settings          TEXT NOT NULL,
    status            TEXT NOT NULL
                      CHECK (status IN ('scheduled', 'active', 'paused', 'stopped')),
    -- 'live': candles as they close; 'replay': stored candles from start_ts, one per tick
    mode              TEXT NOT NULL CHECK (mode IN ('live', 'replay')),
    -- open time of the first candle the run trades
    start_ts          BIGINT NOT NULL,
    -- open time of the last candle processed; NULL before the first
    last_candle_ts    BIGINT,
    last_execution_at BIGINT,
    -- candles processed
    candles           BIGINT NOT NULL DEFAULT 0,
    -- JSON: equity, return, drawdown, trades, the open position (after the last candle)
    snapshot          TEXT,
    -- JSON: the alert thresholds (drawdown, losses, consecutive losses, no trade, stale data)
    alert_config      TEXT NOT NULL DEFAULT '{}',
    -- JSON array: the alerts whose episode is under way (each fires once per episode)
    alerts_active     TEXT NOT NULL DEFAULT '[]',
    -- the schedule that ticks it
    schedule_id       TEXT,
    stop_note         TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    stopped_at        BIGINT
);
CREATE INDEX paper_runs_user_id_idx ON paper_runs (user_id, created_at);

-- The append-only ledger of a run: ticks, fills, trades, status changes and notes,
-- numbered per run.
CREATE TABLE paper_events (
    run_id     TEXT NOT NULL REFERENCES paper_runs (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('tick', 'fill', 'trade', 'status', 'note')),
    -- the candle a tick, fill or trade belongs to
    candle_ts  BIGINT,
    message    TEXT NOT NULL,
    -- JSON
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
-- Each candle of a run is processed once, however many workers try.
CREATE UNIQUE INDEX paper_events_one_tick_per_candle ON paper_events (run_id, candle_ts)
    WHERE kind = 'tick';
