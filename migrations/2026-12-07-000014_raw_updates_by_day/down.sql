DROP TABLE raw_updates;
