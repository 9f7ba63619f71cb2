-- The upkeep asks when the newest row of `updates` (the raw updates kept
-- from before partitioning) arrived, to empty it once that is past the
-- retention. Without an index that reads the whole table every round.
-- Built concurrently: older instances write `updates` during the deploy.
CREATE INDEX CONCURRENTLY IF NOT EXISTS updates_by_received_at ON updates (received_at);
