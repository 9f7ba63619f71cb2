-- bots/add and bots/del call Telegram outside any transaction (issue 22,
-- item 10). While one of them works on a Telegram bot, it holds that bot's
-- claim: a row here, taken before and dropped after, that others wait for
-- without holding a connection. A claim past expires_at (its holder died)
-- may be taken over.
CREATE TABLE bot_claims (
    tg bigint PRIMARY KEY,
    holder bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

-- The secret an add is giving Telegram, before the add commits: deliveries
-- presenting it are answered 503 (come again) rather than 401, since
-- Telegram may use it as soon as setWebhook has taken it.
ALTER TABLE bots ADD COLUMN pending_secret_digest bytea;
