//! The storage port of webhook intake.

use async_trait::async_trait;

use super::StoreError;
use crate::BotId;
use crate::intake::IncomingUpdate;

/// What the webhook needs to know of a bot before reading a delivery.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// SHA-256 of the bot's current webhook secret.
    pub secret_digest: Vec<u8>,
    /// Whether the bot is soft-deleted.
    pub deleted: bool,
    /// SHA-256 of the secret an add in progress is giving Telegram.
    pub pending_digest: Option<Vec<u8>>,
}

/// How applying an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The update was new; it and its effects are committed.
    New,
    /// This bot already had this `update_id`; nothing changed.
    Duplicate,
    /// The bot is deleted; nothing changed.
    BotDeleted,
    /// No such bot; nothing changed.
    UnknownBot,
    /// The presented secret is not the bot's; nothing changed.
    BadSecret,
    /// The bot is being added or deleted right now; nothing changed, and
    /// the delivery should be retried shortly.
    Busy,
    /// This instance holds as many updates as its admission allows (see
    /// [`crate::intake::Admission`]); nothing changed, and the delivery
    /// should be retried shortly.
    Shed,
}

/// Updates and their effects.
#[async_trait]
pub trait IntakeStore: Send + Sync {
    /// The secret digest and deletion flag of `bot`; `None` for an unknown id.
    async fn webhook_target(&self, bot: BotId) -> Result<Option<WebhookTarget>, StoreError>;

    /// In one transaction: checks that `bot` exists and that
    /// `secret_digest` (SHA-256 of the presented header) is its secret's
    /// digest, in constant time; then records `update` (kind, `update_id`,
    /// the raw JSON `raw`) unless that `update_id` is already recorded for
    /// the bot, and applies its effect. MUST return `UnknownBot`,
    /// `BadSecret` or `BotDeleted` (in that order of checks) changing
    /// nothing; MUST NOT wait for an add or delete of the same bot in
    /// progress but return `Busy`; MUST apply each `(bot, update_id)` at most once however many
    /// deliveries race; MUST NOT let a bot-membership state older (by date,
    /// then `update_id`) than the stored one for that chat overwrite it; on
    /// error nothing is applied.
    async fn apply_update(
        &self,
        bot: BotId,
        secret_digest: &[u8; 32],
        update: &IncomingUpdate,
        raw: &str,
    ) -> Result<Applied, StoreError>;
}
