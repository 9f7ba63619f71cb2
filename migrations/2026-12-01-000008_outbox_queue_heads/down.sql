DROP INDEX outbox_pending_welcomes_by_recipient;
CREATE INDEX outbox_pending_by_recipient ON outbox (bot_id, recipient) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (run_at) WHERE state = 'pending';
CREATE INDEX outbox_postbacks_due ON outbox (run_at) WHERE state = 'pending' AND kind = 'postback';
DROP INDEX outbox_welcome_queue;
DROP INDEX outbox_welcome_leases;
DROP INDEX outbox_postback_queue;
DROP INDEX outbox_postback_leases;
