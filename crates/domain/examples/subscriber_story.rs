//! The subscriber story of `subscribers.md`, told with usher's rules alone:
//! no database, no Telegram, no HTTP.
//!
//! An ad click opens the bot through a deep link (`/start Ab12Cd34-click42`),
//! the person joins the tracked channel, and later leaves it. Each webhook
//! body is read with [`parse_update`] exactly as usher's intake reads it; the
//! batch plan decides what a store would write (the lead, its history, the
//! journal, the welcome and the postbacks to queue, the counters), and the
//! postback URLs are filled as the tracker would receive them.
//!
//! Run it with `cargo run -p usher-domain --example subscriber_story`; it
//! checks its own outcome and exits non-zero if the rules ever disagree.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use usher_domain::intake::parse_update;
use usher_domain::postbacks::Templates;
use usher_domain::subscribers::LeadStatus;
use usher_domain::subscribers::batch::{
    BatchPlan, CampaignFacts, CampaignLookup, FreshUpdate, Happenings, LeadKey, StoredLead,
};
use usher_domain::{AccountId, BotId, CampaignId, CampaignStatus, ChatId};

const CHANNEL: i64 = -1_001_234_567_890;

/// Three deliveries as Telegram sends them to the webhook.
fn webhook_bodies() -> [String; 3] {
    let ann = r#"{"id":4242,"is_bot":false,"first_name":"Ann","username":"ann"}"#;
    let chat = format!(r#"{{"id":{CHANNEL},"title":"My Channel","type":"channel"}}"#);
    let member = |update_id: i64, date: i64, old: &str, new: &str| {
        format!(
            r#"{{"update_id":{update_id},"chat_member":{{"chat":{chat},"from":{ann},"date":{date},
               "old_chat_member":{{"user":{ann},"status":"{old}"}},
               "new_chat_member":{{"user":{ann},"status":"{new}"}}}}}}"#
        )
    };
    [
        format!(
            r#"{{"update_id":100,"message":{{"message_id":1,"date":1764583200,
               "chat":{{"id":4242,"type":"private","first_name":"Ann"}},"from":{ann},
               "text":"/start Ab12Cd34-click42","entities":[{{"type":"bot_command","offset":0,"length":6}}]}}}}"#
        ),
        member(101, 1_764_583_260, "left", "member"),
        member(102, 1_764_583_500, "member", "left"),
    ]
}

/// The campaign the deep link names, as a store would read it.
fn campaign() -> CampaignFacts {
    let mut templates = Templates::default();
    for status in [LeadStatus::Wait, LeadStatus::Approve, LeadStatus::Cancel] {
        templates.0[status.code() as usize] =
            "https://keitaro.example/abc/postback?subid={click}&status={status}".into();
    }
    CampaignFacts {
        id: CampaignId(3),
        bot: BotId(1),
        chat: ChatId(CHANNEL),
        code: "Ab12Cd34".into(),
        status: CampaignStatus::Active,
        unsub_window: 3_600,
        templates,
        links: Vec::new(),
        join_policy: usher_domain::subscribers::join_requests::JoinRequestPolicy::Manual,
    }
}

fn main() {
    let bodies = webhook_bodies();
    let updates: Vec<_> = bodies
        .iter()
        .map(|body| parse_update(body.as_bytes()).expect("a Telegram Update"))
        .collect();
    let fresh: Vec<FreshUpdate<'_>> = updates
        .iter()
        .map(|update| FreshUpdate {
            bot: BotId(1),
            account: AccountId(7),
            update_id: update.update_id,
            effect: &update.effect,
        })
        .collect();

    // What a store reads: the campaigns the batch names, then its leads.
    let lookup = CampaignLookup::of(fresh.iter().map(|f| (f.bot, f.effect)));
    println!(
        "campaigns to read: codes {:?}, chats {:?}",
        lookup.codes, lookup.chats
    );
    let campaigns = [campaign()];
    let happenings = Happenings::of(&fresh, &campaigns);
    println!("leads to lock and read: {:?}", happenings.lead_keys());
    let stored: HashMap<LeadKey, StoredLead> = HashMap::new(); // a first visit
    let plan = happenings.plan(&stored);
    print_plan(&plan);

    let lead = &plan.leads[0];
    assert_eq!(
        lead.lead.status,
        LeadStatus::Cancel,
        "left inside the window"
    );
    assert_eq!(lead.lead.click, "click42");
    let path: Vec<_> = plan.history.iter().map(|c| c.status.name()).collect();
    assert_eq!(path, ["wait", "approve", "cancel"]);
    assert_eq!(plan.welcomes.len(), 1, "one welcome after /start");
    assert_eq!(plan.postbacks.len(), 3);
    assert_eq!(plan.journal.len(), 3);
    println!("the story holds");
}

fn print_plan(plan: &BatchPlan) {
    for write in &plan.leads {
        println!(
            "lead {:?}: {} ({}), click {:?}, status {}",
            write.key,
            write.name,
            write.username,
            write.lead.click,
            write.lead.status.name()
        );
    }
    for entry in &plan.journal {
        println!(
            "journal: {} by {} at {}, paid: {}",
            entry.action.as_str(),
            entry.user,
            entry.at,
            entry.lead.is_some()
        );
    }
    for welcome in &plan.welcomes {
        println!(
            "welcome queued for {:?} through bot {:?}",
            welcome.lead, welcome.bot
        );
    }
    for postback in &plan.postbacks {
        let mut macros = postback.macros.clone();
        macros.lead = 17; // the id the store gives the lead
        println!("postback: GET {}", macros.fill(&postback.template));
    }
    println!("stats/days additions: {:?}", plan.rollups.days);
}
