-- 0015 holdout looks: a robustness run keeps the last part of its data aside; every time a
-- user opens that holdout the look is recorded, so repeated peeking at the same data is
-- visible ("the holdout has been looked at 3 times"). Portable subset: see 0001.
-- Append-only.

CREATE TABLE holdout_looks (
    id          TEXT PRIMARY KEY,
    -- the robustness run whose holdout was opened (one look per run)
    run_id      TEXT NOT NULL UNIQUE REFERENCES backtest_runs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    strategy_id TEXT NOT NULL,
    dataset_id  TEXT NOT NULL,
    -- open times of the holdout's first and last candle
    from_ts     BIGINT NOT NULL,
    to_ts       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX holdout_looks_strategy ON holdout_looks (strategy_id, dataset_id);
