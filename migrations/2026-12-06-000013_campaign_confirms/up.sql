-- The `confirms` of camp/list.json and camp/get.json (leads of a campaign
-- that reached approve at least once) without counting its leads on every
-- call (issue 22, item 11). Kept by intake in the statement that keeps
-- lead_counts, in the transaction that sets a lead's first join_time
-- (which is never cleared). `starts` and `unsubs` come from lead_counts.
CREATE TABLE campaign_confirms (
    campaign_id BIGINT PRIMARY KEY,
    n           BIGINT NOT NULL
);

-- Writers wait until this migration commits, so the counts start exact.
LOCK TABLE leads IN SHARE MODE;
INSERT INTO campaign_confirms (campaign_id, n)
SELECT campaign_id, count(*) FROM leads WHERE join_time IS NOT NULL GROUP BY campaign_id;
