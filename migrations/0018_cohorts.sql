-- 0018 cohorts (P11): an educator's groups of students, joined by an invite code, and the
-- cohort a cohort template is published to. Portable subset: see 0001. Append-only.

CREATE TABLE cohorts (
    id          TEXT PRIMARY KEY,
    educator_id TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- what students type or follow to join; rotated by the educator
    invite_code TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT cohorts_invite_code_key UNIQUE (invite_code)
);

CREATE INDEX cohorts_educator_id_idx ON cohorts (educator_id);

CREATE TABLE cohort_members (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
);

CREATE INDEX cohort_members_user_id_idx ON cohort_members (user_id);

-- The cohort of an `audience = 'cohort'` template (NULL for public ones).
ALTER TABLE templates ADD COLUMN cohort_id TEXT REFERENCES cohorts (id);

CREATE INDEX templates_cohort_id_idx ON templates (cohort_id);

-- Cohorts per plan: how many an educator may run and how many students each may have.
ALTER TABLE subscription_plans ADD COLUMN max_cohorts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscription_plans ADD COLUMN max_cohort_members BIGINT NOT NULL DEFAULT 0;
UPDATE subscription_plans SET max_cohorts = 20, max_cohort_members = 500 WHERE code = 'educator';
