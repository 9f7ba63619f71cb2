DROP TABLE campaign_links;
ALTER TABLE campaigns DROP COLUMN link_mode;
