DROP INDEX outbox_postbacks_due;
DROP INDEX outbox_postbacks_by_account;
ALTER TABLE outbox DROP COLUMN url, DROP COLUMN report, DROP COLUMN target,
    DROP COLUMN http_code, DROP COLUMN error_kind;
ALTER TABLE accounts DROP COLUMN pb_wait, DROP COLUMN pb_hold, DROP COLUMN pb_approve,
    DROP COLUMN pb_cancel, DROP COLUMN pb_trash;
ALTER TABLE campaigns DROP COLUMN pb_wait, DROP COLUMN pb_hold, DROP COLUMN pb_approve,
    DROP COLUMN pb_cancel, DROP COLUMN pb_trash;
