//! Bots: our records of Telegram bots connected to accounts.

use chrono::{DateTime, Utc};

use crate::{AccountId, BotId, BotToken, ChatId, TgBotId};

/// What `getMe` tells about a bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotProfile {
    /// Telegram's id of the bot.
    pub tg: TgBotId,
    /// The bot's username, without `@`.
    pub username: String,
    /// The bot's first name.
    pub first_name: String,
    /// The bot's last name, if it has one.
    pub last_name: Option<String>,
}

impl BotProfile {
    /// The display name: first name, then the last name after a space.
    pub fn name(&self) -> String {
        match self.last_name.as_deref() {
            Some(last) if !last.is_empty() => format!("{} {}", self.first_name, last),
            _ => self.first_name.clone(),
        }
    }
}

/// A bot's status as `bots/list.json` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotStatus {
    /// Connected, and not Warning.
    Active,
    /// Connected, but not an administrator in a chat one of its campaigns tracks.
    Warning,
    /// Soft-deleted.
    Deleted,
}

impl BotStatus {
    /// The number the API shows: 0, 1 or 3 (2 is never used).
    pub fn code(self) -> u8 {
        match self {
            BotStatus::Active => 0,
            BotStatus::Warning => 1,
            BotStatus::Deleted => 3,
        }
    }
}

/// One row of `bots/list.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotSummary {
    /// Our id.
    pub id: BotId,
    /// Telegram's id.
    pub tg: TgBotId,
    /// Username from the last `getMe`.
    pub username: String,
    /// Display name from the last `getMe`.
    pub name: String,
    /// Current status, computed when read.
    pub status: BotStatus,
    /// When the record was first made (kept on restore).
    pub created: DateTime<Utc>,
}

/// A whole bot record, token included, as the lifecycle needs it.
#[derive(Debug, Clone)]
pub struct BotRecord {
    /// Our id.
    pub id: BotId,
    /// The account holding the record.
    pub account: AccountId,
    /// Telegram's id.
    pub tg: TgBotId,
    /// The latest token given for this bot.
    pub token: BotToken,
    /// Username from the last `getMe`.
    pub username: String,
    /// Display name from the last `getMe`.
    pub name: String,
    /// Whether the record is soft-deleted.
    pub deleted: bool,
    /// When the record was first made.
    pub created: DateTime<Utc>,
}

/// One chat of a bot's admin-chat cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminChat {
    /// Telegram's chat id.
    pub id: ChatId,
    /// The chat's title as last reported.
    pub title: String,
    /// Telegram's chat type: `channel`, `supergroup` or `group`.
    pub kind: String,
}
