-- A campaign tracks one chat through one bot. Status 0 active, 1 paused,
-- 2 deleted (soft).
CREATE TABLE campaigns (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    bot_id      BIGINT NOT NULL REFERENCES bots (id),
    chat_id     BIGINT NOT NULL,
    -- The chat as the bot's admin-chat cache had it at creation.
    chat_title  TEXT NOT NULL,
    chat_type   TEXT NOT NULL,
    code        TEXT NOT NULL,
    welcome     TEXT NOT NULL,
    status      SMALLINT NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_code_unique UNIQUE (code)
);

-- One non-deleted campaign per chat and account, whatever the bot.
CREATE UNIQUE INDEX campaigns_one_per_chat ON campaigns (account_id, chat_id) WHERE status <> 2;
-- Warning and restore read the live campaigns of a bot.
CREATE INDEX campaigns_live_by_bot ON campaigns (bot_id, chat_id) WHERE status <> 2;
