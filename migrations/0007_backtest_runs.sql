-- 0007 backtest runs as jobs: what a run needs beyond 0003's columns, its event log (what
-- the live progress stream replays), richer notifications, and the plan quotas of P5.
-- Portable subset: see 0001. Append-only.

-- 'backtest' or 'sweep'; the job that computes it; the dataset it reads; 0..100.
ALTER TABLE backtest_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'backtest';
ALTER TABLE backtest_runs ADD COLUMN job_id TEXT;
ALTER TABLE backtest_runs ADD COLUMN dataset_id TEXT;
ALTER TABLE backtest_runs ADD COLUMN progress BIGINT NOT NULL DEFAULT 0;
-- JSON: the headline metrics of a finished run (shown in lists and notifications)
ALTER TABLE backtest_runs ADD COLUMN summary TEXT;
-- the whole report (equity, trades, sweep rows) as LZ4-compressed JSON
ALTER TABLE backtest_runs ADD COLUMN report BYTEA;
ALTER TABLE backtest_runs ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX backtest_runs_user_id_kind_idx ON backtest_runs (user_id, kind, created_at);

-- What happened to a run, in order: queued, started, progress, succeeded, failed,
-- cancelled. seq counts from 1 per run.
CREATE TABLE run_events (
    run_id     TEXT NOT NULL REFERENCES backtest_runs (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    -- JSON
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- JSON details of a notification (run id, headline metrics) and where it is delivered.
ALTER TABLE notifications ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
ALTER TABLE notifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'in_app';

-- Quotas: a free user may learn (many small backtests) but not go deep (a short run
-- history, small sweeps, no publishing).
ALTER TABLE subscription_plans ADD COLUMN max_template_publishes BIGINT NOT NULL DEFAULT 0;
-- how many past runs the history keeps (older ones are no longer listed)
ALTER TABLE subscription_plans ADD COLUMN max_history_runs BIGINT NOT NULL DEFAULT 100;
-- queued or running backtests and sweeps at once
ALTER TABLE subscription_plans ADD COLUMN max_concurrent_runs BIGINT NOT NULL DEFAULT 2;

UPDATE subscription_plans SET max_backtests_per_day = 50, max_sweep_combinations = 100,
    max_template_publishes = 0, max_history_runs = 100, max_concurrent_runs = 2 WHERE code = 'free';
UPDATE subscription_plans SET max_backtests_per_day = 1000, max_sweep_combinations = 5000,
    max_template_publishes = 20, max_history_runs = 100000, max_concurrent_runs = 8 WHERE code = 'premium';
UPDATE subscription_plans SET max_backtests_per_day = 2000, max_sweep_combinations = 10000,
    max_template_publishes = 200, max_history_runs = 100000, max_concurrent_runs = 16 WHERE code = 'educator';
