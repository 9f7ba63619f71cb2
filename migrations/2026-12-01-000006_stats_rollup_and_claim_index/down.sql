DROP TABLE stats_days;
DROP INDEX outbox_pending_postbacks_by_lead;
