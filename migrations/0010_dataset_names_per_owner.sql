-- 0010 dataset names unique per owner: (symbol, timeframe, source) was unique across all
-- owners, so importing a name another user already had revealed their dataset. Now each
-- owner (and the shared space, owner_id NULL) has its own names.
-- Portable subset: see 0001. Append-only. SQLite cannot drop a table constraint, so both
-- tables are rebuilt (candle_chunks references datasets) and renamed back; indexes and
-- constraints are recreated with the same meaning.

CREATE TABLE datasets_v10 (
    id            TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    timeframe     TEXT NOT NULL,
    first_ts      BIGINT,
    last_ts       BIGINT,
    row_count     BIGINT NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    provenance    TEXT NOT NULL DEFAULT '',
    fetch_sources TEXT,
    quality       TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- the importing user; NULL for a shared dataset (see 0006)
    owner_id      TEXT REFERENCES users (id) ON DELETE CASCADE
);

INSERT INTO datasets_v10 (id, source, symbol, timeframe, first_ts, last_ts, row_count,
    provenance, fetch_sources, quality, created_at, updated_at, owner_id)
SELECT id, source, symbol, timeframe, first_ts, last_ts, row_count, provenance,
    fetch_sources, quality, created_at, updated_at, owner_id
FROM datasets;

CREATE TABLE candle_chunks_v10 (
    dataset_id     TEXT NOT NULL REFERENCES datasets_v10 (id) ON DELETE CASCADE,
    chunk_start_ts BIGINT NOT NULL,
    chunk_end_ts   BIGINT NOT NULL,
    row_count      BIGINT NOT NULL CHECK (row_count > 0),
    data           BYTEA NOT NULL,
    sources        TEXT NOT NULL,
    written_at     BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, chunk_start_ts)
);

INSERT INTO candle_chunks_v10 (dataset_id, chunk_start_ts, chunk_end_ts, row_count, data,
    sources, written_at)
SELECT dataset_id, chunk_start_ts, chunk_end_ts, row_count, data, sources, written_at
FROM candle_chunks;

DROP TABLE candle_chunks;
DROP TABLE datasets;
ALTER TABLE datasets_v10 RENAME TO datasets;
ALTER TABLE candle_chunks_v10 RENAME TO candle_chunks;

CREATE INDEX datasets_owner_id_idx ON datasets (owner_id);
-- One name per owner; '' stands for the shared space, so two shared datasets cannot share a
-- name either (NULLs are distinct in a plain unique index).
CREATE UNIQUE INDEX datasets_owner_symbol_timeframe_source_key
    ON datasets ((COALESCE(owner_id, '')), symbol, timeframe, source);
