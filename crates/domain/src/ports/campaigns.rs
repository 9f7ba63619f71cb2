//! The storage port of campaigns.

use async_trait::async_trait;

use super::StoreError;
use crate::invite_links::{InviteLink, LinkId, NewInviteLink};
use crate::{AccountId, AdminChat, BotId, Campaign, CampaignId, CampaignSettings, CampaignStatus};

/// A campaign to insert.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// The owner.
    pub account: AccountId,
    /// The bot.
    pub bot: BotId,
    /// The chat, as the bot's admin-chat cache has it.
    pub chat: AdminChat,
    /// The generated code.
    pub code: String,
    /// The welcome, its button, the unsub window, the templates and the
    /// link mode.
    pub settings: CampaignSettings,
    /// The link of its mode, made at Telegram already; recorded with the
    /// campaign in one transaction.
    pub link: Option<NewInviteLink>,
}

/// Why a campaign could not be inserted.
#[derive(Debug, thiserror::Error)]
pub enum InsertCampaignError {
    /// A non-deleted campaign of the account already tracks the chat.
    #[error("chat already tracked")]
    ChatTaken,
    /// The code is taken; try another.
    #[error("code taken")]
    CodeTaken,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Campaigns.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// The account's non-deleted campaigns, ordered by id.
    async fn list_campaigns(&self, account: AccountId) -> Result<Vec<Campaign>, StoreError>;

    /// Campaign `id` of `account`, deleted or not; `None` for an unknown id
    /// and another account's campaign alike.
    async fn get_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError>;

    /// Inserts a campaign. MUST return `ChatTaken` when a non-deleted
    /// campaign of the same account tracks the chat, also when two inserts
    /// race.
    async fn insert_campaign(&self, new: NewCampaign) -> Result<Campaign, InsertCampaignError>;

    /// Sets campaign `id` of `account` to `to` if its status is one of
    /// `from`. Returns the status it had, or `None` when there is no such
    /// campaign.
    async fn set_campaign_status(
        &self,
        account: AccountId,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<Option<CampaignStatus>, StoreError>;

    /// Replaces the settings of campaign `id` of `account` with `settings`
    /// if it is not deleted and its settings (link mode included) are still
    /// `expected`, so that two edits racing cannot lose one another's
    /// change. When the link mode changes, in the same transaction: the
    /// live primary link is marked revoked and `new_primary`, if any,
    /// becomes the primary link.
    async fn update_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
        expected: &CampaignSettings,
        settings: &CampaignSettings,
        new_primary: Option<NewInviteLink>,
    ) -> Result<SettingsSwap, StoreError>;

    /// Every link of campaign `id` of `account`, revoked ones included,
    /// oldest first; empty for another account's campaign.
    async fn campaign_links(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Vec<InviteLink>, StoreError>;

    /// Records an extra link of campaign `id` (not deleted) of `account`;
    /// `None` when there is no such campaign.
    async fn insert_link(
        &self,
        account: AccountId,
        id: CampaignId,
        link: NewInviteLink,
    ) -> Result<Option<InviteLink>, StoreError>;

    /// Marks link `link` of campaign `id` of `account` revoked, if it is
    /// not already; answers the link as it is now, `None` when the campaign
    /// has no such link.
    async fn mark_link_revoked(
        &self,
        account: AccountId,
        id: CampaignId,
        link: LinkId,
    ) -> Result<Option<InviteLink>, StoreError>;

    /// The chats that non-deleted campaigns through `bot` track, with the
    /// title and type they were created with.
    async fn tracked_chats(&self, bot: BotId) -> Result<Vec<AdminChat>, StoreError>;
}

/// What became of a compare-and-set of a campaign's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsSwap {
    /// Changed; the campaign as it is now.
    Updated(Box<Campaign>),
    /// Someone else changed the settings first: read them again.
    Stale,
    /// No such campaign, or it is deleted.
    Gone,
}
