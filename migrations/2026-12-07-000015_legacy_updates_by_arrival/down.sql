DROP INDEX CONCURRENTLY IF EXISTS updates_by_received_at;
