-- 0019 webhooks (P12): a user's endpoints, each notification's deliveries to them (the
-- outbox, written in the notification's transaction) and every attempt made. Portable
-- subset: see 0001. Append-only.

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON array of notification kinds; [] = every kind
    kinds       TEXT NOT NULL,
    -- `whsec_` + base64; the previous one keeps signing until previous_secret_until
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until BIGINT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_user_id_idx ON webhook_endpoints (user_id);

CREATE TABLE webhook_deliveries (
    -- also the `webhook-id` header: the same on every attempt and on a replay
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    notification_id TEXT,
    payload         TEXT NOT NULL,
    -- pending | delivered | failed
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);

CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    status           BIGINT,
    duration_ms      BIGINT NOT NULL,
    error            TEXT,
    response_excerpt TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
