//! `/api/journal/*.json`: what happens in the account's bots' chats.

pub mod list;
