//! Campaigns: add, list, get, pause, resume, delete.

use std::sync::Arc;

use crate::campaign::{button_ok, generate_code, welcome_ok};
pub use crate::given::Given;
use crate::invite_links::LinkMode;
use crate::ports::{
    BotStore, CampaignStore, InsertCampaignError, NewCampaign, SettingsSwap, StoreError,
    TelegramGateway,
};
use crate::postbacks::Templates;
use crate::subscribers::join_requests::JoinRequestPolicy;
use crate::{AccountId, BotId, Campaign, CampaignId, CampaignSettings, CampaignStatus, ChatId};

/// The settings parameters of `camp/add.json` and `camp/edit.json`.
#[derive(Debug, Clone, Copy)]
pub struct SettingsInput<'a> {
    /// `welcome`.
    pub welcome: Given<&'a str>,
    /// `button_text` (`""` clears the button).
    pub button_text: Given<&'a str>,
    /// `button_url` (`""` clears the button).
    pub button_url: Given<&'a str>,
    /// `unsub_window`, seconds.
    pub unsub_window: Given<i64>,
    /// `pb_wait` ... `pb_trash` (`""` clears one).
    pub postbacks: [Given<&'a str>; 5],
    /// `link_mode`: `none`, `join` or `request`.
    pub link_mode: Given<&'a str>,
    /// `join_requests`: `manual`, `approve`, `after_welcome` or `decline`.
    pub join_requests: Given<&'a str>,
}

/// Which settings parameter is wrong, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsError {
    /// `welcome`: missing (on add), not a string, blank, over 4096
    /// characters, or legacy Markdown Telegram would refuse.
    Welcome,
    /// `button_text` / `button_url`: not both or neither, text over 64
    /// characters, URL not http(s) with a host.
    Button,
    /// `unsub_window`: not an integer >= 0.
    Unsub,
    /// A `pb_*`: not a string, not an http(s) URL with a host, over 2048
    /// characters, or a blocked IP address.
    Postback,
    /// `link_mode`: not `none`, `join` or `request`.
    LinkMode,
    /// `join_requests`: not `manual`, `approve`, `after_welcome` or
    /// `decline`.
    JoinRequests,
}

impl SettingsInput<'_> {
    /// `current` with the given parameters applied, checked.
    fn apply(
        &self,
        current: &CampaignSettings,
        allow_private: bool,
    ) -> Result<CampaignSettings, SettingsError> {
        let welcome = match self.welcome {
            Given::Absent => current.welcome.clone(),
            Given::Value(w) if welcome_ok(w) => w.to_owned(),
            _ => return Err(SettingsError::Welcome),
        };
        let part = |given: Given<&str>, current: &str| match given {
            Given::Absent => Ok(current.to_owned()),
            Given::Value(v) => Ok(v.to_owned()),
            Given::Invalid => Err(SettingsError::Button),
        };
        let button_text = part(self.button_text, &current.button_text)?;
        let button_url = part(self.button_url, &current.button_url)?;
        if !button_ok(&button_text, &button_url) {
            return Err(SettingsError::Button);
        }
        let unsub_window = match self.unsub_window {
            Given::Absent => current.unsub_window,
            Given::Value(n) if n >= 0 => n,
            _ => return Err(SettingsError::Unsub),
        };
        let postbacks = current
            .postbacks
            .with(&self.postbacks, allow_private)
            .map_err(|_| SettingsError::Postback)?;
        let link_mode = match self.link_mode {
            Given::Absent => current.link_mode,
            Given::Value(name) => LinkMode::parse(name).ok_or(SettingsError::LinkMode)?,
            Given::Invalid => return Err(SettingsError::LinkMode),
        };
        let join_requests = match self.join_requests {
            Given::Absent => current.join_requests,
            Given::Value(name) => {
                JoinRequestPolicy::parse(name).ok_or(SettingsError::JoinRequests)?
            }
            Given::Invalid => return Err(SettingsError::JoinRequests),
        };
        Ok(CampaignSettings {
            welcome,
            button_text,
            button_url,
            unsub_window,
            postbacks,
            link_mode,
            join_requests,
        })
    }
}

/// Why an invite link could not be made or revoked at Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkFailure {
    /// Telegram refused: the bot is not an administrator of the chat with
    /// `can_invite_users` (or no longer in it, or its token is revoked).
    #[error("the bot may not manage invite links in the chat")]
    Rights,
    /// Telegram could not be reached; nothing changed.
    #[error("telegram unreachable")]
    Unreachable,
}

/// Why a campaign could not be edited: `id`, then the settings, then what
/// Telegram answered about its link.
#[derive(Debug, thiserror::Error)]
pub enum EditCampaignError {
    /// No such campaign in this account, or it is deleted.
    #[error("unknown campaign")]
    Unknown,
    /// A settings parameter is wrong.
    #[error("bad settings: {0:?}")]
    Settings(SettingsError),
    /// The new link mode's link could not be made, or the old one revoked.
    #[error(transparent)]
    Link(#[from] LinkFailure),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a campaign could not be added. Checked in the order of the
/// parameters: `bot`, `chat`, `welcome`, `button`, `unsub`, `postback`,
/// `link_mode`, then Telegram's answer about the link.
#[derive(Debug, thiserror::Error)]
pub enum AddCampaignError {
    /// The bot is missing, unknown, another account's, or deleted.
    #[error("bad bot")]
    Bot,
    /// The chat is not one `bots/chats.json` offers for this bot now.
    #[error("chat not offered")]
    Chat,
    /// A settings parameter is wrong.
    #[error("bad settings: {0:?}")]
    Settings(SettingsError),
    /// The campaign's link could not be made.
    #[error(transparent)]
    Link(#[from] LinkFailure),
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
    /// Deleting: Telegram could not be reached to revoke its links; the
    /// campaign is not deleted.
    #[error("telegram unreachable")]
    Unreachable,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Campaigns of an account.
#[derive(Clone)]
pub struct CampaignService {
    pub(super) campaigns: Arc<dyn CampaignStore>,
    pub(super) bots: Arc<dyn BotStore>,
    pub(super) telegram: Arc<dyn TelegramGateway>,
    allow_private: bool,
}

/// How many times an edit reads and tries again when a concurrent edit
/// changed the campaign first.
const EDIT_ATTEMPTS: usize = 16;

/// How many codes to try before giving up (a clash is already ~1e-14 likely).
const CODE_ATTEMPTS: usize = 5;

impl CampaignService {
    /// A service over the stores and Telegram (for invite links). With
    /// `allow_private` (`postbacks.allow_private`), templates may name
    /// blocked addresses.
    pub fn new(
        campaigns: Arc<dyn CampaignStore>,
        bots: Arc<dyn BotStore>,
        telegram: Arc<dyn TelegramGateway>,
        allow_private: bool,
    ) -> Self {
        Self {
            campaigns,
            bots,
            telegram,
            allow_private,
        }
    }

    /// Adds a campaign on a chat that `bots/chats.json` offers for `bot`
    /// right now, with the settings given (`welcome` required).
    pub async fn add(
        &self,
        account: AccountId,
        bot: Option<BotId>,
        chat: Option<ChatId>,
        input: SettingsInput<'_>,
    ) -> Result<Campaign, AddCampaignError> {
        let bot = bot.ok_or(AddCampaignError::Bot)?;
        let record = match self.bots.find_bot(account, bot).await? {
            Some(record) if !record.deleted => record,
            _ => return Err(AddCampaignError::Bot),
        };
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
        if input.welcome == Given::Absent {
            return Err(AddCampaignError::Settings(SettingsError::Welcome));
        }
        let defaults = CampaignSettings {
            welcome: String::new(),
            button_text: String::new(),
            button_url: String::new(),
            unsub_window: 0,
            postbacks: Templates::default(),
            link_mode: LinkMode::None,
            join_requests: JoinRequestPolicy::Manual,
        };
        let settings = input
            .apply(&defaults, self.allow_private)
            .map_err(AddCampaignError::Settings)?;
        for _ in 0..CODE_ATTEMPTS {
            let code = generate_code();
            let link = match settings.link_mode.creates_join_request() {
                Some(requests) => Some(
                    self.make_link(&record, chat.id, &code, requests, true)
                        .await?,
                ),
                None => None,
            };
            let new = NewCampaign {
                account,
                bot,
                chat: chat.clone(),
                code,
                settings: settings.clone(),
                link: link.clone(),
            };
            let inserted = self.campaigns.insert_campaign(new).await;
            if inserted.is_err()
                && let Some(link) = &link
            {
                self.revoke_unrecorded(&record, chat.id, &link.url).await;
            }
            match inserted {
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

    /// Changes the settings given of a campaign that is not deleted;
    /// answers it as it is now.
    pub async fn edit(
        &self,
        account: AccountId,
        id: Option<CampaignId>,
        input: SettingsInput<'_>,
    ) -> Result<Campaign, EditCampaignError> {
        let id = id.ok_or(EditCampaignError::Unknown)?;
        // Compare and set: a concurrent edit of other fields is read again
        // and kept, never overwritten with what this call read.
        for _ in 0..EDIT_ATTEMPTS {
            let campaign = self
                .campaigns
                .get_campaign(account, id)
                .await?
                .filter(|c| c.status != CampaignStatus::Deleted)
                .ok_or(EditCampaignError::Unknown)?;
            let current = campaign.settings();
            let settings = input
                .apply(&current, self.allow_private)
                .map_err(EditCampaignError::Settings)?;
            let (new_primary, bot) = self.swap_links(&campaign, settings.link_mode).await?;
            let swap = self
                .campaigns
                .update_campaign(account, id, &current, &settings, new_primary.clone())
                .await;
            let recorded = matches!(swap, Ok(SettingsSwap::Updated(_)));
            if !recorded && let (Some(link), Some(bot)) = (&new_primary, &bot) {
                self.revoke_unrecorded(bot, campaign.chat, &link.url).await;
            }
            match swap? {
                SettingsSwap::Updated(campaign) => return Ok(*campaign),
                SettingsSwap::Stale => continue,
                SettingsSwap::Gone => return Err(EditCampaignError::Unknown),
            }
        }
        Err(StoreError::new(anyhow::anyhow!(
            "campaign settings kept changing under {EDIT_ATTEMPTS} edits"
        ))
        .into())
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

    /// Deletes a campaign (soft) and revokes its live invite links at
    /// Telegram first; deleting a deleted one changes nothing and calls
    /// no one. A link the
    /// bot may no longer revoke (removed from the chat, token revoked)
    /// stays listed as live; Telegram unreachable deletes nothing.
    pub async fn delete(&self, account: AccountId, id: CampaignId) -> Result<(), CampaignIdError> {
        let campaign = self.get(account, id).await?;
        if campaign.status == CampaignStatus::Deleted {
            // rules.md: a success that changes nothing, Telegram or not.
            return Ok(());
        }
        self.revoke_live_links(&campaign).await?;
        let previous = self
            .campaigns
            .set_campaign_status(
                account,
                id,
                &[CampaignStatus::Active, CampaignStatus::Paused],
                CampaignStatus::Deleted,
            )
            .await?;
        match previous {
            None => Err(CampaignIdError::Unknown),
            // A concurrent delete came first; it revoked the links.
            Some(CampaignStatus::Deleted) => Ok(()),
            // A link camp/links.json recorded while this call revoked the
            // others (no link is recorded for a deleted campaign).
            Some(_) => self.revoke_live_links(&campaign).await,
        }
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
