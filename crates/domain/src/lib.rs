//! The rules of usher, free of I/O: a subscriber-tracking service for
//! Telegram ad traffic, as a library.
//!
//! # The model
//!
//! An **account** (API key, ban) connects **bots** by their BotFather
//! tokens ([`BotToken`], never printed); each bot keeps the chats where it
//! is an administrator. A **campaign** ([`Campaign`]) tracks one chat
//! through one bot: its deep link `t.me/<bot>?start=<code>-<click>` opens
//! the bot, and the person who follows it becomes a **lead**
//! ([`subscribers::Lead`]) whose status moves wait → hold → approve →
//! cancel / trash as they start the bot, ask to join, join and leave
//! ([`subscribers::rules::apply`], rules 1-8 of `subscribers.md`). Each
//! status change can queue a **postback** to the customer's tracker
//! ([`postbacks`]: templates, macros, blocked addresses, retries), and a
//! start queues a **welcome** message ([`subscribers::welcome`]).
//!
//! # Where the rules are
//!
//! - [`intake`]: a webhook body read into an [`intake::Effect`]
//!   ([`intake::parse_update`], lenient where teloxide's types are strict),
//!   and the admission rules of a burst.
//! - [`subscribers`]: leads and their rules, deep links, legacy Markdown,
//!   the welcome, the API's views, and [`subscribers::batch`]: the whole
//!   plan of one intake batch (leads, history, journal, outbox, rollups)
//!   as a pure function, which the store only reads for and writes.
//! - [`postbacks`]: what a valid template is, how it is filled, where it may
//!   never go, and what a try's answer means.
//! - [`retention`]: which time partitions (days of raw updates, months of
//!   member events) to create and to drop, and when the tables kept from
//!   before partitioning may be emptied.
//! - [`campaign`], [`bot`], [`account`], [`api_key`], [`token`]: the types
//!   and their validation.
//!
//! # Ports and services
//!
//! [`ports`] are the traits through which the outside world is reached
//! (accounts, bots, campaigns, intake, the outbox, reads, the profile,
//! Telegram); each method's documentation is the contract an adapter keeps.
//! [`services`] drive the ports with the rules (`BotService::add` checks a
//! token with Telegram, claims the bot and registers its webhook, and so
//! on). usher's adapters (the PostgreSQL store, the teloxide gateway, the
//! actix API) depend on this crate; it depends on none of them, which CI
//! checks (`scripts/check-domain-deps.sh`).
//!
//! # An example
//!
//! `examples/subscriber_story.rs` reads three real-shaped webhook bodies (a
//! deep-link `/start`, a join, a leave), plans their batch and prints what a
//! store would write and the postback URLs a tracker would receive:
//!
//! ```text
//! cargo run -p usher-domain --example subscriber_story
//! ```

pub mod account;
pub mod api_key;
pub mod bot;
pub mod campaign;
pub mod given;
pub mod ids;
pub mod intake;
pub mod invite_links;
pub mod ports;
pub mod postbacks;
pub mod retention;
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
