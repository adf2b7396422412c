-- 0009 account security: disabled accounts, TOTP two-factor sign-in and recovery codes.
-- Portable subset: see 0001. Append-only.

-- When an admin disabled the account (NULL: active). A disabled account cannot sign in,
-- and its access tokens stop working on the next request.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
-- The TOTP secret (base32, RFC 6238 SHA-1, 6 digits, 30 s). Set by setup; in use only once
-- totp_enabled_at is set (the user confirmed a code).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
-- The last accepted time step (Unix seconds / 30): a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- Code attempts in the current rate-limit window (started at totp_window_start, Unix ms).
ALTER TABLE users ADD COLUMN totp_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_window_start BIGINT;

-- One-time recovery codes, shown once at enrolment; only their SHA-256 (hex) is stored.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT recovery_codes_user_code_key UNIQUE (user_id, code_hash)
);
