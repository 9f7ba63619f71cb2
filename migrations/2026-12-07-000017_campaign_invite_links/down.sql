DROP TABLE campaign_links;
ALTER TABLE campaigns DROP COLUMN link_mode;
ALTER TABLE journal DROP COLUMN link_id;
