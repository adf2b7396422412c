-- 0006 dataset owners: who a candle dataset belongs to.
-- Portable subset: see 0001. Append-only.

-- The user who imported the dataset; NULL for a shared dataset (the demo data, imports by
-- an admin, fetched market data), which every signed-in user may read. Deleting the user
-- deletes their datasets (and, through 0004's cascade, their candles).
ALTER TABLE datasets ADD COLUMN owner_id TEXT REFERENCES users (id) ON DELETE CASCADE;

CREATE INDEX datasets_owner_id_idx ON datasets (owner_id);
