//! Campaigns: one chat tracked through one bot.

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::invite_links::LinkMode;
use crate::postbacks::Templates;
use crate::subscribers::join_requests::JoinRequestPolicy;
use crate::text::http_url_ok;
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
    /// The welcome text (up to 4096 characters, legacy Markdown).
    pub welcome: String,
    /// The welcome's button: its text and URL (both empty: no button).
    pub button_text: String,
    /// The button's URL (may hold postback macros).
    pub button_url: String,
    /// Seconds after a join within which a leave still posts back; 0: always.
    pub unsub_window: i64,
    /// Its five postback templates (`pb_wait` ... `pb_trash`).
    pub postbacks: Templates,
    /// Its leads, counted.
    pub counters: Counters,
    /// Active, paused or deleted.
    pub status: CampaignStatus,
    /// Whether usher makes an invite link for it, and which kind.
    pub link_mode: LinkMode,
    /// Its live link of that mode, `""` for none.
    pub invite_link: String,
    /// What it does with a join request for its chat.
    pub join_requests: JoinRequestPolicy,
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
/// Telegram counts the text it shows (markup removed) in UTF-16 code
/// units: an emoji outside the Basic Multilingual Plane counts two.
pub const WELCOME_MAX_CHARS: usize = 4096;

/// The longest value each welcome macro can be filled with, in UTF-16 code
/// units: `{name}` a first name (64 characters, each possibly two units),
/// `{title}` a chat title (128 characters, likewise), `{campaign}` a code,
/// `{click}` what a deep link leaves for it (ASCII).
pub const WELCOME_MACRO_MAX_UNITS: [(&str, usize); 4] = [
    ("{name}", 128),
    ("{title}", 256),
    ("{campaign}", CODE_LEN),
    ("{click}", 64 - CODE_LEN - 1),
];

/// The length Telegram counts for `welcome` once its macros are filled
/// with the longest values they can take: the visible text (markup
/// removed) in UTF-16 code units. `None` when the Markdown is refused.
pub fn welcome_longest_units(welcome: &str) -> Option<usize> {
    let longest: Vec<(&str, String)> = WELCOME_MACRO_MAX_UNITS
        .iter()
        .map(|&(name, units)| (name, "x".repeat(units)))
        .collect();
    let values: Vec<(&str, &str)> = longest.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let filled = crate::subscribers::markdown::render(welcome, &values);
    crate::subscribers::markdown::visible_utf16_len(&filled).ok()
}

/// A campaign's leads, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Its leads (each started the bot through the campaign).
    pub starts: i64,
    /// Leads that reached approve at least once.
    pub confirms: i64,
    /// Leads now cancel or trash.
    pub unsubs: i64,
}

/// The longest button text, in characters.
pub const BUTTON_TEXT_MAX_CHARS: usize = 64;

/// The longest button URL, in bytes.
pub const BUTTON_URL_MAX: usize = 2048;

/// What a customer sets on a campaign besides its bot and chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    /// The welcome text.
    pub welcome: String,
    /// The button's text, `""` for none.
    pub button_text: String,
    /// The button's URL, `""` for none.
    pub button_url: String,
    /// The unsub window in seconds, 0 for none.
    pub unsub_window: i64,
    /// The postback templates.
    pub postbacks: Templates,
    /// Whether usher makes an invite link for it, and which kind.
    pub link_mode: LinkMode,
    /// What it does with a join request for its chat.
    pub join_requests: JoinRequestPolicy,
}

impl Campaign {
    /// What the customer set on it.
    pub fn settings(&self) -> CampaignSettings {
        CampaignSettings {
            welcome: self.welcome.clone(),
            button_text: self.button_text.clone(),
            button_url: self.button_url.clone(),
            unsub_window: self.unsub_window,
            postbacks: self.postbacks.clone(),
            link_mode: self.link_mode,
            join_requests: self.join_requests,
        }
    }
}

/// Whether `welcome` is a text Telegram takes whatever its macros are
/// filled with: not blank, its legacy Markdown balanced, and at most 4096
/// UTF-16 code units as Telegram counts them once every macro holds the
/// longest value it can ([`welcome_longest_units`]). So a welcome accepted
/// when it is saved can always be sent (`subscribers.md`: refused when
/// saved, not when the first subscriber arrives).
pub fn welcome_ok(welcome: &str) -> bool {
    !welcome.trim().is_empty()
        && welcome.chars().count() <= WELCOME_MAX_CHARS
        && crate::subscribers::markdown::check(welcome).is_ok()
        && welcome_longest_units(welcome).is_some_and(|units| units <= WELCOME_MAX_CHARS)
}

/// Whether a button is both parts or neither: a text of 1 to 64 characters
/// and an http or https URL.
pub fn button_ok(text: &str, url: &str) -> bool {
    if text.is_empty() && url.is_empty() {
        return true;
    }
    !text.trim().is_empty()
        && text.chars().count() <= BUTTON_TEXT_MAX_CHARS
        && http_url_ok(url, BUTTON_URL_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcomes_telegram_would_refuse_are_refused() {
        assert!(welcome_ok("Hi *{name}*!"));
        assert!(!welcome_ok("join my_channel"));
        assert!(welcome_ok(r"join my\_channel"));
        assert!(!welcome_ok("   "));
        assert!(!welcome_ok(&"a".repeat(WELCOME_MAX_CHARS + 1)));
    }

    #[test]
    fn welcome_length_is_counted_in_utf16_units_after_the_macros() {
        // Markup does not count; an emoji outside the BMP counts two.
        assert!(welcome_ok(&format!("*{}*", "a".repeat(4094))));
        assert!(welcome_ok(&"\u{1F600}".repeat(2048)));
        assert!(!welcome_ok(&"\u{1F600}".repeat(2049)));
        assert!(!welcome_ok(&"\u{1F600}".repeat(4096)));
        assert!(welcome_ok(&"é".repeat(4096)));
        // Each macro counts as its longest value.
        assert!(welcome_ok(&format!("{}{{name}}", "a".repeat(4096 - 128))));
        assert!(!welcome_ok(&format!("{}{{name}}", "a".repeat(4096 - 127))));
        assert!(!welcome_ok(&format!("{}{{title}}", "a".repeat(4000))));
        assert!(welcome_ok(&format!(
            "{}{{campaign}}{{click}}",
            "a".repeat(4096 - 63)
        )));
        assert!(!welcome_ok(&format!(
            "{}{{campaign}}{{click}}",
            "a".repeat(4096 - 62)
        )));
        // Unknown macros stay as written, and count as written.
        assert!(welcome_ok(&format!("{}{{other}}", "a".repeat(4089))));
    }

    #[test]
    fn a_button_is_both_parts_or_neither() {
        assert!(button_ok("", ""));
        assert!(button_ok("Join", "https://t.me/+abc?c={click}"));
        assert!(!button_ok("Join", ""));
        assert!(!button_ok("", "https://t.me/+abc"));
        assert!(!button_ok("Join", "ftp://x.y"));
        assert!(!button_ok("Join", "https://"));
        assert!(!button_ok("Join", "https://a b"));
        assert!(!button_ok(&"j".repeat(65), "https://t.me"));
    }
}
