-- 0025 backups: what each scheduled or manual backup and each restore drill did, so the
-- age of the last good backup and the last drill's result can be shown, measured and
-- alerted on. Portable subset: see 0001. Append-only.

CREATE TABLE backup_runs (
    id          TEXT PRIMARY KEY,
    -- `backup` or `drill`
    kind        TEXT NOT NULL CHECK (kind IN ('backup', 'drill')),
    -- `ok` or `failed`
    status      TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    -- the backup made or checked (NULL when a backup failed before it had a name)
    backup_id   TEXT,
    -- where backups go, without secrets
    destination TEXT NOT NULL,
    -- JSON: the manifest's totals, or the drill's report
    detail      TEXT NOT NULL DEFAULT '{}',
    -- why it failed
    error       TEXT,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL
);
CREATE INDEX backup_runs_kind_finished ON backup_runs (kind, finished_at);
