-- 0026 retention: indexes the daily prune (bb_store::retention) finds old rows by, so each
-- bounded batch reads an index range instead of scanning the table. Portable subset: see
-- 0001. Append-only.

-- finished jobs by when they finished
CREATE INDEX jobs_finished_at_idx ON jobs (finished_at);
-- notifications by age (0003 indexed them by user and read state only)
CREATE INDEX notifications_created_at_idx ON notifications (created_at);
-- finished webhook deliveries by age, and pending ones for the notifications' guard
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (status, created_at);
-- ended refresh tokens by expiry
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);
-- handled Stripe events by when they arrived
CREATE INDEX stripe_events_received_at_idx ON stripe_events (received_at);
-- finished runs by when they finished (their progress events go after the window)
CREATE INDEX backtest_runs_finished_at_idx ON backtest_runs (finished_at);
