//! `/api/bots/*.json`.

pub mod add;
pub mod chats;
pub mod del;
pub mod list;
