//! The ports: what the domain needs from the outside world.
//!
//! Each method's documentation states what an implementation MUST do; the
//! Postgres store and the Telegram gateway are held to these contracts by
//! their tests.

mod campaigns;
mod intake;
mod outbox;
mod profile;
mod retention;
mod store;
mod subscribers;
mod telegram;

pub use campaigns::{CampaignStore, InsertCampaignError, NewCampaign, SettingsSwap};
pub use intake::{Applied, IntakeStore, WebhookTarget};
pub use outbox::{
    AnswerJob, JobOutcome, OutboxKind, OutboxStore, PostbackJob, PostbackOutcome, WelcomeJob,
};
pub use profile::{Profile, ProfileStore};
pub use retention::RetentionStore;
pub use store::{AccountStore, BotLock, BotStore, NewBot, Reconnect, StoreError, TgClaim};
pub use subscribers::{
    JournalFilter, LeadDecision, LeadDecisionStore, LeadFilter, PostbackFilter, SubscriberReads,
};
pub use telegram::{MemberStatus, TelegramError, TelegramGateway, WebhookRegistration};
