//! The rules of usher, free of I/O.
//!
//! This crate holds the types of the bot lifecycle (accounts, API keys, bot
//! tokens, bots and their admin-chat cache), the ports through which the
//! outside world is reached ([`ports`]), and the services that apply the
//! rules of `rules.md` through those ports ([`services`]). Adapters (the
//! Postgres store, the Telegram gateway, the HTTP API) depend on this crate;
//! it depends on none of them.

pub mod account;
pub mod api_key;
pub mod bot;
pub mod campaign;
pub mod given;
pub mod ids;
pub mod intake;
pub mod ports;
pub mod postbacks;
pub mod secret;
pub mod services;
pub mod subscribers;
pub mod text;
pub mod token;

pub use account::{Account, AccountCredentials};
pub use api_key::{ApiKey, ApiKeyHash};
pub use bot::{AdminChat, BotProfile, BotRecord, BotStatus, BotSummary};
pub use campaign::{Campaign, CampaignSettings, CampaignStatus, Counters};
pub use ids::{AccountId, BotId, CampaignId, ChatId, TgBotId};
pub use secret::WebhookSecret;
pub use token::BotToken;
