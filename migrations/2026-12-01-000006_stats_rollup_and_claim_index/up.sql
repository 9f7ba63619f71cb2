-- stats/days.json from a rollup instead of counting leads and their history
-- on every call. Intake adds to it in the transaction that writes the leads
-- and their history, one multi-row upsert per batch in (campaign_id, day)
-- order, so that racing batches lock its rows in one order.
CREATE TABLE stats_days (
    campaign_id  BIGINT NOT NULL,
    -- The UTC day.
    day          DATE NOT NULL,
    account_id   BIGINT NOT NULL,
    -- Leads whose start_time falls on the day.
    starts       BIGINT NOT NULL DEFAULT 0,
    -- History entries of the day with status 1 (hold), 2 (approve) and 3 or 4.
    holds        BIGINT NOT NULL DEFAULT 0,
    confirms     BIGINT NOT NULL DEFAULT 0,
    unsubs       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, day)
);
CREATE INDEX stats_days_by_account ON stats_days (account_id, day);

INSERT INTO stats_days (campaign_id, day, account_id, starts, holds, confirms, unsubs)
SELECT campaign_id, day, account_id, sum(starts), sum(holds), sum(confirms), sum(unsubs)
FROM (
    SELECT campaign_id, (start_time AT TIME ZONE 'UTC')::date AS day, account_id,
           1 AS starts, 0 AS holds, 0 AS confirms, 0 AS unsubs
    FROM leads
    UNION ALL
    SELECT campaign_id, (at AT TIME ZONE 'UTC')::date, account_id,
           0, (status = 1)::int, (status = 2)::int, (status IN (3, 4))::int
    FROM lead_history
) AS facts
GROUP BY campaign_id, day, account_id;

-- The postback claim's "oldest pending postback of its lead", in index order.
CREATE INDEX outbox_pending_postbacks_by_lead ON outbox (lead_id, id)
    WHERE state = 'pending' AND kind = 'postback';
