-- 0022 account email (P12): one-time tokens behind the links of verification and
-- password-reset emails (only their SHA-256 is stored), the addresses a user proved they
-- read, and the devices a user signed in from (a new one gets an email). Portable subset:
-- see 0001. Append-only.

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- verify_email | reset_password
    purpose    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose, created_at);

CREATE TABLE verified_emails (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    verified_at BIGINT NOT NULL
);

CREATE TABLE user_devices (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the device cookie
    device     TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (user_id, device)
);
