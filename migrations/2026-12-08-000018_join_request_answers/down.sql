DELETE FROM outbox WHERE kind = 'answer';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('welcome', 'postback'));
ALTER TABLE stats_days DROP COLUMN declines;
ALTER TABLE stats_days DROP COLUMN approvals;
ALTER TABLE outbox DROP COLUMN answer;
ALTER TABLE outbox DROP COLUMN requested_at;
ALTER TABLE campaigns DROP COLUMN join_policy;
