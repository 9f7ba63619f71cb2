ALTER TABLE bots DROP COLUMN pending_secret_digest;
DROP TABLE bot_claims;
