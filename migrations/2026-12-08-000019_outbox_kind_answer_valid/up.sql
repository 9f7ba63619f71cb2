-- Validates the kind check of migration 18: a scan under SHARE UPDATE
-- EXCLUSIVE, which lets every read and write of the outbox go on.
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_kind_check;
