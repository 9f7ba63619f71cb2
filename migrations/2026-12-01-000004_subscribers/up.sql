-- The subscriber flow (subscribers.md): the welcome's button and the unsub
-- window of a campaign, leads with their history, the journal of what
-- happens in the bots' chats, and the outbox of outgoing work.

ALTER TABLE campaigns
    ADD COLUMN button_text  TEXT NOT NULL DEFAULT '',
    ADD COLUMN button_url   TEXT NOT NULL DEFAULT '',
    ADD COLUMN unsub_window BIGINT NOT NULL DEFAULT 0 CHECK (unsub_window >= 0);

-- One subscriber in one campaign, ever.
CREATE TABLE leads (
    id              BIGSERIAL PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id),
    subscriber      BIGINT NOT NULL,
    username        TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    click           TEXT NOT NULL DEFAULT '',
    status          SMALLINT NOT NULL CHECK (status BETWEEN 0 AND 4),
    start_time      TIMESTAMPTZ NOT NULL,
    join_time       TIMESTAMPTZ,
    updated         TIMESTAMPTZ NOT NULL,
    -- The (date, update_id) of the last event applied: older ones change nothing.
    last_date       BIGINT NOT NULL,
    last_update_id  BIGINT NOT NULL,
    CONSTRAINT leads_one_per_subscriber UNIQUE (campaign_id, subscriber)
);
-- leads/list.json: newest first, by account, or by campaign and status.
CREATE INDEX leads_by_account ON leads (account_id, id DESC);
CREATE INDEX leads_by_campaign_status ON leads (campaign_id, status, id DESC);
-- stats/days.json: leads started per day.
CREATE INDEX leads_by_campaign_start ON leads (campaign_id, start_time);
CREATE INDEX leads_by_account_start ON leads (account_id, start_time);

-- Every status a lead took, in order; stats/days counts them per day.
CREATE TABLE lead_history (
    id           BIGSERIAL PRIMARY KEY,
    lead_id      BIGINT NOT NULL REFERENCES leads (id),
    account_id   BIGINT NOT NULL,
    campaign_id  BIGINT NOT NULL,
    status       SMALLINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX lead_history_by_lead ON lead_history (lead_id, id);
CREATE INDEX lead_history_by_campaign_at ON lead_history (campaign_id, at) INCLUDE (status);
CREATE INDEX lead_history_by_account_at ON lead_history (account_id, at) INCLUDE (status);

-- Joins, leaves, kicks, join requests, /start and blocks in the account's
-- bots' chats, attributed to a lead when they belong to one.
CREATE TABLE journal (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL,
    bot_id       BIGINT NOT NULL,
    chat_id      BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    username     TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL CHECK (action IN ('join', 'leave', 'kick', 'request', 'start', 'block')),
    campaign_id  BIGINT NOT NULL DEFAULT 0,
    lead_id      BIGINT NOT NULL DEFAULT 0,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX journal_by_account ON journal (account_id, id DESC);

-- Outgoing work, written in the transaction of the change that causes it.
-- A worker claims due items (state pending, run_at passed, no lease in
-- force) with FOR UPDATE SKIP LOCKED and leases them; an item whose worker
-- died is due again when its lease ends.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('welcome', 'postback')),
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
    account_id   BIGINT NOT NULL,
    bot_id       BIGINT NOT NULL,
    campaign_id  BIGINT NOT NULL,
    lead_id      BIGINT NOT NULL REFERENCES leads (id),
    -- The person a welcome goes to.
    recipient    BIGINT NOT NULL,
    attempts     INT NOT NULL DEFAULT 0,
    run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    leased_until TIMESTAMPTZ,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at      TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (run_at) WHERE state = 'pending';
CREATE INDEX outbox_pending_by_recipient ON outbox (bot_id, recipient) WHERE state = 'pending';
CREATE INDEX outbox_by_lead ON outbox (lead_id, id);
