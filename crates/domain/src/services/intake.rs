//! Receiving webhook deliveries (`rules.md`, "Webhook").

use std::sync::Arc;

use crate::BotId;
use crate::intake::{NotAnUpdate, parse_update};
use crate::ports::{Applied, IntakeStore, StoreError};
use crate::secret::digest_of;
use crate::services::webhook_gate::{Gate, WebhookGate};

/// What became of a delivery that Telegram should not send again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Applied and committed; the update's kind.
    Applied(String),
    /// Already applied before (a re-delivery); nothing changed.
    Duplicate(String),
    /// The bot is deleted: acknowledged, nothing recorded.
    BotDeleted,
}

/// Why a delivery is refused.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// No such bot: the webhook path is unknown.
    #[error("unknown webhook")]
    UnknownBot,
    /// The secret header is missing or wrong.
    #[error("wrong webhook secret")]
    BadSecret,
    /// The body is not an Update.
    #[error(transparent)]
    NotAnUpdate(#[from] NotAnUpdate),
    /// The bot is being added or deleted: nothing was applied; Telegram
    /// should retry shortly.
    #[error("bot busy")]
    Busy,
    /// Intake is full (admission control): nothing was applied; Telegram
    /// should retry shortly.
    #[error("intake full")]
    Shed,
    /// The database failed: nothing was applied; Telegram should retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies Telegram's updates, at most once each per bot.
#[derive(Clone)]
pub struct IntakeService {
    store: Arc<dyn IntakeStore>,
    gate: WebhookGate,
}

impl IntakeService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn IntakeStore>) -> Self {
        Self {
            store,
            gate: WebhookGate::default(),
        }
    }

    /// The gate this service checks secrets with, to share with the
    /// [`BotService`](crate::services::BotService) that changes them.
    pub fn webhook_gate(&self) -> WebhookGate {
        self.gate.clone()
    }

    /// Handles one delivery for bot `bot`: checks the secret (in constant
    /// time), then applies the update and commits, or reports why not.
    /// Nothing is recorded unless the answer is [`Received::Applied`].
    pub async fn receive(
        &self,
        bot: BotId,
        secret: Option<&str>,
        body: &[u8],
    ) -> Result<Received, IntakeError> {
        let presented = secret.unwrap_or("");
        // The secret first: a forged delivery is refused before its body is
        // read, whatever it holds.
        let deleted = match self.gate.check(self.store.as_ref(), bot, presented).await? {
            Gate::Pass { deleted } => deleted,
            Gate::UnknownBot => return Err(IntakeError::UnknownBot),
            Gate::BadSecret => return Err(IntakeError::BadSecret),
            Gate::Pending => return Err(IntakeError::Busy),
        };
        let parsed = parse_update(body).and_then(|update| {
            let raw = std::str::from_utf8(body).map_err(|_| NotAnUpdate)?;
            Ok((update, raw))
        });
        let (update, raw) = match parsed {
            Ok(parsed) => parsed,
            Err(_) if deleted => return Ok(Received::BotDeleted),
            Err(not_an_update) => return Err(not_an_update.into()),
        };
        match self
            .store
            .apply_update(bot, &digest_of(presented), &update, raw)
            .await?
        {
            Applied::New => Ok(Received::Applied(update.kind)),
            Applied::Duplicate => Ok(Received::Duplicate(update.kind)),
            Applied::BotDeleted => Ok(Received::BotDeleted),
            Applied::UnknownBot => Err(IntakeError::UnknownBot),
            Applied::BadSecret => Err(IntakeError::BadSecret),
            Applied::Busy => Err(IntakeError::Busy),
            Applied::Shed => Err(IntakeError::Shed),
        }
    }
}
