-- 0020 billing (P12): a user's Stripe customer, their subscriptions as last read from
-- Stripe's API, and every Stripe event received (the id is the idempotency key: Stripe
-- delivers at least once and in any order). Portable subset: see 0001. Append-only.

CREATE TABLE billing_customers (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE billing_subscriptions (
    -- `sub_…`
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    -- Stripe's status: active, trialing, past_due, unpaid, canceled, incomplete, ...
    status      TEXT NOT NULL,
    price_id    TEXT NOT NULL,
    -- the plan its price buys (free when the price is not one we sell)
    plan        TEXT NOT NULL,
    current_period_end   BIGINT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    -- when we first read it past_due (the grace period runs from here)
    past_due_since BIGINT,
    -- when the request that read this state from Stripe started: an older read never
    -- overwrites a newer one
    fetched_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX billing_subscriptions_user_idx ON billing_subscriptions (user_id);
CREATE INDEX billing_subscriptions_status_idx ON billing_subscriptions (status);

CREATE TABLE stripe_events (
    -- `evt_…`
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    -- Stripe's `created` (Unix seconds)
    created      BIGINT NOT NULL,
    livemode     INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    -- set once handled: applied | ignored | stale | no_user | unreadable
    processed_at BIGINT,
    outcome      TEXT,
    -- the last failure to handle it (Stripe retries; the next delivery tries again)
    error        TEXT
);
