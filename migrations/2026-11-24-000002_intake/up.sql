-- The bot's last known status in each (non-private) chat. The admin-chat
-- cache is the rows with is_admin. A row stays when the bot loses its
-- rights, so that an older update arriving late cannot bring the chat back:
-- a state only replaces one that is older by (state_date, state_update_id).
CREATE TABLE bot_chats (
    bot_id           BIGINT NOT NULL REFERENCES bots (id),
    chat_id          BIGINT NOT NULL,
    title            TEXT NOT NULL,
    chat_type        TEXT NOT NULL,
    is_admin         BOOLEAN NOT NULL,
    status           TEXT NOT NULL,
    -- The bot's ChatMember object as Telegram sent it (its rights).
    member           JSONB NOT NULL,
    state_date       TIMESTAMPTZ NOT NULL,
    state_update_id  BIGINT NOT NULL,
    PRIMARY KEY (bot_id, chat_id)
);

-- Every update received, exactly once per (bot, update_id), as received.
CREATE TABLE updates (
    bot_id       BIGINT NOT NULL REFERENCES bots (id),
    update_id    BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    -- json, not jsonb: kept exactly as received, and cheaper to write.
    payload      JSON NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, update_id)
);

-- Joins, leaves and join requests (from chat_member and chat_join_request):
-- one per update. Read as "events of chat X in time range Y".
CREATE TABLE member_events (
    bot_id            BIGINT NOT NULL,
    update_id         BIGINT NOT NULL,
    chat_id           BIGINT NOT NULL,
    user_id           BIGINT NOT NULL,
    username          TEXT,
    first_name        TEXT,
    last_name         TEXT,
    event             TEXT NOT NULL,
    old_status        TEXT,
    new_status        TEXT,
    actor_id          BIGINT,
    at                TIMESTAMPTZ NOT NULL,
    invite_link       TEXT,
    invite_link_name  TEXT,
    via_join_request  BOOLEAN NOT NULL,
    -- One event per update; the update itself is in `updates`.
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX member_events_chat_at ON member_events (chat_id, at);
