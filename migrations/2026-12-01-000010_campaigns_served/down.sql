DROP INDEX campaigns_unserved;
DROP TRIGGER bot_chats_served_delete ON bot_chats;
DROP TRIGGER bot_chats_served_update ON bot_chats;
DROP TRIGGER bot_chats_served_insert ON bot_chats;
DROP FUNCTION usher_bot_chats_served();
DROP TRIGGER campaigns_served ON campaigns;
DROP FUNCTION usher_campaign_served();
ALTER TABLE campaigns DROP COLUMN served;
