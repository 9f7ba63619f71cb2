DROP TABLE campaign_confirms;
