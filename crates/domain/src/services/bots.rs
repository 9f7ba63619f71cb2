//! The bot lifecycle of `rules.md`: add (with restore), list, chats, delete.

use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use crate::ports::{
    BotStore, CampaignStore, NewBot, Reconnect, StoreError, TelegramError, TelegramGateway,
    TgClaim, WebhookRegistration,
};
use crate::services::webhook_gate::WebhookGate;
use crate::{
    AccountId, AdminChat, BotId, BotProfile, BotRecord, BotSummary, BotToken, TgBotId,
    WebhookSecret,
};

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
    gate: WebhookGate,
    claim_ttl: Duration,
}

/// How long an add or delete holds a bot's claim unless told otherwise
/// ([`BotService::with_claim_ttl`]): past any Telegram call's timeout.
pub const DEFAULT_CLAIM_TTL: Duration = Duration::from_secs(60);

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
            gate: WebhookGate::default(),
            claim_ttl: DEFAULT_CLAIM_TTL,
        }
    }

    /// The same service, telling `gate` (the intake's) whenever it changes
    /// a bot's secret, so this instance never refuses the new one.
    pub fn with_webhook_gate(mut self, gate: WebhookGate) -> Self {
        self.gate = gate;
        self
    }

    /// The same service holding a bot's claim at most `ttl` per add or
    /// delete; it must exceed the Telegram calls' timeout, since a claim
    /// older than `ttl` is taken over.
    pub fn with_claim_ttl(mut self, ttl: Duration) -> Self {
        self.claim_ttl = ttl;
        self
    }

    /// The webhook URL of bot `id`.
    pub fn webhook_url(&self, id: BotId) -> String {
        format!("{}{}{}", self.public_url, WEBHOOK_PATH_PREFIX, id)
    }

    /// Connects a bot by its token (`rules.md`, bots/add.json): new record,
    /// restore of a deleted one, or refresh of a connected one. Either the
    /// webhook is set and the record committed, or nothing visible changes.
    ///
    /// No transaction spans a Telegram call: the bot's claim keeps other
    /// adds and deletes of it out while `setWebhook` runs, a first short
    /// transaction decides and stages the new secret (deliveries presenting
    /// it are told to come again), a second one commits the record once
    /// Telegram has taken the webhook.
    pub async fn add(&self, account: AccountId, raw_token: &str) -> Result<AddedBot, AddBotError> {
        let token = BotToken::parse(raw_token).map_err(|_| AddBotError::Malformed)?;
        let profile = self.telegram.get_me(&token).await.map_err(|err| {
            warn!(error = %err, "getMe failed");
            match err {
                TelegramError::Unreachable(_) => AddBotError::Unreachable,
                TelegramError::Rejected(_) | TelegramError::Refused(_) => AddBotError::Rejected,
            }
        })?;
        let claim = self.store.claim_tg(profile.tg, self.claim_ttl).await?;
        let added = self.add_claimed(account, &token, &profile).await;
        self.release(claim).await;
        let (added, restored) = added?;
        if restored {
            self.refill_cache(added.id, profile.tg, &token).await;
        }
        Ok(added)
    }

    /// [`Self::add`] once the bot's claim is held; says whether the record
    /// was restored.
    async fn add_claimed(
        &self,
        account: AccountId,
        token: &BotToken,
        profile: &BotProfile,
    ) -> Result<(AddedBot, bool), AddBotError> {
        let secret = WebhookSecret::generate();
        let plan = self.plan_add(account, profile.tg, &secret).await?;
        self.gate.forget(plan.id);

        let hook = WebhookRegistration {
            url: self.webhook_url(plan.id),
            secret: secret.clone(),
            allowed_updates: ALLOWED_UPDATES.to_vec(),
        };
        if let Err(err) = self.telegram.set_webhook(token, &hook).await {
            warn!(bot.id = %plan.id, error = %err, "setWebhook failed; nothing changed");
            // Unreachable (a timeout, a dropped answer): Telegram may have
            // taken the new secret all the same. It stays staged, so that
            // deliveries presenting it are told to come again (503) until
            // the next add settles it, instead of being refused (401).
            let maybe_taken = matches!(err, TelegramError::Unreachable(_));
            if plan.existing.is_some() && !maybe_taken {
                if let Err(err) = self.store.unstage_secret(plan.id, &secret.digest()).await {
                    warn!(bot.id = %plan.id, error = %format!("{:#}", err.0), "cannot drop the staged secret; the next add replaces it");
                }
                self.gate.forget(plan.id);
            }
            return Err(AddBotError::Webhook);
        }

        let record = match self
            .commit_add(account, token, profile, &plan, &secret)
            .await
        {
            Ok(record) => record,
            Err(err) => {
                if plan.existing != Some(Existing::Connected) {
                    // Telegram now calls a webhook for a record that is not
                    // connected; take it back so the bot is as it was.
                    if let Err(undo) = self.telegram.delete_webhook(token).await {
                        warn!(error = %undo, "could not undo setWebhook after a failed commit");
                    }
                }
                return Err(err);
            }
        };
        self.gate.forget(record.id);
        let added = AddedBot {
            id: record.id,
            username: record.username,
            name: record.name,
        };
        Ok((added, plan.existing == Some(Existing::Deleted)))
    }

    /// The first short transaction of an add: checks who holds the bot,
    /// picks the record's id (reserving one for a new record) and stages
    /// `secret` on an existing record.
    async fn plan_add(
        &self,
        account: AccountId,
        tg: TgBotId,
        secret: &WebhookSecret,
    ) -> Result<AddPlan, AddBotError> {
        let mut lock = self.store.lock_tg(tg).await?;
        let records = lock.records().await?;
        if connected_elsewhere(&records, account) {
            return Err(AddBotError::Exists);
        }
        let plan = match records.into_iter().find(|r| r.account == account) {
            Some(own) => {
                lock.stage_secret(own.id, secret.digest()).await?;
                AddPlan {
                    id: own.id,
                    existing: Some(if own.deleted {
                        Existing::Deleted
                    } else {
                        Existing::Connected
                    }),
                }
            }
            None => AddPlan {
                id: lock.reserve_id().await?,
                existing: None,
            },
        };
        lock.commit().await?;
        Ok(plan)
    }

    /// The second short transaction of an add, once Telegram has the
    /// webhook: the record is inserted, restored or refreshed with `secret`.
    async fn commit_add(
        &self,
        account: AccountId,
        token: &BotToken,
        profile: &BotProfile,
        plan: &AddPlan,
        secret: &WebhookSecret,
    ) -> Result<BotRecord, AddBotError> {
        let mut lock = self.store.lock_tg(profile.tg).await?;
        // The claim keeps everyone else out; checked again all the same.
        let records = lock.records().await?;
        if connected_elsewhere(&records, account) {
            return Err(AddBotError::Exists);
        }
        let record = match plan.existing {
            Some(_) => {
                let data = Reconnect {
                    token: token.clone(),
                    username: profile.username.clone(),
                    name: profile.name(),
                    secret_digest: secret.digest(),
                };
                lock.reconnect(plan.id, data).await?
            }
            None => {
                let bot = NewBot {
                    id: plan.id,
                    account,
                    tg: profile.tg,
                    token: token.clone(),
                    username: profile.username.clone(),
                    name: profile.name(),
                    secret_digest: secret.digest(),
                };
                lock.insert(bot).await?
            }
        };
        lock.commit().await?;
        Ok(record)
    }

    /// Drops `claim`; one left behind expires after the claim's ttl.
    async fn release(&self, claim: TgClaim) {
        if let Err(err) = self.store.release_tg(claim).await {
            warn!(error = %format!("{:#}", err.0), "cannot release a bot's claim; it expires by itself");
        }
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
    /// stop the deletion. The bot's claim is held from the change to
    /// `deleteWebhook`, so a re-add cannot have its fresh webhook removed;
    /// no transaction is open during the call.
    pub async fn delete(&self, account: AccountId, bot: BotId) -> Result<(), DeleteBotError> {
        let found = self
            .store
            .find_bot(account, bot)
            .await?
            .ok_or(DeleteBotError::UnknownBot)?;
        if found.deleted {
            return Ok(());
        }
        let claim = self.store.claim_tg(found.tg, self.claim_ttl).await?;
        let deleted = self.delete_claimed(bot, found.tg).await;
        self.release(claim).await;
        deleted
    }

    /// [`Self::delete`] once the bot's claim is held.
    async fn delete_claimed(&self, bot: BotId, tg: TgBotId) -> Result<(), DeleteBotError> {
        let mut lock = self.store.lock_tg(tg).await?;
        let current = lock.records().await?.into_iter().find(|r| r.id == bot);
        let Some(current) = current.filter(|r| !r.deleted) else {
            return Ok(());
        };
        lock.mark_deleted(bot).await?;
        lock.commit().await?;
        self.gate.forget(bot);
        if let Err(err) = self.telegram.delete_webhook(&current.token).await {
            warn!(bot.id = %bot, error = %err, "deleteWebhook failed; the bot is deleted anyway");
        }
        Ok(())
    }
}

/// Whether another account than `account` has one of `records` connected.
fn connected_elsewhere(records: &[BotRecord], account: AccountId) -> bool {
    records.iter().any(|r| !r.deleted && r.account != account)
}

/// What the first transaction of an add decided.
struct AddPlan {
    /// The record's id (reserved, for a new record).
    id: BotId,
    /// The record of this account there was, if any.
    existing: Option<Existing>,
}

/// The state of the account's record before the add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Soft-deleted: the add restores it.
    Deleted,
    /// Connected: the add refreshes it.
    Connected,
}
