-- 0017 templates and compliance review (P11): strategy versions published as templates,
-- the compliance events that decide them, clones with attribution, and the reviewer duty.
-- Replaces 0003's placeholders (template_shares, compliance_events), which no code used.
-- Portable subset: see 0001. Append-only.

DROP TABLE template_shares;
DROP TABLE compliance_events;

-- A reviewer decides compliance events; a duty beside the account's role, granted by admins.
ALTER TABLE users ADD COLUMN reviewer INTEGER NOT NULL DEFAULT 0;

CREATE TABLE templates (
    id             TEXT PRIMARY KEY,
    strategy_id    TEXT NOT NULL,
    version        BIGINT NOT NULL,
    educator_id    TEXT NOT NULL REFERENCES users (id),
    audience       TEXT NOT NULL CHECK (audience IN ('cohort', 'public')),
    title          TEXT NOT NULL,
    description    TEXT NOT NULL,
    -- JSON array of lowercase tags
    tags           TEXT NOT NULL DEFAULT '[]',
    disclosure     TEXT NOT NULL,
    -- pending_review, published, rejected, taken_down, superseded
    status         TEXT NOT NULL,
    -- JSON: the verified backtest card (metrics, costs, data, the run it comes from)
    card           TEXT NOT NULL,
    clone_count    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    published_at   BIGINT,
    FOREIGN KEY (strategy_id, version) REFERENCES strategy_versions (strategy_id, version),
    -- a version is published once per audience; an update is a new version
    CONSTRAINT templates_version_audience_key UNIQUE (strategy_id, version, audience)
);

CREATE INDEX templates_status_published_at_idx ON templates (status, published_at);
CREATE INDEX templates_educator_id_idx ON templates (educator_id);

CREATE TABLE template_tags (
    template_id TEXT NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (template_id, tag)
);

CREATE INDEX template_tags_tag_idx ON template_tags (tag);

CREATE TABLE template_clones (
    id          TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES templates (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    strategy_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX template_clones_template_id_idx ON template_clones (template_id);

-- The seed's ComplianceEvent.
CREATE TABLE compliance_events (
    id          TEXT PRIMARY KEY,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('strategy', 'template', 'cohort', 'notification')),
    entity_id   TEXT NOT NULL,
    event_type  TEXT NOT NULL CHECK (event_type IN ('disclosure', 'risk_review', 'takedown', 'audit')),
    -- JSON: the machine gates' evidence, the decision and its reason
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'escalated')),
    created_by  TEXT REFERENCES users (id),
    resolved_by TEXT REFERENCES users (id),
    reason      TEXT,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT
);

CREATE INDEX compliance_events_status_created_at_idx ON compliance_events (status, created_at);
CREATE INDEX compliance_events_entity_idx ON compliance_events (entity_type, entity_id);
