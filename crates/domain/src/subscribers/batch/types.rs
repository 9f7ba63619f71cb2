//! What a batch plan takes and gives.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::intake::{Effect, MemberEventKind, UserRef};
use crate::invite_links::LinkId;
use crate::postbacks::{PostbackMacros, Templates};
use crate::subscribers::join_requests::{JoinRequestPolicy, RequestAnswer};
use crate::subscribers::{Lead, LeadStatus};
use crate::{AccountId, BotId, CampaignId, CampaignStatus, ChatId};

/// One new update of a batch (not a redelivery), with its bot's account.
#[derive(Debug, Clone, Copy)]
pub struct FreshUpdate<'a> {
    /// The bot that received it.
    pub bot: BotId,
    /// The bot's account.
    pub account: AccountId,
    /// Its `update_id`.
    pub update_id: i64,
    /// What it does.
    pub effect: &'a Effect,
}

/// A campaign a batch's update may concern, as the rules need it.
#[derive(Debug, Clone)]
pub struct CampaignFacts {
    /// Its id.
    pub id: CampaignId,
    /// The bot it runs through.
    pub bot: BotId,
    /// The chat it tracks.
    pub chat: ChatId,
    /// Its code (the deep link's first part).
    pub code: String,
    /// Active, paused or deleted.
    pub status: CampaignStatus,
    /// Rule 5's window, in seconds.
    pub unsub_window: i64,
    /// The postback templates in effect (the campaign's own, or else its
    /// account's: [`Templates::effective`]).
    pub templates: Templates,
    /// Those of its invite links (revoked ones too) that the batch's
    /// member events came through: URL and id.
    pub links: Vec<(String, LinkId)>,
    /// What it does with a join request for its chat.
    pub join_policy: JoinRequestPolicy,
}

/// A lead: one person through one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeadKey {
    /// The campaign.
    pub campaign: CampaignId,
    /// The person's Telegram user id.
    pub subscriber: i64,
}

/// A journal row's action (`journal/list.json`'s `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalAction {
    /// Joined the chat (also an approved request).
    Join,
    /// Left it.
    Leave,
    /// Was removed or banned.
    Kick,
    /// Asked to join.
    Request,
    /// Started the bot.
    Start,
    /// Blocked the bot.
    Block,
}

impl JournalAction {
    /// The word the journal stores and the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalAction::Join => "join",
            JournalAction::Leave => "leave",
            JournalAction::Kick => "kick",
            JournalAction::Request => "request",
            JournalAction::Start => "start",
            JournalAction::Block => "block",
        }
    }
}

/// A lead as stored before the batch.
#[derive(Debug, Clone)]
pub struct StoredLead {
    /// Its id.
    pub id: i64,
    /// Its state.
    pub lead: Lead,
}

/// A lead the batch writes (created or changed).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadWrite {
    /// Which lead.
    pub key: LeadKey,
    /// Its id if it was stored before the batch.
    pub id: Option<i64>,
    /// The account of its campaign.
    pub account: AccountId,
    /// Its state after the batch.
    pub lead: Lead,
    /// The person's username as of its last event (`""`: none).
    pub username: String,
    /// The person's first and last name as of its last event.
    pub name: String,
}

/// A journal row. `lead` is the lead it belongs to when it is paid
/// (`None`: organic or not paid); the store writes that lead's id.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// The account.
    pub account: AccountId,
    /// The bot that received the update.
    pub bot: BotId,
    /// The chat (the person's own id for `/start` and blocks).
    pub chat: i64,
    /// The person.
    pub user: i64,
    /// Their username (`""`: none).
    pub username: String,
    /// Their name.
    pub name: String,
    /// What they did.
    pub action: JournalAction,
    /// The campaign it concerns, if any.
    pub campaign: Option<CampaignId>,
    /// The lead it is paid to.
    pub lead: Option<LeadKey>,
    /// The campaign's invite link it came through, if any.
    pub link: Option<LinkId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A welcome to queue for a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedWelcome {
    /// For a greeting of a join request through its `user_chat_id`: the
    /// request's date (it may go for five minutes from it, until the
    /// request is decided). `None` for the welcome of a `/start`.
    pub requested: Option<DateTime<Utc>>,
    /// The account.
    pub account: AccountId,
    /// The bot that sends it.
    pub bot: BotId,
    /// The lead it greets (its subscriber is the recipient).
    pub lead: LeadKey,
}

/// An answer to a join request to queue (`approveChatJoinRequest` or
/// `declineChatJoinRequest`), after the lead's greeting when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedAnswer {
    /// The account.
    pub account: AccountId,
    /// The bot that answers.
    pub bot: BotId,
    /// The lead whose request it answers (its subscriber is the requester).
    pub lead: LeadKey,
    /// The chat of the request.
    pub chat: ChatId,
    /// Approve or decline.
    pub answer: RequestAnswer,
}

/// A postback to queue; `macros.lead` is filled by the store once the
/// lead's id is known.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPostback {
    /// The lead it reports.
    pub lead: LeadKey,
    /// The account.
    pub account: AccountId,
    /// The bot of the campaign.
    pub bot: BotId,
    /// The template it fills (never empty).
    pub template: String,
    /// Every macro but `{lead}`, as of the status change.
    pub macros: PostbackMacros,
}

/// A lead's status change, for `lead_history` and the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// Which lead.
    pub lead: LeadKey,
    /// The account of its campaign.
    pub account: AccountId,
    /// Its new status.
    pub status: LeadStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a batch adds to its campaigns' rollups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollups {
    /// `stats_days`: (campaign, UTC day) -> (account, [starts, holds,
    /// confirms, unsubs]).
    pub days: BTreeMap<(CampaignId, NaiveDate), (AccountId, [i64; 4])>,
    /// `lead_counts`: (campaign, status) -> (account, leads added, negative
    /// when more left the status than reached it); no zeros.
    pub counts: BTreeMap<(CampaignId, LeadStatus), (AccountId, i64)>,
    /// `campaign_confirms`: campaign -> leads that joined for the first
    /// time (a `join_time` is never cleared).
    pub first_joins: BTreeMap<CampaignId, i64>,
}

impl Rollups {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.counts.is_empty() && self.first_joins.is_empty()
    }
}

/// Everything a batch writes for the subscriber flow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchPlan {
    /// The leads created or changed, in key order.
    pub leads: Vec<LeadWrite>,
    /// Every status change, in event order.
    pub history: Vec<StatusChange>,
    /// One row per happening, in event order.
    pub journal: Vec<JournalEntry>,
    /// Welcomes, at most one per lead, in event order.
    pub welcomes: Vec<QueuedWelcome>,
    /// Postbacks, in the order of the changes that caused them.
    pub postbacks: Vec<QueuedPostback>,
    /// Answers to join requests, by the campaigns' policies, in event
    /// order.
    pub answers: Vec<QueuedAnswer>,
    /// (bot, person) pairs that blocked the bot: their pending welcomes
    /// are dropped (rule 7), after this batch's own are queued.
    pub blocks: Vec<(BotId, i64)>,
    /// The rollups' additions.
    pub rollups: Rollups,
    /// Status changes per status (`LeadStatus::code` as the index).
    pub changes: [u64; 5],
}

/// The campaigns a batch's updates may concern: the codes of its
/// `/start`s and the (bot, chat) pairs of its member events. A superset
/// (the plan looks up only what each new update concerns), so that it can
/// be built from every update of a batch and read in the same round trip
/// as the bots.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CampaignLookup<'a> {
    /// Campaign codes, any status.
    pub codes: Vec<&'a str>,
    /// (bot, chat) pairs whose live campaign (not deleted) is wanted.
    pub chats: Vec<(BotId, ChatId)>,
    /// The invite links member events came through, to match with the
    /// campaigns' own.
    pub links: Vec<&'a str>,
}

impl<'a> CampaignLookup<'a> {
    /// The lookup for these (bot, effect) pairs.
    pub fn of(effects: impl Iterator<Item = (BotId, &'a Effect)>) -> Self {
        let mut lookup = Self::default();
        for (bot, effect) in effects {
            match effect {
                Effect::Start(start) => {
                    if let Some(payload) = &start.payload {
                        lookup.codes.push(&payload.code);
                    }
                }
                Effect::Member(event) if event.kind != MemberEventKind::Changed => {
                    lookup.chats.push((bot, event.chat.id));
                    if let Some(link) = &event.invite_link {
                        lookup.links.push(link);
                    }
                }
                _ => {}
            }
        }
        lookup
    }

    /// Whether nothing needs reading.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.chats.is_empty()
    }
}

/// The person's first and last name, as the journal and leads show it.
pub fn full_name(user: &UserRef) -> String {
    [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}
