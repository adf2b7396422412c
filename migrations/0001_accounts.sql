-- 0001 accounts: plans, users, refresh tokens, plan usage.
-- Portable subset (the same file runs on SQLite and PostgreSQL): ids are TEXT (uuid v7
-- strings), timestamps are BIGINT Unix milliseconds, booleans are INTEGER 0/1, JSON is TEXT.
-- Never declare a column UUID or BOOLEAN. Migrations are append-only: never edit this file
-- once released; add a new one.

CREATE TABLE subscription_plans (
    code                   TEXT PRIMARY KEY CHECK (code IN ('free', 'premium', 'educator')),
    name                   TEXT NOT NULL,
    max_strategies         BIGINT NOT NULL,
    max_backtests_per_day  BIGINT NOT NULL,
    max_sweep_combinations BIGINT NOT NULL,
    max_paper_runs         BIGINT NOT NULL
);

INSERT INTO subscription_plans
    (code, name, max_strategies, max_backtests_per_day, max_sweep_combinations, max_paper_runs)
VALUES
    ('free', 'Free', 5, 20, 50, 1),
    ('premium', 'Premium', 100, 500, 5000, 10),
    ('educator', 'Educator', 200, 1000, 5000, 20);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    -- stored lowercase (the store normalises), so uniqueness is case-insensitive
    email            TEXT NOT NULL,
    -- NULL for external (Supabase) users, who sign in elsewhere
    password_hash    TEXT,
    display_name     TEXT NOT NULL,
    role             TEXT NOT NULL DEFAULT 'builder'
                     CHECK (role IN ('builder', 'educator', 'admin')),
    plan             TEXT NOT NULL DEFAULT 'free'
                     CHECK (plan IN ('free', 'premium', 'educator'))
                     REFERENCES subscription_plans (code),
    -- the external identity provider's subject ("sub" claim); NULL for local users
    external_subject TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_external_subject_key UNIQUE (external_subject)
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- all tokens issued by rotation from one sign-in share a family
    family_id   TEXT NOT NULL,
    -- SHA-256 hex of the token; the token itself is never stored
    token_hash  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    -- id of the token that replaced this one on rotation
    replaced_by TEXT,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE plan_usage (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- e.g. a UTC day '2026-11-22' or a month '2026-11'
    period  TEXT NOT NULL,
    -- e.g. 'backtests'
    metric  TEXT NOT NULL,
    count   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, period, metric)
);
