-- 0016 audit log: an append-only hash chain of what was done to whom (role, plan and
-- account changes; compliance events). Each entry carries the hash of the one before, so
-- editing, removing or reordering an entry is detectable (see crates/store/src/audit_chain.rs
-- for the canonical form). Portable subset: see 0001. Append-only.
-- (0003's `compliance_events` is an unused placeholder and stays as it is.)

CREATE TABLE audit_log (
    -- position in the chain: 1, 2, 3, ... with no gap
    seq         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    -- what the entry is about (e.g. `user` and its id); no foreign key: the log outlives
    -- what it records
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    -- e.g. `user.role_changed`
    action      TEXT NOT NULL,
    -- who did it; NULL for the system
    actor_id    TEXT,
    -- JSON details, e.g. {"from": "builder", "to": "admin"}
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- hash of entry seq - 1 (64 zeros for the first); hash of this entry's canonical form
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_created_at ON audit_log (created_at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

-- The chain's head, one row: appends bump its seq first, which serialises them (a row lock
-- on PostgreSQL; SQLite has one writer at a time), then set its hash to the new entry's.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
