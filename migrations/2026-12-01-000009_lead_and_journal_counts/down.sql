DROP TABLE journal_counts;
DROP TABLE lead_counts;
