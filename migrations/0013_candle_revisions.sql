-- 0013 candle revisions: a source may correct a candle it published (a late trade, an
-- exchange's fix). A live refresh re-reads the last candles and stores the corrected values;
-- the values replaced are kept here, so what a paper run or a backtest saw can always be
-- told apart from what is stored now. Portable subset: see 0001. Append-only.

CREATE TABLE candle_revisions (
    id          TEXT PRIMARY KEY,
    dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- open time of the candle revised
    ts          BIGINT NOT NULL,
    -- JSON [open, high, low, close, volume] before and after, and who supplied each
    before      TEXT NOT NULL,
    before_source TEXT NOT NULL,
    after       TEXT NOT NULL,
    source      TEXT NOT NULL,
    revised_at  BIGINT NOT NULL
);
CREATE INDEX candle_revisions_dataset_ts ON candle_revisions (dataset_id, ts);
