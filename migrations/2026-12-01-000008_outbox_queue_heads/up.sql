-- Claims read only the head of each bot's and each target's queue. A queue
-- is split by whether an item is leased: the unleased part in the order
-- items fall due, and the leased part, a few items per bot or target, for
-- the caps. The claim used to rank every pending item of its kind, which
-- cost a second and more a claim once tens of thousands were pending.
CREATE INDEX outbox_welcome_queue ON outbox (bot_id, run_at, id)
    WHERE state = 'pending' AND kind = 'welcome' AND leased_until IS NULL;
CREATE INDEX outbox_welcome_leases ON outbox (bot_id)
    WHERE state = 'pending' AND kind = 'welcome' AND leased_until IS NOT NULL;
CREATE INDEX outbox_postback_queue ON outbox (target, run_at, id)
    WHERE state = 'pending' AND kind = 'postback' AND leased_until IS NULL;
CREATE INDEX outbox_postback_leases ON outbox (target)
    WHERE state = 'pending' AND kind = 'postback' AND leased_until IS NOT NULL;

-- Superseded by the queues above; no other statement reads them.
DROP INDEX outbox_due;
DROP INDEX outbox_postbacks_due;

-- Every partial index of the outbox now names the kind of work, so that a
-- statement that finds items by id (`state = 'pending'` and nothing of the
-- kind: a claim's lock step, an outcome record) can only use the primary
-- key. With the estimates of a table analyzed while it was nearly empty,
-- the planner took this index for a tiny one and scanned every pending
-- item once per item claimed or recorded, seconds a statement once
-- thousands were pending.
DROP INDEX outbox_pending_by_recipient;
CREATE INDEX outbox_pending_welcomes_by_recipient ON outbox (bot_id, recipient)
    WHERE state = 'pending' AND kind = 'welcome';
