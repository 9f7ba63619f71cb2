//! A batch's happenings and the rules of [`crate::subscribers::rules`]
//! run over them, event by event.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::rollups::rollups;
use super::types::{
    BatchPlan, CampaignFacts, FreshUpdate, JournalAction, JournalEntry, LeadKey, LeadWrite,
    QueuedAnswer, QueuedPostback, QueuedWelcome, StatusChange, StoredLead, full_name,
};
use crate::intake::{Effect, MemberEventKind, UserRef};
use crate::invite_links::LinkId;
use crate::postbacks::PostbackMacros;
use crate::subscribers::join_requests::{campaign_of_link, plan_request};
use crate::subscribers::{
    CampaignState, EventOrder, Lead, LeadChange, LeadStatus, SubscriberEvent, apply,
};
use crate::{AccountId, BotId, CampaignStatus};

/// What a happening concerns: the campaign code of a `/start` (with the
/// click), the live campaign of the chat, or nothing.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Code(&'a str, &'a str),
    Chat,
    Nothing,
}

/// Something a person did that the journal records and the rules may act on.
#[derive(Debug, Clone)]
struct Happening<'a> {
    bot: BotId,
    account: AccountId,
    chat: i64,
    user: &'a UserRef,
    action: JournalAction,
    at: DateTime<Utc>,
    order: EventOrder,
    target: Target<'a>,
    /// The invite link of a member event, as Telegram showed it.
    invite_link: Option<&'a str>,
    /// The campaign it concerns (of the bot that received it).
    campaign: Option<&'a CampaignFacts>,
    /// The campaign's invite link it came through: an exact match of
    /// `invite_link` with one usher made for the campaign.
    link: Option<LinkId>,
}

/// A batch's happenings, in `(date, update_id)` order, each with the
/// campaign it concerns.
#[derive(Debug)]
pub struct Happenings<'a> {
    list: Vec<Happening<'a>>,
}

impl<'a> Happenings<'a> {
    /// The happenings of `fresh`, in `(date, update_id)` order, each with
    /// its campaign among `campaigns`: a `/start`'s by code (through the
    /// bot that received it, whatever its status), a member event's by
    /// the live (not deleted) campaign of its bot and chat.
    pub fn of(fresh: &'a [FreshUpdate<'a>], campaigns: &'a [CampaignFacts]) -> Self {
        let by_code: HashMap<&str, &CampaignFacts> =
            campaigns.iter().map(|c| (c.code.as_str(), c)).collect();
        let by_chat: HashMap<(BotId, i64), &CampaignFacts> = campaigns
            .iter()
            .filter(|c| c.status != CampaignStatus::Deleted)
            .map(|c| ((c.bot, c.chat.0), c))
            .collect();
        let mut list: Vec<Happening<'a>> = fresh.iter().filter_map(happening_of).collect();
        list.sort_by_key(|h| h.order);
        for h in &mut list {
            h.campaign = match h.target {
                Target::Code(code, _) => by_code.get(code).copied().filter(|c| c.bot == h.bot),
                Target::Chat => by_chat.get(&(h.bot, h.chat)).copied(),
                Target::Nothing => None,
            };
            h.link = match (h.campaign, h.invite_link) {
                (Some(campaign), Some(url)) => campaign_link_of(campaign, url),
                _ => None,
            };
        }
        Self { list }
    }

    /// Whether the batch has nothing for the subscriber flow.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The leads the rules may read or write, sorted and distinct: the
    /// store locks these keys, in this order, and reads their rows.
    pub fn lead_keys(&self) -> Vec<LeadKey> {
        let mut keys: Vec<LeadKey> = self
            .list
            .iter()
            .filter(|h| h.action != JournalAction::Block)
            .filter_map(|h| {
                h.campaign.map(|c| LeadKey {
                    campaign: c.id,
                    subscriber: h.user.id,
                })
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Runs the rules over the happenings, given the leads stored before
    /// the batch (any of [`Happenings::lead_keys`]; a key not among them
    /// has no lead yet).
    pub fn plan(&self, stored: &HashMap<LeadKey, StoredLead>) -> BatchPlan {
        let mut plan = BatchPlan::default();
        let mut slots: HashMap<LeadKey, Slot> = HashMap::new();
        let mut greeted: HashSet<LeadKey> = HashSet::new();
        for h in &self.list {
            let entry = |lead| JournalEntry {
                account: h.account,
                bot: h.bot,
                chat: h.chat,
                user: h.user.id,
                username: h.user.username.clone().unwrap_or_default(),
                name: full_name(h.user),
                action: h.action,
                campaign: h.campaign.map(|c| c.id),
                lead,
                link: h.link,
                at: h.at,
            };
            if h.action == JournalAction::Block {
                plan.blocks.push((h.bot, h.user.id));
            }
            let (Some(campaign), Some(event)) = (h.campaign, event_of(h)) else {
                plan.journal.push(entry(None));
                continue;
            };
            let key = LeadKey {
                campaign: campaign.id,
                subscriber: h.user.id,
            };
            let state = CampaignState {
                status: campaign.status,
                unsub_window: campaign.unsub_window,
            };
            let current = match slots.get(&key) {
                Some(slot) => Some(&slot.lead),
                None => stored.get(&key).map(|s| &s.lead),
            };
            let before = current.map(|l| l.status);
            let decision = apply(current, state, &event, h.order);
            plan.journal.push(entry(decision.paid.then_some(key)));
            let next = match decision.lead {
                LeadChange::Unchanged => continue,
                LeadChange::Created(lead) | LeadChange::Updated(lead) => lead,
            };
            if before != Some(next.status) {
                plan.history.push(StatusChange {
                    lead: key,
                    account: h.account,
                    status: next.status,
                    at: h.at,
                });
            }
            if decision.welcome && greeted.insert(key) {
                plan.welcomes.push(QueuedWelcome {
                    requested: None,
                    account: h.account,
                    bot: h.bot,
                    lead: key,
                });
            }
            if h.action == JournalAction::Request && next.status == LeadStatus::Hold {
                // The campaign's join-request policy (issue 26).
                let active = campaign.status == CampaignStatus::Active;
                let request = plan_request(campaign.join_policy, active);
                if request.greet && greeted.insert(key) {
                    plan.welcomes.push(QueuedWelcome {
                        requested: Some(h.at),
                        account: h.account,
                        bot: h.bot,
                        lead: key,
                    });
                }
                if let Some(answer) = request.answer {
                    plan.answers.push(QueuedAnswer {
                        account: h.account,
                        bot: h.bot,
                        lead: key,
                        chat: campaign.chat,
                        answer,
                    });
                }
            }
            if let Some(status) = decision.postback {
                let template = campaign.templates.of(status);
                if !template.is_empty() {
                    plan.postbacks.push(QueuedPostback {
                        lead: key,
                        account: h.account,
                        bot: h.bot,
                        template: template.to_owned(),
                        macros: PostbackMacros {
                            click: next.click.clone(),
                            status,
                            campaign: campaign.code.clone(),
                            account: h.account.0,
                            lead: 0,
                            subscriber: h.user.id,
                            username: h.user.username.clone().unwrap_or_default(),
                            chat: campaign.chat.0,
                            time: h.at.timestamp(),
                        },
                    });
                }
            }
            slots.insert(
                key,
                Slot {
                    account: h.account,
                    lead: next,
                    username: h.user.username.clone().unwrap_or_default(),
                    name: full_name(h.user),
                },
            );
        }
        for change in &plan.history {
            plan.changes[change.status.code() as usize] += 1;
        }
        let mut leads: Vec<LeadWrite> = slots
            .into_iter()
            .map(|(key, slot)| LeadWrite {
                key,
                id: stored.get(&key).map(|s| s.id),
                account: slot.account,
                lead: slot.lead,
                username: slot.username,
                name: slot.name,
            })
            .collect();
        leads.sort_by_key(|l| l.key);
        plan.rollups = rollups(&leads, &plan.history, stored);
        plan.leads = leads;
        plan
    }
}

/// A lead the batch changed, as of its last event so far.
struct Slot {
    account: AccountId,
    lead: Lead,
    username: String,
    name: String,
}

fn happening_of<'a>(f: &'a FreshUpdate<'a>) -> Option<Happening<'a>> {
    let make = |chat, user, action, at: &DateTime<Utc>, target| Happening {
        bot: f.bot,
        account: f.account,
        chat,
        user,
        action,
        at: *at,
        order: EventOrder {
            date: at.timestamp(),
            update_id: f.update_id,
        },
        target,
        invite_link: None,
        campaign: None,
        link: None,
    };
    match f.effect {
        Effect::Start(start) => {
            let target = match &start.payload {
                Some(p) => Target::Code(&p.code, &p.click),
                None => Target::Nothing,
            };
            Some(make(
                start.user.id,
                &start.user,
                JournalAction::Start,
                &start.at,
                target,
            ))
        }
        Effect::Member(event) => {
            let action = match event.kind {
                MemberEventKind::Join | MemberEventKind::Approved => JournalAction::Join,
                MemberEventKind::Leave => JournalAction::Leave,
                MemberEventKind::Kicked => JournalAction::Kick,
                MemberEventKind::JoinRequest => JournalAction::Request,
                MemberEventKind::Changed => return None,
            };
            let mut happening = make(
                event.chat.id.0,
                &event.user,
                action,
                &event.at,
                Target::Chat,
            );
            happening.invite_link = event.invite_link.as_deref();
            Some(happening)
        }
        Effect::Blocked { user, at } => Some(make(
            user.id,
            user,
            JournalAction::Block,
            at,
            Target::Nothing,
        )),
        _ => None,
    }
}

/// The campaign's link `url` is, if it is one of the campaign's (the rule
/// of [`campaign_of_link`]: an exact match, never an elided link).
fn campaign_link_of(campaign: &CampaignFacts, url: &str) -> Option<LinkId> {
    campaign_of_link(
        url,
        campaign.links.iter().map(|(own, id)| (own.as_str(), *id)),
    )
}

/// The rules' event for a happening; `None` for one they ignore (a block,
/// a `/start` without a campaign code).
fn event_of(h: &Happening<'_>) -> Option<SubscriberEvent> {
    Some(match (h.action, h.target) {
        (JournalAction::Start, Target::Code(_, click)) => SubscriberEvent::Start {
            click: click.to_owned(),
        },
        (JournalAction::Request, _) if h.link.is_some() => SubscriberEvent::RequestThroughLink,
        (JournalAction::Join, _) if h.link.is_some() => SubscriberEvent::JoinThroughLink,
        (JournalAction::Request, _) => SubscriberEvent::JoinRequest,
        (JournalAction::Join, _) => SubscriberEvent::Join,
        (JournalAction::Leave, _) => SubscriberEvent::Leave,
        (JournalAction::Kick, _) => SubscriberEvent::Kick,
        _ => return None,
    })
}
