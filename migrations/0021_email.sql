-- 0021 email (P12): per-user preferences per notification kind and channel, the email
-- outbox (written in the notification's transaction; sent by `email_delivery` jobs), and
-- the install's key that signs unsubscribe links (present once a process that can send
-- email has started). Portable subset: see 0001. Append-only.

CREATE TABLE notification_preferences (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    -- off | instant | daily
    email      TEXT NOT NULL,
    -- 1: sent to the user's webhook endpoints (those that take the kind)
    webhook    INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE emails (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- a notification kind, or `digest`
    kind            TEXT NOT NULL,
    notification_id TEXT,
    -- queued | sent | failed | digest (held for the next digest) | digested (sent in one)
    status          TEXT NOT NULL,
    -- the digest email that carried it
    digest_id       TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    subject         TEXT NOT NULL DEFAULT '',
    -- the words and link of an email that tells of no notification (account emails)
    body            TEXT NOT NULL DEFAULT '',
    link            TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT
);

CREATE INDEX emails_user_idx ON emails (user_id, created_at);
CREATE INDEX emails_status_idx ON emails (status, created_at);

CREATE TABLE mail_keys (
    id         INTEGER PRIMARY KEY,
    key_hex    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
