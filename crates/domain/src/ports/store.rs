//! Storage ports.

use async_trait::async_trait;

use super::MemberStatus;
use crate::{
    AccountCredentials, AccountId, AdminChat, ApiKeyHash, BotId, BotRecord, BotSummary, BotToken,
    TgBotId,
};

/// The database failed (down, timed out, broken connection). The cause is
/// kept for the log line; it never reaches a client.
#[derive(Debug, thiserror::Error)]
#[error("database failure")]
pub struct StoreError(#[source] pub anyhow::Error);

impl StoreError {
    /// Wraps any error as a database failure.
    pub fn new(err: impl Into<anyhow::Error>) -> Self {
        Self(err.into())
    }
}

/// Accounts and their keys.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account with a placeholder key hash and returns its id;
    /// the caller sets the real hash with [`AccountStore::set_key_hash`],
    /// because the key contains the id.
    async fn create_account(&self, name: Option<&str>) -> Result<AccountId, StoreError>;

    /// Replaces the account's key hash at once. MUST return `false` when no
    /// such account exists.
    async fn set_key_hash(&self, id: AccountId, hash: &ApiKeyHash) -> Result<bool, StoreError>;

    /// Suspends or reinstates the account. MUST return `false` when no such
    /// account exists.
    async fn set_banned(&self, id: AccountId, banned: bool) -> Result<bool, StoreError>;

    /// What authentication needs; `None` when no such account exists.
    async fn credentials(&self, id: AccountId) -> Result<Option<AccountCredentials>, StoreError>;
}

/// Bots and their caches.
#[async_trait]
pub trait BotStore: Send + Sync {
    /// All records of `account`, deleted ones included, ordered by id, with
    /// the status computed from the current data.
    async fn list_bots(&self, account: AccountId) -> Result<Vec<BotSummary>, StoreError>;

    /// The record `bot` if it belongs to `account`; `None` for an unknown id
    /// and for another account's bot alike.
    async fn find_bot(
        &self,
        account: AccountId,
        bot: BotId,
    ) -> Result<Option<BotRecord>, StoreError>;

    /// The admin-chat cache of `bot` minus chats tracked by a campaign of its
    /// account, ordered by chat id. MUST return `None` when `bot` is unknown
    /// or belongs to another account.
    async fn offered_chats(
        &self,
        account: AccountId,
        bot: BotId,
    ) -> Result<Option<Vec<AdminChat>>, StoreError>;

    /// Records what Telegram just said of the bot's status in `chat` (asked
    /// with `getChatMember`), as of now: it replaces the stored state unless
    /// a newer one is stored.
    async fn record_bot_status(
        &self,
        bot: BotId,
        chat: &AdminChat,
        status: &MemberStatus,
    ) -> Result<(), StoreError>;

    /// Opens a unit of work that holds the system-wide lock of Telegram bot
    /// `tg` until it is committed or dropped. While one is open, no other
    /// caller (in this process or another instance) can open one for the
    /// same `tg`. Dropping it without [`BotLock::commit`] MUST undo every
    /// change made through it.
    async fn lock_tg(&self, tg: TgBotId) -> Result<Box<dyn BotLock>, StoreError>;

    /// Waits for the claim on `tg` and takes it for `ttl`. The claim spans
    /// an add or delete, Telegram calls included: while one stands, every
    /// other `claim_tg` of the same `tg` (on any instance) waits, holding no
    /// connection. A claim past its `ttl` (its holder died) is taken over,
    /// so the wait ends; MUST give up with an error after waiting `ttl`
    /// and a little more.
    async fn claim_tg(&self, tg: TgBotId, ttl: std::time::Duration) -> Result<TgClaim, StoreError>;

    /// Drops `claim`, if it still stands.
    async fn release_tg(&self, claim: TgClaim) -> Result<(), StoreError>;

    /// Forgets the pending secret of record `bot` if it is still `digest`
    /// (an add whose `setWebhook` failed).
    async fn unstage_secret(&self, bot: BotId, digest: &[u8; 32]) -> Result<(), StoreError>;
}

/// A claim on one Telegram bot, from [`BotStore::claim_tg`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TgClaim {
    /// The claimed bot.
    pub tg: TgBotId,
    /// Who holds it: random per claim.
    pub holder: i64,
}

/// A new bot record to insert.
#[derive(Debug, Clone)]
pub struct NewBot {
    /// The id reserved for it ([`BotLock::reserve_id`]).
    pub id: BotId,
    /// The account that connects the bot.
    pub account: AccountId,
    /// Telegram's id (the locked one).
    pub tg: TgBotId,
    /// The token, stored encrypted.
    pub token: BotToken,
    /// Username from `getMe`.
    pub username: String,
    /// Display name from `getMe`.
    pub name: String,
    /// Digest of the webhook secret given to Telegram.
    pub secret_digest: [u8; 32],
}

/// Fresh data for an existing record being connected again.
#[derive(Debug, Clone)]
pub struct Reconnect {
    /// The token now given.
    pub token: BotToken,
    /// Username from `getMe`.
    pub username: String,
    /// Display name from `getMe`.
    pub name: String,
    /// Digest of the new webhook secret.
    pub secret_digest: [u8; 32],
}

/// Changes to the records of one locked Telegram bot, all or nothing.
#[async_trait]
pub trait BotLock: Send {
    /// Every record of the locked `tg`, in any account, deleted or not.
    async fn records(&mut self) -> Result<Vec<BotRecord>, StoreError>;

    /// A fresh id for a record not inserted yet (its webhook URL holds it).
    async fn reserve_id(&mut self) -> Result<BotId, StoreError>;

    /// Records `digest` as record `id`'s pending secret: the one an add is
    /// giving Telegram before it commits. The current secret is unchanged.
    async fn stage_secret(&mut self, id: BotId, digest: [u8; 32]) -> Result<(), StoreError>;

    /// Inserts a connected record under its reserved id and returns it with
    /// its `created`.
    async fn insert(&mut self, bot: NewBot) -> Result<BotRecord, StoreError>;

    /// Marks record `id` connected with fresh data, keeping its id and
    /// `created`, and returns it. Its secret becomes `data.secret_digest`
    /// and no secret is pending any more.
    async fn reconnect(&mut self, id: BotId, data: Reconnect) -> Result<BotRecord, StoreError>;

    /// Marks record `id` deleted and clears its caches; history stays.
    async fn mark_deleted(&mut self, id: BotId) -> Result<(), StoreError>;

    /// Makes every change permanent and releases the lock.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
