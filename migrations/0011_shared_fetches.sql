-- 0011 market data on demand: a fetch into the shared cache is one job however many users
-- ask for it, it reports its progress, and plans bound how many fetches a user starts a day.
-- Portable subset: see 0001. Append-only.

-- A key naming the work a job does (e.g. 'market_fetch:<dataset id>'); at most one queued
-- or running job per key, so concurrent requests for the same work share one job.
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT;
-- JSON: how far a running job has come, written by its worker.
ALTER TABLE jobs ADD COLUMN progress TEXT;
CREATE UNIQUE INDEX jobs_active_dedupe_key ON jobs (dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- Fetches from an exchange a user may start per UTC day (joining one already under way, and
-- refreshing the last page of a dataset, are free).
ALTER TABLE subscription_plans ADD COLUMN max_data_fetches_per_day BIGINT NOT NULL DEFAULT 20;
UPDATE subscription_plans SET max_data_fetches_per_day = 20 WHERE code = 'free';
UPDATE subscription_plans SET max_data_fetches_per_day = 200 WHERE code = 'premium';
UPDATE subscription_plans SET max_data_fetches_per_day = 500 WHERE code = 'educator';
