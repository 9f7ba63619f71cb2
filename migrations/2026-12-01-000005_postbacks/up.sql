-- Postbacks (subscribers.md, "Postbacks" and "Profile"): a campaign's five
-- templates, an account's five global ones, and postbacks as outbox items
-- carrying the filled URL, the status they report, the target they count
-- against, and the last try's HTTP status and error.

ALTER TABLE campaigns
    ADD COLUMN pb_wait    TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_hold    TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_approve TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_cancel  TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_trash   TEXT NOT NULL DEFAULT '';

ALTER TABLE accounts
    ADD COLUMN pb_wait    TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_hold    TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_approve TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_cancel  TEXT NOT NULL DEFAULT '',
    ADD COLUMN pb_trash   TEXT NOT NULL DEFAULT '';

ALTER TABLE outbox
    -- The URL as filled, the lead status it reports (0-4), and its target
    -- (host:port), the key of the per-target concurrency limit.
    ADD COLUMN url          TEXT NOT NULL DEFAULT '',
    ADD COLUMN report       SMALLINT NOT NULL DEFAULT 0,
    ADD COLUMN target       TEXT NOT NULL DEFAULT '',
    -- The last try's HTTP status (0: no answer) and error word.
    ADD COLUMN http_code    INT NOT NULL DEFAULT 0,
    ADD COLUMN error_kind   TEXT NOT NULL DEFAULT ''
        CHECK (error_kind IN ('', 'timeout', 'connect', 'blocked', 'http'));

-- postbacks/list.json: newest first per account.
CREATE INDEX outbox_postbacks_by_account ON outbox (account_id, id DESC) WHERE kind = 'postback';
-- Claiming: due postbacks, and the leased ones per target.
CREATE INDEX outbox_postbacks_due ON outbox (run_at) WHERE state = 'pending' AND kind = 'postback';
