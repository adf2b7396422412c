-- 0014 paper baskets: one paper run trading several markets from one cash balance, as a
-- basket backtest does. Portable subset: see 0001. Append-only.

-- JSON {"max_allocation_pct": …, "members": [{"symbol": …, "dataset_id": …}, …]} for a
-- basket (its first member's dataset is the run's dataset_id); NULL for one market. A
-- basket has its own schedule (kind paper_tick), live or replayed.
ALTER TABLE paper_runs ADD COLUMN basket TEXT;
