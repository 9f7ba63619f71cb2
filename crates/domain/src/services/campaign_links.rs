//! A campaign's invite links at Telegram (issue 26): the link of its mode,
//! swapped when the mode changes, the extra named links of
//! `camp/links.json`, and the revokes of a deletion. Telegram is asked
//! first and the store records what it answered, so a link usher lists as
//! live is one Telegram made; a link made for a change that then could not
//! be recorded is revoked again at once.

use tracing::warn;

use super::campaigns::{CampaignIdError, CampaignService, EditCampaignError, LinkFailure};
use crate::given::Given;
use crate::invite_links::{InviteLink, LinkId, LinkMode, NewInviteLink, link_name_ok, mode_change};
use crate::ports::{StoreError, TelegramError};
use crate::{AccountId, BotRecord, Campaign, CampaignId, CampaignStatus, ChatId};

/// Why `camp/links.json` could not make or revoke a link, in the order it
/// checks: `id`, then `name` or `link`, then Telegram's answer.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No such campaign in this account, or it is deleted.
    #[error("unknown campaign")]
    Unknown,
    /// `name`: missing, not a string, blank or over 32 characters.
    #[error("bad link name")]
    Name,
    /// `link`: missing, not a positive integer, or not an extra link of
    /// the campaign (the link of its mode changes through `camp/edit`).
    #[error("unknown link")]
    Link,
    /// Telegram refused or could not be reached.
    #[error(transparent)]
    Telegram(#[from] LinkFailure),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TelegramError> for LinkFailure {
    fn from(err: TelegramError) -> Self {
        match err {
            TelegramError::Unreachable(_) => LinkFailure::Unreachable,
            TelegramError::Refused(_) | TelegramError::Rejected(_) => LinkFailure::Rights,
        }
    }
}

impl CampaignService {
    /// Every invite link of a campaign (deleted ones too), oldest first.
    pub async fn links(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Vec<InviteLink>, CampaignIdError> {
        self.campaigns
            .get_campaign(account, id)
            .await?
            .ok_or(CampaignIdError::Unknown)?;
        Ok(self.campaigns.campaign_links(account, id).await?)
    }

    /// Makes an extra link named `name` for a campaign that is not
    /// deleted. It admits the way the campaign's mode does: through join
    /// requests under `request`, at once otherwise.
    pub async fn add_link(
        &self,
        account: AccountId,
        id: Option<CampaignId>,
        name: Given<&str>,
    ) -> Result<InviteLink, LinkError> {
        let campaign = self.live_campaign(account, id).await?;
        let name = match name {
            Given::Value(name) if link_name_ok(name) => name,
            _ => return Err(LinkError::Name),
        };
        let bot = self.bot_of(&campaign).await?.ok_or(LinkFailure::Rights)?;
        let requests = campaign.link_mode == LinkMode::Request;
        let link = self
            .make_link(&bot, campaign.chat, name, requests, false)
            .await?;
        let url = link.url.clone();
        match self.campaigns.insert_link(account, campaign.id, link).await {
            Ok(Some(recorded)) => Ok(recorded),
            Ok(None) => {
                self.revoke_unrecorded(&bot, campaign.chat, &url).await;
                Err(LinkError::Unknown)
            }
            Err(err) => {
                self.revoke_unrecorded(&bot, campaign.chat, &url).await;
                Err(err.into())
            }
        }
    }

    /// Revokes an extra link of a campaign that is not deleted; revoking a
    /// revoked one answers it as it is.
    pub async fn revoke_link(
        &self,
        account: AccountId,
        id: Option<CampaignId>,
        link: Option<LinkId>,
    ) -> Result<InviteLink, LinkError> {
        let campaign = self.live_campaign(account, id).await?;
        let link = link.ok_or(LinkError::Link)?;
        let found = self
            .campaigns
            .campaign_links(account, campaign.id)
            .await?
            .into_iter()
            .find(|l| l.id == link && !l.primary)
            .ok_or(LinkError::Link)?;
        if found.revoked.is_some() {
            return Ok(found);
        }
        let bot = self.bot_of(&campaign).await?.ok_or(LinkFailure::Rights)?;
        self.telegram
            .revoke_invite_link(&bot.token, campaign.chat, &found.url)
            .await
            .map_err(LinkFailure::from)?;
        self.campaigns
            .mark_link_revoked(account, campaign.id, link)
            .await?
            .ok_or(LinkError::Link)
    }

    /// The campaign `id` of `account` if it is not deleted.
    async fn live_campaign(
        &self,
        account: AccountId,
        id: Option<CampaignId>,
    ) -> Result<Campaign, LinkError> {
        let id = id.ok_or(LinkError::Unknown)?;
        self.campaigns
            .get_campaign(account, id)
            .await?
            .filter(|c| c.status != CampaignStatus::Deleted)
            .ok_or(LinkError::Unknown)
    }

    /// The record of the campaign's bot, with the token to call Telegram
    /// with; `None` when it is deleted.
    async fn bot_of(&self, campaign: &Campaign) -> Result<Option<BotRecord>, StoreError> {
        Ok(self
            .bots
            .find_bot(campaign.account, campaign.bot)
            .await?
            .filter(|b| !b.deleted))
    }

    /// Makes a link at Telegram, to record.
    pub(super) async fn make_link(
        &self,
        bot: &BotRecord,
        chat: ChatId,
        name: &str,
        creates_join_request: bool,
        primary: bool,
    ) -> Result<NewInviteLink, LinkFailure> {
        let url = self
            .telegram
            .create_invite_link(&bot.token, chat, name, creates_join_request)
            .await?;
        Ok(NewInviteLink {
            url,
            name: name.to_owned(),
            creates_join_request,
            primary,
        })
    }

    /// Revokes a link Telegram made for a change that was then not
    /// recorded. Best effort: a failure is logged, never answered, since
    /// the call fails for its own reason already.
    pub(super) async fn revoke_unrecorded(&self, bot: &BotRecord, chat: ChatId, url: &str) {
        if let Err(err) = self
            .telegram
            .revoke_invite_link(&bot.token, chat, url)
            .await
        {
            warn!(bot.id = %bot.id.0, chat = chat.0, error = %err,
                "could not revoke an invite link made for a change that was not recorded");
        }
    }

    /// The links a change of `campaign`'s mode to `to` needs, made and
    /// revoked at Telegram: the new primary link to record (if the new
    /// mode has one), and the bot they were made with.
    pub(super) async fn swap_links(
        &self,
        campaign: &Campaign,
        to: LinkMode,
    ) -> Result<(Option<NewInviteLink>, Option<BotRecord>), EditCampaignError> {
        let change = mode_change(campaign.link_mode, to);
        if !change.revoke_primary && change.make.is_none() {
            return Ok((None, None));
        }
        let bot = self.bot_of(campaign).await?.ok_or(LinkFailure::Rights)?;
        let new = match change.make {
            Some(requests) => Some(
                self.make_link(&bot, campaign.chat, &campaign.code, requests, true)
                    .await?,
            ),
            None => None,
        };
        if change.revoke_primary && !campaign.invite_link.is_empty() {
            let revoked = self
                .telegram
                .revoke_invite_link(&bot.token, campaign.chat, &campaign.invite_link)
                .await;
            if let Err(err) = revoked {
                if let Some(link) = &new {
                    self.revoke_unrecorded(&bot, campaign.chat, &link.url).await;
                }
                return Err(LinkFailure::from(err).into());
            }
        }
        Ok((new, Some(bot)))
    }

    /// Revokes at Telegram, and marks revoked, every live link of
    /// `campaign`. A link the bot may no longer revoke is left live and
    /// logged; Telegram unreachable stops at once.
    pub(super) async fn revoke_live_links(
        &self,
        campaign: &Campaign,
    ) -> Result<(), CampaignIdError> {
        let (account, id) = (campaign.account, campaign.id);
        let live: Vec<InviteLink> = self
            .campaigns
            .campaign_links(account, id)
            .await?
            .into_iter()
            .filter(|l| l.revoked.is_none())
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        let Some(bot) = self.bot_of(campaign).await? else {
            warn!(
                campaign = id.0,
                "the campaign's bot is deleted; its links stay live"
            );
            return Ok(());
        };
        for link in live {
            let revoked = self
                .telegram
                .revoke_invite_link(&bot.token, campaign.chat, &link.url)
                .await
                .map_err(LinkFailure::from);
            match revoked {
                Ok(()) => {
                    self.campaigns
                        .mark_link_revoked(account, id, link.id)
                        .await?;
                }
                Err(LinkFailure::Unreachable) => return Err(CampaignIdError::Unreachable),
                Err(LinkFailure::Rights) => warn!(
                    campaign = id.0,
                    link = link.id.0,
                    "the bot may no longer revoke the link; an administrator must, in Telegram"
                ),
            }
        }
        Ok(())
    }
}
