-- 0024 erasure (P14): per-user pseudonyms for the audit chain, and the erasure ledger.
-- Portable subset: see 0001. Append-only.

-- The audit chain hashes `entity_id`, `actor_id` and `payload` in clear, so from this
-- migration on an entry names a user by a random pseudonym (`u_` + 32 hex digits), never
-- by their id. The mapping is filled on the user's first audited change and deleted when
-- the user is erased: the chain keeps only a pseudonym nobody can link back, and still
-- verifies. Entries written before this migration keep the ids they hold.
CREATE TABLE user_pseudonyms (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pseudonym  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT user_pseudonyms_pseudonym_key UNIQUE (pseudonym)
);

-- Every erased account: subject = lowercase hex SHA-256 of 'bb-erasure:' || user id (no
-- other trace of the user). Re-applied after a backup restore, so data of users erased
-- since the backup does not come back.
CREATE TABLE erasures (
    subject      TEXT PRIMARY KEY,
    erased_at    BIGINT NOT NULL,
    -- 'self' (DELETE /api/v1/me) or 'admin' (an admin, or an operator's restore re-applying it)
    requested_by TEXT NOT NULL CHECK (requested_by IN ('self', 'admin'))
);
