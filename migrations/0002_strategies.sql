-- 0002 strategies: the strategy record, its tags and its immutable versions.
-- Portable subset: see 0001. Append-only.

CREATE TABLE strategies (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES users (id),
    title          TEXT NOT NULL,
    -- lowercase a-z, 0-9 and '-', unique across all strategies; stable across renames
    slug           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'active', 'archived')),
    visibility     TEXT NOT NULL DEFAULT 'private'
                   CHECK (visibility IN ('private', 'cohort', 'public')),
    -- number of the newest row in strategy_versions (0 = no version yet)
    latest_version BIGINT NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT strategies_slug_key UNIQUE (slug)
);

CREATE INDEX strategies_owner_id_idx ON strategies (owner_id);
CREATE INDEX strategies_visibility_status_idx ON strategies (visibility, status);
CREATE INDEX strategies_updated_at_idx ON strategies (updated_at);

CREATE TABLE strategy_tags (
    strategy_id TEXT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (strategy_id, tag)
);

CREATE INDEX strategy_tags_tag_idx ON strategy_tags (tag);

-- Immutable once written: the store has no update or delete for versions.
CREATE TABLE strategy_versions (
    strategy_id TEXT NOT NULL REFERENCES strategies (id),
    version     BIGINT NOT NULL CHECK (version >= 1),
    -- the strategy document (JSON)
    graph       TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    author_id   TEXT NOT NULL REFERENCES users (id),
    -- 1 when validation found no errors
    valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
    -- JSON array of diagnostics
    diagnostics TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (strategy_id, version)
);

CREATE INDEX strategy_versions_author_id_idx ON strategy_versions (author_id);
