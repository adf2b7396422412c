-- 0005 jobs: a durable job queue (claimed under a lease, retried with back-off, cancellable)
-- and recurring schedules that enqueue jobs. Portable subset: see 0001. Append-only.

-- One unit of background work. A worker claims the best queued job whose run_at has come
-- (priority first), holds it under a lease it renews by heartbeat, and finishes it; a job
-- whose lease runs out is put back in the queue (or failed) by the reaper.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    -- what to run, e.g. 'backtest', 'sweep', 'market_fetch'
    kind             TEXT NOT NULL,
    -- JSON: the job's input (ids and options, never bulk data)
    payload          TEXT NOT NULL,
    -- whose work it is; NULL for system jobs
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- higher is claimed first
    priority         BIGINT NOT NULL DEFAULT 0,
    -- not claimed before this time (Unix ms)
    run_at           BIGINT NOT NULL,
    -- how many times it was claimed
    attempts         BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     BIGINT NOT NULL CHECK (max_attempts >= 1),
    -- the worker holding it (while running) or that finished it; NULL while queued
    worker_id        TEXT,
    -- while running: the worker must heartbeat before this time (Unix ms)
    lease_until      BIGINT,
    heartbeat_at     BIGINT,
    -- the error of the latest failed attempt
    last_error       TEXT,
    -- JSON result, when succeeded
    result           TEXT,
    -- 1 when a running job was asked to stop (the worker sees it on heartbeat)
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT
);

-- claiming: queued jobs, best priority first, then oldest run_at
CREATE INDEX jobs_status_priority_run_at_idx ON jobs (status, priority DESC, run_at);
-- the reaper: running jobs by lease
CREATE INDEX jobs_status_lease_until_idx ON jobs (status, lease_until);
CREATE INDEX jobs_user_id_idx ON jobs (user_id, created_at);

-- A recurring job: every interval_ms, from next_run_at on, a job of this kind and payload is
-- enqueued. After downtime next_run_at jumps past the missed runs (one job, no pile-up).
CREATE TABLE schedules (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    -- JSON
    payload     TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    interval_ms BIGINT NOT NULL CHECK (interval_ms > 0),
    next_run_at BIGINT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- the job enqueued last (no foreign key: finished jobs may be pruned)
    last_job_id TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX schedules_enabled_next_run_at_idx ON schedules (enabled, next_run_at);
CREATE INDEX schedules_user_id_idx ON schedules (user_id);
