-- Raw updates in one partition per UTC day of the update's own `date`
-- (issue 24). A redelivery repeats that date exactly, so the key of
-- exactly-once, which on a partitioned table must hold the partition key,
-- is (bot, update_id, date): the second copy meets the first in the same
-- partition whatever day it arrives on. An update without a date (a kind
-- usher does not ask for) is stored under 1970-01-01, in the catch-all
-- partition. Old days go by dropping their partition (the service's
-- upkeep, crates/domain/src/retention.rs), never by DELETE.
--
-- `updates`, the table before this one, stays as it is: instances of the
-- earlier version keep writing it during a rolling deploy, and this
-- version's intake also looks there before it takes an update as new. The
-- upkeep empties it once its newest row is older than the retention.
--
-- Runs beside a live older instance: new tables only, no lock on any
-- table that exists.
CREATE TABLE raw_updates (
    bot_id       BIGINT NOT NULL REFERENCES bots (id),
    update_id    BIGINT NOT NULL,
    date         TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL,
    -- json, not jsonb: kept exactly as received, and cheaper to write.
    payload      JSON NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, update_id, date)
) PARTITION BY RANGE (date);

CREATE TABLE raw_updates_default PARTITION OF raw_updates DEFAULT;

-- Yesterday through a week ahead, as the upkeep makes them, so that intake
-- has its days before the first upkeep round.
DO $$
DECLARE
    day date;
BEGIN
    FOR day IN
        SELECT generate_series(today - 1, today + 7, interval '1 day')::date
        FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS today) AS t
    LOOP
        EXECUTE format(
            'CREATE TABLE raw_updates_p%s PARTITION OF raw_updates FOR VALUES FROM (%L) TO (%L)',
            to_char(day, 'YYYYMMDD'), day || ' 00:00:00+00', (day + 1) || ' 00:00:00+00');
    END LOOP;
END
$$;
