//! The bot lifecycle of `rules.md`: add (with restore), list, chats, delete.

use std::sync::Arc;

use tracing::warn;

use crate::ports::{
    BotStore, CampaignStore, NewBot, Reconnect, StoreError, TelegramError, TelegramGateway,
    WebhookRegistration,
};
use crate::{AccountId, AdminChat, BotId, BotSummary, BotToken, TgBotId, WebhookSecret};

/// The update kinds every bot's webhook asks for (`rules.md`, add step 5).
pub const ALLOWED_UPDATES: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
];

/// The path under the public URL where Telegram delivers a bot's updates;
/// the bot's id follows. It never contains the token.
pub const WEBHOOK_PATH_PREFIX: &str = "/telegram/webhook/";

/// What `bots/add.json` answers on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedBot {
    /// Our id of the (new or restored) record.
    pub id: BotId,
    /// Username from `getMe`.
    pub username: String,
    /// Display name from `getMe`.
    pub name: String,
}

/// Why a bot could not be added. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum AddBotError {
    /// The token does not have the Bot API form; Telegram was not called.
    #[error("malformed token")]
    Malformed,
    /// Telegram rejected the token.
    #[error("token rejected by telegram")]
    Rejected,
    /// Telegram could not be reached at `getMe`.
    #[error("telegram unreachable")]
    Unreachable,
    /// Another account has this bot connected.
    #[error("bot connected to another account")]
    Exists,
    /// `setWebhook` failed, timed out or could not be sent.
    #[error("webhook registration failed")]
    Webhook,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why the chats of a bot could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ChatsError {
    /// No such bot in this account.
    #[error("unknown bot")]
    UnknownBot,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a bot could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteBotError {
    /// No such bot in this account.
    #[error("unknown bot")]
    UnknownBot,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Connects, lists and disconnects bots.
#[derive(Clone)]
pub struct BotService {
    store: Arc<dyn BotStore>,
    campaigns: Arc<dyn CampaignStore>,
    telegram: Arc<dyn TelegramGateway>,
    public_url: String,
}

impl BotService {
    /// A service over the given ports; `public_url` is the base URL Telegram
    /// calls (a trailing slash is ignored).
    pub fn new(
        store: Arc<dyn BotStore>,
        campaigns: Arc<dyn CampaignStore>,
        telegram: Arc<dyn TelegramGateway>,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            campaigns,
            telegram,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The webhook URL of bot `id`.
    pub fn webhook_url(&self, id: BotId) -> String {
        format!("{}{}{}", self.public_url, WEBHOOK_PATH_PREFIX, id)
    }

    /// Connects a bot by its token (`rules.md`, bots/add.json): new record,
    /// restore of a deleted one, or refresh of a connected one. Either the
    /// webhook is set and the record committed, or nothing changes.
    pub async fn add(&self, account: AccountId, raw_token: &str) -> Result<AddedBot, AddBotError> {
        let token = BotToken::parse(raw_token).map_err(|_| AddBotError::Malformed)?;
        let profile = self.telegram.get_me(&token).await.map_err(|err| {
            warn!(error = %err, "getMe failed");
            match err {
                TelegramError::Unreachable(_) => AddBotError::Unreachable,
                TelegramError::Rejected(_) | TelegramError::Refused(_) => AddBotError::Rejected,
            }
        })?;

        let mut lock = self.store.lock_tg(profile.tg).await?;
        let records = lock.records().await?;
        if records.iter().any(|r| !r.deleted && r.account != account) {
            return Err(AddBotError::Exists);
        }
        let secret = WebhookSecret::generate();
        let name = profile.name();
        let own = records.into_iter().find(|r| r.account == account);
        let was_connected = own.as_ref().is_some_and(|r| !r.deleted);
        let restored = own.as_ref().is_some_and(|r| r.deleted);
        let record = match own {
            Some(existing) => {
                let data = Reconnect {
                    token: token.clone(),
                    username: profile.username.clone(),
                    name,
                    secret_digest: secret.digest(),
                };
                lock.reconnect(existing.id, data).await?
            }
            None => {
                let bot = NewBot {
                    account,
                    tg: profile.tg,
                    token: token.clone(),
                    username: profile.username.clone(),
                    name,
                    secret_digest: secret.digest(),
                };
                lock.insert(bot).await?
            }
        };

        let hook = WebhookRegistration {
            url: self.webhook_url(record.id),
            secret,
            allowed_updates: ALLOWED_UPDATES.to_vec(),
        };
        if let Err(err) = self.telegram.set_webhook(&token, &hook).await {
            warn!(bot.id = %record.id, error = %err, "setWebhook failed; nothing changed");
            return Err(AddBotError::Webhook);
        }
        if let Err(err) = lock.commit().await {
            if !was_connected {
                // Telegram now calls a webhook for a record that does not
                // exist; take it back so the bot is as it was.
                if let Err(undo) = self.telegram.delete_webhook(&token).await {
                    warn!(error = %undo, "could not undo setWebhook after a failed commit");
                }
            }
            return Err(err.into());
        }
        if restored {
            self.refill_cache(record.id, record.tg, &token).await;
        }
        Ok(AddedBot {
            id: record.id,
            username: record.username,
            name: record.name,
        })
    }

    /// After a restore, asks Telegram whether the bot is still administrator
    /// in each chat its campaigns track, so its status is right at once. A
    /// chat Telegram cannot answer for stays out of the cache (Warning)
    /// until Telegram reports the bot's status there.
    async fn refill_cache(&self, bot: BotId, tg: TgBotId, token: &BotToken) {
        let chats = match self.campaigns.tracked_chats(bot).await {
            Ok(chats) => chats,
            Err(err) => {
                warn!(bot.id = %bot, error = %format!("{:#}", err.0), "cannot list tracked chats to refill the cache");
                return;
            }
        };
        for chat in chats {
            match self.telegram.member_status(token, chat.id, tg).await {
                Ok(status) => {
                    if let Err(err) = self.store.record_bot_status(bot, &chat, &status).await {
                        warn!(bot.id = %bot, chat.id = %chat.id, error = %format!("{:#}", err.0), "cannot record the bot's status");
                    }
                }
                Err(err) => {
                    warn!(bot.id = %bot, chat.id = %chat.id, error = %err, "getChatMember failed; the chat stays out of the cache");
                }
            }
        }
    }

    /// Every record of `account`, deleted ones included, ordered by id.
    pub async fn list(&self, account: AccountId) -> Result<Vec<BotSummary>, StoreError> {
        self.store.list_bots(account).await
    }

    /// The chats `bot` administers that no campaign of `account` tracks.
    pub async fn chats(
        &self,
        account: AccountId,
        bot: BotId,
    ) -> Result<Vec<AdminChat>, ChatsError> {
        self.store
            .offered_chats(account, bot)
            .await?
            .ok_or(ChatsError::UnknownBot)
    }

    /// Soft-deletes `bot`, clears its caches and drops its webhook. Deleting
    /// a deleted bot changes nothing; Telegram being unreachable does not
    /// stop the deletion.
    pub async fn delete(&self, account: AccountId, bot: BotId) -> Result<(), DeleteBotError> {
        let found = self
            .store
            .find_bot(account, bot)
            .await?
            .ok_or(DeleteBotError::UnknownBot)?;
        if found.deleted {
            return Ok(());
        }
        // The webhook is dropped while the lock is held, so that a re-add
        // racing with this delete cannot have its fresh webhook removed.
        let mut lock = self.store.lock_tg(found.tg).await?;
        let current = lock.records().await?.into_iter().find(|r| r.id == bot);
        let Some(current) = current.filter(|r| !r.deleted) else {
            return Ok(());
        };
        lock.mark_deleted(bot).await?;
        if let Err(err) = self.telegram.delete_webhook(&current.token).await {
            warn!(bot.id = %bot, error = %err, "deleteWebhook failed; the bot is deleted anyway");
        }
        lock.commit().await?;
        Ok(())
    }
}
