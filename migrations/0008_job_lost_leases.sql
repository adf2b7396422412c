-- 0008 jobs that kill their worker: count how often a running job's lease ran out (its
-- worker died or hung while running it). The reaper dead-letters a job whose worker died
-- twice instead of handing it to a third worker, so one bad job cannot crash-loop the fleet.
-- Portable subset: see 0001. Append-only.

ALTER TABLE jobs ADD COLUMN lost_leases BIGINT NOT NULL DEFAULT 0;
