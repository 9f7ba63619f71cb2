-- The `total` of leads/list.json and journal/list.json without counting a
-- million rows on every page: counters that intake keeps in the transaction
-- that adds the leads, changes their status or adds the journal events (the
-- only writer of those tables). Pages filtered by what a counter does not
-- hold (a time range; for the journal also a bot or a chat) still count
-- their rows.

-- Leads per campaign and status. A row is as hot as the campaign's
-- stats_days row of the day, and is written with it, last in the
-- transaction, so that its lock is held for little more than the commit.
CREATE TABLE lead_counts (
    campaign_id BIGINT NOT NULL,
    status      SMALLINT NOT NULL,
    account_id  BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, status)
);
CREATE INDEX lead_counts_by_account ON lead_counts (account_id);

-- Journal events per account, action and paid, in 64 shards: every member
-- event of an account's bots adds to the same few counters, so each
-- connection adds to a shard of its own (its backend pid modulo 64), and
-- concurrent intake transactions do not queue on one row lock. A read sums
-- the shards.
CREATE TABLE journal_counts (
    account_id BIGINT NOT NULL,
    action     TEXT NOT NULL,
    paid       BOOLEAN NOT NULL,
    shard      SMALLINT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (account_id, action, paid, shard)
);

-- Writers wait until this migration commits, so the counts start exact.
-- An instance of an earlier version keeps no counters: replace them all
-- at once, as for stats_days.
LOCK TABLE leads, journal IN SHARE MODE;
INSERT INTO lead_counts (campaign_id, status, account_id, n)
SELECT campaign_id, status, account_id, count(*) FROM leads GROUP BY campaign_id, status, account_id;
INSERT INTO journal_counts (account_id, action, paid, shard, n)
SELECT account_id, action, lead_id <> 0, 0, count(*) FROM journal GROUP BY 1, 2, 3;
