DROP TABLE bot_chats;
DROP TABLE bots;
DROP TABLE accounts;
