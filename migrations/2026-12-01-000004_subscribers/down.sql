DROP TABLE outbox;
DROP TABLE journal;
DROP TABLE lead_history;
DROP TABLE leads;
ALTER TABLE campaigns DROP COLUMN button_text, DROP COLUMN button_url, DROP COLUMN unsub_window;
