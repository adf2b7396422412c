-- 0003 runs and sharing: tables for features that have no repository yet (backtest and
-- paper runs, educator template shares, the compliance log, notifications).
-- Status columns have no CHECK yet: their state machines are not designed, and widening a
-- CHECK on SQLite means rebuilding the table. Portable subset: see 0001. Append-only.

CREATE TABLE backtest_runs (
    id          TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    -- e.g. queued, running, succeeded, failed, cancelled
    status      TEXT NOT NULL,
    -- JSON: data set, period, fees, parameter overrides
    config      TEXT NOT NULL,
    -- JSON report, when finished
    result      TEXT,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT,
    FOREIGN KEY (strategy_id, version) REFERENCES strategy_versions (strategy_id, version)
);

CREATE INDEX backtest_runs_user_id_created_at_idx ON backtest_runs (user_id, created_at);
CREATE INDEX backtest_runs_strategy_id_idx ON backtest_runs (strategy_id, version);
CREATE INDEX backtest_runs_status_idx ON backtest_runs (status);

CREATE TABLE paper_runs (
    id          TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL,
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    FOREIGN KEY (strategy_id, version) REFERENCES strategy_versions (strategy_id, version)
);

CREATE INDEX paper_runs_user_id_idx ON paper_runs (user_id);
CREATE INDEX paper_runs_status_idx ON paper_runs (status);

CREATE TABLE template_shares (
    id          TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    educator_id TEXT NOT NULL REFERENCES users (id),
    -- who may see it, e.g. a cohort id or 'public'
    audience    TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    FOREIGN KEY (strategy_id, version) REFERENCES strategy_versions (strategy_id, version)
);

CREATE INDEX template_shares_strategy_id_idx ON template_shares (strategy_id);
CREATE INDEX template_shares_educator_id_idx ON template_shares (educator_id);

-- Append-only, hash-chained audit log: hash = H(prev_hash || event).
CREATE TABLE compliance_events (
    id           TEXT PRIMARY KEY,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    -- NULL for the system
    actor_id     TEXT,
    action       TEXT NOT NULL,
    -- JSON
    details      TEXT NOT NULL DEFAULT '{}',
    -- NULL for the first event of the chain
    prev_hash    TEXT,
    hash         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT compliance_events_hash_key UNIQUE (hash)
);

CREATE INDEX compliance_events_subject_idx ON compliance_events (subject_type, subject_id);
CREATE INDEX compliance_events_created_at_idx ON compliance_events (created_at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT,
    read_at    BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX notifications_user_id_read_at_idx ON notifications (user_id, read_at);
