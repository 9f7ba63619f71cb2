DROP TABLE member_events;
DROP TABLE updates;
DROP TABLE bot_chats;
