//! Campaigns: one chat tracked through one bot.

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::{AccountId, BotId, CampaignId, ChatId};

/// A campaign's status as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    /// Tracking.
    Active,
    /// Paused: still tracks its chat (it stays out of `bots/chats.json` and
    /// counts for Warning).
    Paused,
    /// Soft-deleted.
    Deleted,
}

impl CampaignStatus {
    /// 0, 1 or 2.
    pub fn code(self) -> i16 {
        match self {
            CampaignStatus::Active => 0,
            CampaignStatus::Paused => 1,
            CampaignStatus::Deleted => 2,
        }
    }

    /// The status of a stored code; unknown codes read as deleted.
    pub fn from_code(code: i16) -> Self {
        match code {
            0 => CampaignStatus::Active,
            1 => CampaignStatus::Paused,
            _ => CampaignStatus::Deleted,
        }
    }
}

/// A campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Our id.
    pub id: CampaignId,
    /// The account owning it.
    pub account: AccountId,
    /// Short unique `[A-Za-z0-9]` code for `t.me/<bot>?start=<code>-<click>`.
    pub code: String,
    /// The bot it tracks through.
    pub bot: BotId,
    /// That bot's username.
    pub bot_username: String,
    /// The tracked chat.
    pub chat: ChatId,
    /// The chat's title.
    pub chat_title: String,
    /// The welcome text (up to 4096 characters).
    pub welcome: String,
    /// Active, paused or deleted.
    pub status: CampaignStatus,
    /// When it was made.
    pub created: DateTime<Utc>,
}

/// Length of a campaign code: 62^8 ≈ 2·10^14 codes, and
/// `<code>-<click>` leaves 55 of the 64 characters of `start` for the click.
pub const CODE_LEN: usize = 8;

/// A fresh random campaign code.
pub fn generate_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The longest welcome text, in characters (Telegram's message limit).
pub const WELCOME_MAX_CHARS: usize = 4096;
