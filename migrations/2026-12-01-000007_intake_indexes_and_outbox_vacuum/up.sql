-- Two unique indexes that intake paid for on every member event and that no
-- read uses. member_events rows are written only for updates that their own
-- `updates` row (primary key (bot_id, update_id)) just proved new, in the
-- same transaction, so that key already allows one event per update. Journal
-- ids come from their sequence and are read only through
-- journal_by_account (account_id, id DESC). Two index entries fewer per
-- member event, where pgbench's reference row has one in all.
ALTER TABLE member_events DROP CONSTRAINT member_events_pkey;
ALTER TABLE journal DROP CONSTRAINT journal_pkey;

-- The outbox is a queue: most of its rows change state within seconds. Keep
-- its statistics and its partial indexes current from the first thousand
-- changes on, not from a fifth of the table (the claims' plans depend on
-- how many rows are pending).
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 2000,
                        autovacuum_analyze_scale_factor = 0.0, autovacuum_analyze_threshold = 1000);
