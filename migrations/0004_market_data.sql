-- 0004 market data: datasets of candles and their compressed columnar chunks.
-- Portable subset: see 0001. BYTEA is PostgreSQL's byte string; SQLite gives the column
-- NUMERIC affinity, which stores a BLOB unchanged. Append-only.

-- One series of candles: a symbol at a timeframe from a source ("binance", "coindesk",
-- "file", "demo"). The candles live in candle_chunks.
CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    -- e.g. 'BTC-USD', 'BTCUSDT'
    symbol      TEXT NOT NULL,
    -- e.g. '1m', '1h', '1d'
    timeframe   TEXT NOT NULL,
    -- open time of the first and last stored candle (Unix ms); NULL while empty
    first_ts    BIGINT,
    last_ts     BIGINT,
    row_count   BIGINT NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    -- where the data comes from, in words (file name, vendor, licence)
    provenance  TEXT NOT NULL DEFAULT '',
    -- JSON array of the providers to fetch from, in failover order (NULL: just source)
    fetch_sources TEXT,
    -- JSON quality report of the stored candles; NULL until checked
    quality     TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT datasets_symbol_timeframe_source_key UNIQUE (symbol, timeframe, source)
);

-- Up to 16,384 consecutive candles of a dataset, encoded and compressed as columns (see
-- bb-store's chunk codec). Chunks of one dataset never overlap in time.
CREATE TABLE candle_chunks (
    dataset_id     TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- open time of the chunk's first and last candle (Unix ms)
    chunk_start_ts BIGINT NOT NULL,
    chunk_end_ts   BIGINT NOT NULL,
    row_count      BIGINT NOT NULL CHECK (row_count > 0),
    data           BYTEA NOT NULL,
    -- JSON array of [source, rows] runs, in row order: which source each candle came from
    sources        TEXT NOT NULL,
    -- when this chunk was written (Unix ms); appends rewrite only the last partial chunk
    written_at     BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, chunk_start_ts)
);
