-- Warning kept on the campaign: `served`
-- says the campaign's bot is an administrator of its chat (an `is_admin`
-- row in `bot_chats`). bots/list.json then finds the account's unserved
-- live campaigns in a partial index of the few there are, where it probed
-- the cache once per live campaign of the account (with 198 campaigns,
-- list.json ran at 60% of its rate without any).
--
-- Triggers keep it, so that every writer of either table does: a campaign
-- computes it when it is created or moves to another bot or chat; a change
-- of the cache recomputes it for the campaigns of the changed (bot, chat)
-- pairs. The two sides exclude each other on the bot's advisory lock of
-- class 4, held until commit, and read after taking it: a campaign being
-- created takes it exclusively, so it waits for every cache change of its
-- bot in flight and reads what they committed, or is waited for and then
-- seen by them. Cache changes take it shared: batches of intake never wait
-- for each other on it (two changes of the same pair already queue on the
-- cache row).
ALTER TABLE campaigns ADD COLUMN served BOOLEAN NOT NULL DEFAULT false;

CREATE FUNCTION usher_campaign_served() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4, (NEW.bot_id % 2147483647)::int);
    NEW.served := EXISTS (SELECT 1 FROM bot_chats b
                          WHERE b.bot_id = NEW.bot_id AND b.chat_id = NEW.chat_id AND b.is_admin);
    RETURN NEW;
END $$;

CREATE TRIGGER campaigns_served BEFORE INSERT OR UPDATE OF bot_id, chat_id ON campaigns
    FOR EACH ROW EXECUTE FUNCTION usher_campaign_served();

-- For a statement on bot_chats: the (bot, chat) pairs it changed, from its
-- transition tables (new rows for INSERT, old ones for DELETE, both for
-- UPDATE, as a chat's migration moves rows to another id), then the served
-- flag of their campaigns, written only where it changes.
CREATE FUNCTION usher_bot_chats_served() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bots bigint[];
    chats bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(bot_id), array_agg(chat_id) INTO bots, chats FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(bot_id), array_agg(chat_id) INTO bots, chats FROM old_rows;
    ELSE
        SELECT array_agg(bot_id), array_agg(chat_id) INTO bots, chats
        FROM (SELECT bot_id, chat_id FROM new_rows UNION SELECT bot_id, chat_id FROM old_rows) AS r;
    END IF;
    IF bots IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(4, (b % 2147483647)::int)
    FROM (SELECT DISTINCT b FROM unnest(bots) AS t(b) ORDER BY b) AS locked;
    UPDATE campaigns c SET served = s.served
    FROM (SELECT k.id, EXISTS (SELECT 1 FROM bot_chats b
                               WHERE b.bot_id = k.bot_id AND b.chat_id = k.chat_id AND b.is_admin) AS served
          FROM campaigns k
          WHERE (k.bot_id, k.chat_id) IN (SELECT * FROM unnest(bots, chats))) AS s
    WHERE c.id = s.id AND c.served IS DISTINCT FROM s.served;
    RETURN NULL;
END $$;

CREATE TRIGGER bot_chats_served_insert AFTER INSERT ON bot_chats
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usher_bot_chats_served();
CREATE TRIGGER bot_chats_served_update AFTER UPDATE ON bot_chats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usher_bot_chats_served();
CREATE TRIGGER bot_chats_served_delete AFTER DELETE ON bot_chats
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usher_bot_chats_served();

-- Nothing writes either table while migrations run (`usher migrate` runs
-- before `serve`); the lock makes sure of it for this statement.
LOCK TABLE campaigns, bot_chats IN SHARE MODE;
UPDATE campaigns c SET served = EXISTS (SELECT 1 FROM bot_chats b
                                        WHERE b.bot_id = c.bot_id AND b.chat_id = c.chat_id AND b.is_admin);

-- The campaigns whose bot is not an administrator of their chat, for the
-- Warning of bots/list.json and of the metrics (which leave deleted ones
-- out). The predicate names no status: the statements compare the status
-- with a parameter, which a partial index's predicate could not be proved
-- from in a generic plan.
CREATE INDEX campaigns_unserved ON campaigns (account_id, bot_id, status) WHERE NOT served;
