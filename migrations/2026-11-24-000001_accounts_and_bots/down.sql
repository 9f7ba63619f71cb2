DROP TABLE bots;
DROP TABLE accounts;
