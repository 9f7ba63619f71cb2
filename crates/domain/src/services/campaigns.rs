//! Campaigns: add, list, get, pause, resume, delete.

use std::sync::Arc;

use crate::campaign::{WELCOME_MAX_CHARS, generate_code};
use crate::ports::{BotStore, CampaignStore, InsertCampaignError, NewCampaign, StoreError};
use crate::{AccountId, BotId, Campaign, CampaignId, CampaignStatus, ChatId};

/// Why a campaign could not be added. Checked in the order of the
/// parameters: `bot`, `chat`, `welcome`.
#[derive(Debug, thiserror::Error)]
pub enum AddCampaignError {
    /// The bot is missing, unknown, another account's, or deleted.
    #[error("bad bot")]
    Bot,
    /// The chat is not one `bots/chats.json` offers for this bot now.
    #[error("chat not offered")]
    Chat,
    /// The welcome text is missing, empty or too long.
    #[error("bad welcome")]
    Welcome,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a campaign could not be found or changed.
#[derive(Debug, thiserror::Error)]
pub enum CampaignIdError {
    /// No such campaign in this account (or, for pause and resume, it is
    /// deleted).
    #[error("unknown campaign")]
    Unknown,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Campaigns of an account.
#[derive(Clone)]
pub struct CampaignService {
    campaigns: Arc<dyn CampaignStore>,
    bots: Arc<dyn BotStore>,
}

/// How many codes to try before giving up (a clash is already ~1e-14 likely).
const CODE_ATTEMPTS: usize = 5;

impl CampaignService {
    /// A service over the stores.
    pub fn new(campaigns: Arc<dyn CampaignStore>, bots: Arc<dyn BotStore>) -> Self {
        Self { campaigns, bots }
    }

    /// Adds a campaign on a chat that `bots/chats.json` offers for `bot`
    /// right now. `welcome` is `None` when the parameter is missing.
    pub async fn add(
        &self,
        account: AccountId,
        bot: Option<BotId>,
        chat: Option<ChatId>,
        welcome: Option<&str>,
    ) -> Result<Campaign, AddCampaignError> {
        let bot = bot.ok_or(AddCampaignError::Bot)?;
        let record = self.bots.find_bot(account, bot).await?;
        if record.is_none_or(|r| r.deleted) {
            return Err(AddCampaignError::Bot);
        }
        let chat = chat.ok_or(AddCampaignError::Chat)?;
        let offered = self
            .bots
            .offered_chats(account, bot)
            .await?
            .unwrap_or_default();
        let chat = offered
            .into_iter()
            .find(|c| c.id == chat)
            .ok_or(AddCampaignError::Chat)?;
        let welcome = welcome
            .filter(|w| !w.trim().is_empty() && w.chars().count() <= WELCOME_MAX_CHARS)
            .ok_or(AddCampaignError::Welcome)?;
        for _ in 0..CODE_ATTEMPTS {
            let new = NewCampaign {
                account,
                bot,
                chat: chat.clone(),
                code: generate_code(),
                welcome: welcome.to_owned(),
            };
            match self.campaigns.insert_campaign(new).await {
                Ok(campaign) => return Ok(campaign),
                Err(InsertCampaignError::CodeTaken) => continue,
                Err(InsertCampaignError::ChatTaken) => return Err(AddCampaignError::Chat),
                Err(InsertCampaignError::Store(err)) => return Err(err.into()),
            }
        }
        Err(StoreError::new(anyhow::anyhow!(
            "no free campaign code after {CODE_ATTEMPTS} tries"
        ))
        .into())
    }

    /// The account's campaigns that are not deleted, ordered by id.
    pub async fn list(&self, account: AccountId) -> Result<Vec<Campaign>, StoreError> {
        self.campaigns.list_campaigns(account).await
    }

    /// One campaign, deleted ones included.
    pub async fn get(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Campaign, CampaignIdError> {
        self.campaigns
            .get_campaign(account, id)
            .await?
            .ok_or(CampaignIdError::Unknown)
    }

    /// Pauses an active campaign; pausing a paused one changes nothing.
    pub async fn pause(&self, account: AccountId, id: CampaignId) -> Result<(), CampaignIdError> {
        self.change(
            account,
            id,
            &[CampaignStatus::Active, CampaignStatus::Paused],
            CampaignStatus::Paused,
        )
        .await
    }

    /// Resumes a paused campaign; resuming an active one changes nothing.
    pub async fn resume(&self, account: AccountId, id: CampaignId) -> Result<(), CampaignIdError> {
        self.change(
            account,
            id,
            &[CampaignStatus::Active, CampaignStatus::Paused],
            CampaignStatus::Active,
        )
        .await
    }

    /// Deletes a campaign (soft); deleting a deleted one changes nothing.
    pub async fn delete(&self, account: AccountId, id: CampaignId) -> Result<(), CampaignIdError> {
        let previous = self
            .campaigns
            .set_campaign_status(
                account,
                id,
                &[CampaignStatus::Active, CampaignStatus::Paused],
                CampaignStatus::Deleted,
            )
            .await?;
        previous.map(|_| ()).ok_or(CampaignIdError::Unknown)
    }

    async fn change(
        &self,
        account: AccountId,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<(), CampaignIdError> {
        match self
            .campaigns
            .set_campaign_status(account, id, from, to)
            .await?
        {
            None | Some(CampaignStatus::Deleted) => Err(CampaignIdError::Unknown),
            Some(_) => Ok(()),
        }
    }
}
