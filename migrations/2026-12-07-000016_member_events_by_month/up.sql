-- Member events in one partition per UTC month of the event's own date
-- (`at`, the date of its update; issue 24). Old months go by dropping their
-- partition (the service's upkeep), never by DELETE. As before (migration
-- 7), the table has no key: an event is written only for an update that
-- its raw_updates row, in the same transaction, just proved new.
--
-- Runs beside a live older instance. The table before this one is renamed
-- `member_events_legacy` and the partitioned table takes its name and its
-- columns, so an older instance's INSERT (columns named, no ON CONFLICT)
-- and its chat-migration UPDATE land in the new table; nothing reads
-- member events back. The renames are changes of the catalog only: each
-- takes its lock for a moment (the runner's lock_timeout bounds the wait)
-- and rewrites nothing. The upkeep empties the legacy table once its
-- newest event is older than the retention.
-- squawk-ignore renaming-table
ALTER TABLE member_events RENAME TO member_events_legacy;
-- squawk-ignore renaming-object
ALTER INDEX member_events_chat_at RENAME TO member_events_legacy_chat_at;

-- The same columns, by construction (NOT NULL and defaults included).
CREATE TABLE member_events (LIKE member_events_legacy INCLUDING DEFAULTS) PARTITION BY RANGE (at);

CREATE INDEX member_events_chat_at ON member_events (chat_id, at);

CREATE TABLE member_events_default PARTITION OF member_events DEFAULT;

-- Last month through two months ahead, as the upkeep makes them.
DO $$
DECLARE
    month date;
BEGIN
    FOR month IN
        SELECT generate_series(this - interval '1 month', this + interval '2 months', interval '1 month')::date
        FROM (SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS this) AS t
    LOOP
        EXECUTE format(
            'CREATE TABLE member_events_p%s PARTITION OF member_events FOR VALUES FROM (%L) TO (%L)',
            to_char(month, 'YYYYMM'), month || ' 00:00:00+00',
            (month + interval '1 month')::date || ' 00:00:00+00');
    END LOOP;
END
$$;
