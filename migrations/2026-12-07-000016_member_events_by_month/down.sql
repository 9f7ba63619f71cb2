DROP TABLE member_events;
ALTER INDEX member_events_legacy_chat_at RENAME TO member_events_chat_at;
ALTER TABLE member_events_legacy RENAME TO member_events;
