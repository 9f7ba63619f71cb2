-- Join-request policies (issue 26). A campaign's `join_policy` says what
-- usher does with a join request for its chat: 0 manual (a person decides,
-- as before), 1 approve, 2 after_welcome (greet through the request's
-- user_chat_id, then approve), 3 decline.
--
-- The outbox gets a third kind of work, `answer`: approveChatJoinRequest
-- (`answer` 1) or declineChatJoinRequest (2) of the lead's request in the
-- campaign's chat. A welcome that greets a requester through user_chat_id
-- carries the request's date (`requested_at`): it may go for five minutes
-- from it, until the request is decided.
--
-- stats_days counts the answers usher gave (`approvals`, `declines`), on
-- the day Telegram took them.
--
-- Runs beside a live older instance: every column is nullable or has a
-- constant default (a change of the catalog only; an older instance's
-- inserts leave them out, and its claims read only their own kinds). The
-- kind check is replaced by a wider one, added NOT VALID (no scan under
-- the lock) and validated by the next migration.
ALTER TABLE campaigns ADD COLUMN join_policy smallint NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD COLUMN requested_at timestamptz;

ALTER TABLE outbox ADD COLUMN answer smallint;

ALTER TABLE stats_days ADD COLUMN approvals bigint NOT NULL DEFAULT 0;

ALTER TABLE stats_days ADD COLUMN declines bigint NOT NULL DEFAULT 0;

-- squawk-ignore ban-drop-constraint
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;

ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('welcome', 'postback', 'answer')) NOT VALID;
