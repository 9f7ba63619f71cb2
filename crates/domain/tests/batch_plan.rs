//! The batch plan of the subscriber flow (`subscribers::batch`): what one
//! intake batch writes, decided without a database. Examples of each rule
//! the store used to decide in SQL-side code, and properties over random
//! batches: splitting a batch in two changes nothing that is written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use usher_domain::intake::{ChatRef, Effect, MemberEvent, MemberEventKind, StartCommand, UserRef};
use usher_domain::postbacks::Templates;
use usher_domain::subscribers::batch::{
    BatchPlan, CampaignFacts, CampaignLookup, FreshUpdate, Happenings, JournalAction, LeadKey,
    StoredLead,
};
use usher_domain::subscribers::{EventOrder, Lead, LeadStatus, StartPayload};
use usher_domain::{AccountId, BotId, CampaignId, CampaignStatus, ChatId};

const BOT: BotId = BotId(1);
const ACCOUNT: AccountId = AccountId(7);
const CHAT: i64 = -100_500;
const DAY: i64 = 1_764_547_200; // 2025-12-01 00:00 UTC

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn user(id: i64) -> UserRef {
    UserRef {
        id,
        username: Some(format!("u{id}")),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
    }
}

fn start(id: i64, code: &str, click: &str, when: i64) -> Effect {
    Effect::Start(StartCommand {
        user: user(id),
        at: at(when),
        payload: Some(StartPayload {
            code: code.into(),
            click: click.into(),
        }),
    })
}

fn member(id: i64, chat: i64, kind: MemberEventKind, when: i64) -> Effect {
    Effect::Member(MemberEvent {
        chat: ChatRef {
            id: ChatId(chat),
            title: "Channel".into(),
            kind: "channel".into(),
        },
        user: user(id),
        kind,
        old_status: None,
        new_status: None,
        actor: None,
        at: at(when),
        invite_link: None,
        invite_link_name: None,
        via_join_request: false,
    })
}

fn campaign(id: i64, code: &str, status: CampaignStatus) -> CampaignFacts {
    let mut templates = Templates::default();
    templates.0[LeadStatus::Wait.code() as usize] =
        "https://t.example/pb?c={click}&s={status}".into();
    templates.0[LeadStatus::Approve.code() as usize] =
        "https://t.example/pb?c={click}&s={status}".into();
    CampaignFacts {
        id: CampaignId(id),
        bot: BOT,
        chat: ChatId(CHAT),
        code: code.into(),
        status,
        unsub_window: 3_600,
        templates,
        links: Vec::new(),
        join_policy: usher_domain::subscribers::join_requests::JoinRequestPolicy::Manual,
    }
}

fn fresh(effects: &[Effect]) -> Vec<FreshUpdate<'_>> {
    (1..)
        .zip(effects)
        .map(|(update_id, effect)| FreshUpdate {
            bot: BOT,
            account: ACCOUNT,
            update_id,
            effect,
        })
        .collect()
}

fn plan(
    effects: &[Effect],
    campaigns: &[CampaignFacts],
    stored: &[(LeadKey, StoredLead)],
) -> BatchPlan {
    let fresh = fresh(effects);
    let happenings = Happenings::of(&fresh, campaigns);
    let stored: HashMap<_, _> = stored.iter().cloned().collect();
    for key in stored.keys() {
        assert!(
            happenings.lead_keys().contains(key),
            "only keys the batch asked for"
        );
    }
    happenings.plan(&stored)
}

fn key(campaign: i64, subscriber: i64) -> LeadKey {
    LeadKey {
        campaign: CampaignId(campaign),
        subscriber,
    }
}

#[test]
fn a_start_and_a_join_in_one_batch_make_one_approved_lead_in_event_order() {
    // Delivered join first, but the /start happened first.
    let effects = [
        member(42, CHAT, MemberEventKind::Join, DAY + 60),
        start(42, "Ab12", "click1", DAY + 10),
    ];
    let campaigns = [campaign(3, "Ab12", CampaignStatus::Active)];
    let plan = plan(&effects, &campaigns, &[]);

    assert_eq!(plan.leads.len(), 1);
    let lead = &plan.leads[0];
    assert_eq!((lead.key, lead.id), (key(3, 42), None));
    assert_eq!(lead.lead.status, LeadStatus::Approve);
    assert_eq!(lead.lead.click, "click1");
    assert_eq!(
        (lead.username.as_str(), lead.name.as_str()),
        ("u42", "Ann Lee")
    );

    let statuses: Vec<_> = plan.history.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [LeadStatus::Wait, LeadStatus::Approve]);
    let actions: Vec<_> = plan.journal.iter().map(|e| e.action).collect();
    assert_eq!(actions, [JournalAction::Start, JournalAction::Join]);
    assert!(
        plan.journal.iter().all(|e| e.lead == Some(key(3, 42))),
        "both paid"
    );
    assert_eq!(plan.welcomes.len(), 1);
    let urls: Vec<_> = plan
        .postbacks
        .iter()
        .map(|p| p.macros.fill(&p.template))
        .collect();
    assert_eq!(
        urls,
        [
            "https://t.example/pb?c=click1&s=wait",
            "https://t.example/pb?c=click1&s=approve"
        ]
    );

    let day = at(DAY).date_naive();
    assert_eq!(
        plan.rollups.days[&(CampaignId(3), day)],
        (ACCOUNT, [1, 0, 1, 0])
    );
    assert_eq!(
        plan.rollups.counts,
        BTreeMap::from([((CampaignId(3), LeadStatus::Approve), (ACCOUNT, 1))]),
        "a new lead counts once, in its status as written"
    );
    assert_eq!(plan.rollups.first_joins[&CampaignId(3)], 1);
    assert_eq!(plan.changes, [1, 0, 1, 0, 0]);
}

#[test]
fn organic_events_and_blocks_are_journaled_without_a_lead() {
    let effects = [
        member(5, CHAT, MemberEventKind::Join, DAY),
        member(5, CHAT, MemberEventKind::Changed, DAY + 1),
        Effect::Blocked {
            user: user(6),
            at: at(DAY + 2),
        },
        start(8, "Unknown", "", DAY + 3),
    ];
    let plan = plan(&effects, &[], &[]);
    assert!(plan.leads.is_empty() && plan.history.is_empty() && plan.rollups.is_empty());
    let actions: Vec<_> = plan.journal.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            JournalAction::Join,
            JournalAction::Block,
            JournalAction::Start
        ],
        "a change of rights is no happening"
    );
    assert!(
        plan.journal
            .iter()
            .all(|e| e.campaign.is_none() && e.lead.is_none())
    );
    assert_eq!(plan.blocks, [(BOT, 6)], "rule 7: the blocker's welcomes go");
    assert_eq!(plan.journal[1].chat, 6, "a block's chat is the person");
}

#[test]
fn a_deleted_campaign_is_found_by_code_but_never_by_chat() {
    let campaigns = [campaign(3, "Ab12", CampaignStatus::Deleted)];
    let effects = [
        start(42, "Ab12", "c", DAY),
        member(42, CHAT, MemberEventKind::Join, DAY + 1),
    ];
    let plan = plan(&effects, &campaigns, &[]);
    assert!(plan.leads.is_empty() && plan.welcomes.is_empty() && plan.postbacks.is_empty());
    assert_eq!(plan.journal[0].campaign, Some(CampaignId(3)));
    assert_eq!(plan.journal[1].campaign, None);
}

#[test]
fn a_start_through_another_bots_campaign_is_not_attributed() {
    let mut other = campaign(3, "Ab12", CampaignStatus::Active);
    other.bot = BotId(2);
    let plan = plan(&[start(42, "Ab12", "c", DAY)], &[other], &[]);
    assert!(plan.leads.is_empty());
    assert_eq!(plan.journal[0].campaign, None);
}

#[test]
fn a_stored_lead_that_leaves_inside_the_window_moves_counts_and_unsubs() {
    let stored = StoredLead {
        id: 90,
        lead: Lead {
            status: LeadStatus::Approve,
            click: "c".into(),
            start_time: DAY - 86_400,
            join_time: Some(DAY - 60),
            last_event: EventOrder {
                date: DAY - 60,
                update_id: 1,
            },
        },
    };
    let campaigns = [campaign(3, "Ab12", CampaignStatus::Active)];
    let effects = [member(42, CHAT, MemberEventKind::Leave, DAY)];
    let plan = plan(&effects, &campaigns, &[(key(3, 42), stored)]);
    assert_eq!(plan.leads[0].id, Some(90));
    assert_eq!(plan.leads[0].lead.status, LeadStatus::Cancel);
    assert_eq!(
        plan.rollups.counts,
        BTreeMap::from([
            ((CampaignId(3), LeadStatus::Approve), (ACCOUNT, -1)),
            ((CampaignId(3), LeadStatus::Cancel), (ACCOUNT, 1)),
        ])
    );
    assert_eq!(
        plan.rollups.days[&(CampaignId(3), at(DAY).date_naive())].1,
        [0, 0, 0, 1]
    );
    assert!(plan.rollups.first_joins.is_empty(), "it had joined before");
    assert!(plan.postbacks.is_empty(), "no cancel template");
}

#[test]
fn repeated_starts_queue_one_welcome_per_lead() {
    let campaigns = [campaign(3, "Ab12", CampaignStatus::Active)];
    let effects = [start(42, "Ab12", "a", DAY), start(42, "Ab12", "b", DAY + 5)];
    let plan = plan(&effects, &campaigns, &[]);
    assert_eq!(plan.welcomes.len(), 1);
    assert_eq!(plan.leads[0].lead.click, "b", "the last link's click");
}

#[test]
fn the_lookup_names_every_code_and_member_chat_of_the_batch() {
    let effects = [
        start(1, "Ab12", "c", DAY),
        member(2, CHAT, MemberEventKind::Join, DAY),
        member(2, CHAT, MemberEventKind::Changed, DAY),
        Effect::None,
    ];
    let lookup = CampaignLookup::of(effects.iter().map(|e| (BOT, e)));
    assert_eq!(lookup.codes, ["Ab12"]);
    assert_eq!(lookup.chats, [(BOT, ChatId(CHAT))]);
}

/// A random batch: members 1-3 of two campaigns (chats) starting, asking,
/// joining, leaving, being kicked, blocking, at scattered times.
fn effects() -> impl Strategy<Value = Vec<Effect>> {
    let one = (0u8..6, 1i64..4, 0usize..2, 0i64..5_000).prop_map(|(kind, user, chat, when)| {
        let chat_id = [CHAT, CHAT - 1][chat];
        let code = ["Ab12", "Cd34"][chat];
        let when = DAY + when;
        match kind {
            0 => start(user, code, &format!("k{when}"), when),
            1 => member(user, chat_id, MemberEventKind::JoinRequest, when),
            2 => member(user, chat_id, MemberEventKind::Join, when),
            3 => member(user, chat_id, MemberEventKind::Leave, when),
            4 => member(user, chat_id, MemberEventKind::Kicked, when),
            _ => Effect::Blocked {
                user: user_ref(user),
                at: at(when),
            },
        }
    });
    prop::collection::vec(one, 1..40)
}

fn user_ref(id: i64) -> UserRef {
    user(id)
}

fn two_campaigns() -> Vec<CampaignFacts> {
    let mut second = campaign(4, "Cd34", CampaignStatus::Active);
    second.chat = ChatId(CHAT - 1);
    vec![campaign(3, "Ab12", CampaignStatus::Active), second]
}

/// The stored leads after a plan is written (ids made up in key order).
fn written(
    before: &HashMap<LeadKey, StoredLead>,
    plan: &BatchPlan,
) -> HashMap<LeadKey, StoredLead> {
    let mut after = before.clone();
    for (n, write) in plan.leads.iter().enumerate() {
        let id = write.id.unwrap_or(1_000 + n as i64);
        after.insert(
            write.key,
            StoredLead {
                id,
                lead: write.lead.clone(),
            },
        );
    }
    after
}

fn add_counts(into: &mut BTreeMap<(CampaignId, LeadStatus), i64>, plan: &BatchPlan) {
    for (k, (_, n)) in &plan.rollups.counts {
        *into.entry(*k).or_insert(0) += n;
    }
    into.retain(|_, n| *n != 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the batch, the plan is consistent with itself: one row per
    /// lead, in key order; one journal row per happening; one welcome at
    /// most per lead; each lead's last change is its status; the counts
    /// of a campaign grow by exactly its new leads.
    #[test]
    fn a_plan_agrees_with_itself(effects in effects()) {
        let campaigns = two_campaigns();
        let plan = plan(&effects, &campaigns, &[]);
        let keys: Vec<_> = plan.leads.iter().map(|l| l.key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&keys, &sorted);
        prop_assert_eq!(plan.journal.len(), effects.len());
        let mut greeted: Vec<_> = plan.welcomes.iter().map(|w| w.lead).collect();
        greeted.sort();
        greeted.dedup();
        prop_assert_eq!(greeted.len(), plan.welcomes.len());
        for write in &plan.leads {
            let last = plan.history.iter().rev().find(|c| c.lead == write.key).map(|c| c.status);
            prop_assert_eq!(last, Some(write.lead.status), "a new lead's history ends in its status");
        }
        for c in &campaigns {
            let grown: i64 = plan.rollups.counts.iter()
                .filter(|((id, _), _)| *id == c.id)
                .map(|(_, (_, n))| n)
                .sum();
            let created = plan.leads.iter().filter(|l| l.key.campaign == c.id).count() as i64;
            prop_assert_eq!(grown, created);
        }
        let changes: u64 = plan.changes.iter().sum();
        prop_assert_eq!(changes as usize, plan.history.len());
    }

    /// Group commit may cut the same updates into batches anywhere: two
    /// batches, the second reading what the first wrote, leave the same
    /// leads, history, journal, counts and rollups as one batch.
    #[test]
    fn splitting_a_batch_changes_nothing_written(effects in effects(), cut in 0usize..40) {
        let campaigns = two_campaigns();
        // Batches follow one another in event order: sort by (date, id).
        let mut ordered: Vec<(i64, Effect)> = effects
            .into_iter()
            .map(|e| (when_of(&e), e))
            .collect();
        ordered.sort_by_key(|(w, _)| *w);
        let effects: Vec<Effect> = ordered.into_iter().map(|(_, e)| e).collect();
        let cut = cut.min(effects.len());
        let fresh_all = fresh(&effects);
        let (first, second) = fresh_all.split_at(cut);

        let whole = Happenings::of(&fresh_all, &campaigns).plan(&HashMap::new());

        let plan_one = Happenings::of(first, &campaigns).plan(&HashMap::new());
        let after_one = written(&HashMap::new(), &plan_one);
        let happenings_two = Happenings::of(second, &campaigns);
        let read: HashMap<_, _> = happenings_two
            .lead_keys()
            .into_iter()
            .filter_map(|k| after_one.get(&k).map(|s| (k, s.clone())))
            .collect();
        let plan_two = happenings_two.plan(&read);
        let after_two = written(&after_one, &plan_two);

        let final_whole: BTreeMap<_, _> = whole.leads.iter().map(|l| (l.key, l.lead.clone())).collect();
        let final_split: BTreeMap<_, _> = after_two.iter().map(|(k, s)| (*k, s.lead.clone())).collect();
        prop_assert_eq!(final_whole, final_split);

        let history = |p: &BatchPlan| p.history.iter().map(|c| (c.lead, c.status, c.at)).collect::<Vec<_>>();
        let mut split_history = history(&plan_one);
        split_history.extend(history(&plan_two));
        prop_assert_eq!(history(&whole), split_history);

        let journal = |p: &BatchPlan| p.journal.iter().map(|e| (e.action, e.user, e.campaign, e.lead.is_some())).collect::<Vec<_>>();
        let mut split_journal = journal(&plan_one);
        split_journal.extend(journal(&plan_two));
        prop_assert_eq!(journal(&whole), split_journal);

        let mut counts_whole = BTreeMap::new();
        add_counts(&mut counts_whole, &whole);
        let mut counts_split = BTreeMap::new();
        add_counts(&mut counts_split, &plan_one);
        add_counts(&mut counts_split, &plan_two);
        prop_assert_eq!(counts_whole, counts_split);

        let mut days_split: BTreeMap<_, [i64; 4]> = BTreeMap::new();
        for p in [&plan_one, &plan_two] {
            for (k, (_, c)) in &p.rollups.days {
                let e = days_split.entry(*k).or_insert([0; 4]);
                for n in 0..4 { e[n] += c[n]; }
            }
        }
        let days_whole: BTreeMap<_, _> = whole.rollups.days.iter().map(|(k, (_, c))| (*k, *c)).collect();
        prop_assert_eq!(days_whole, days_split);

        let mut joins_split = plan_one.rollups.first_joins.clone();
        for (k, n) in &plan_two.rollups.first_joins {
            *joins_split.entry(*k).or_insert(0) += n;
        }
        prop_assert_eq!(whole.rollups.first_joins, joins_split);
        prop_assert_eq!(whole.postbacks.len(), plan_one.postbacks.len() + plan_two.postbacks.len());
    }
}

fn when_of(effect: &Effect) -> i64 {
    match effect {
        Effect::Start(s) => s.at.timestamp(),
        Effect::Member(m) => m.at.timestamp(),
        Effect::Blocked { at, .. } => at.timestamp(),
        _ => 0,
    }
}

fn through_link(mut effect: Effect, url: &str) -> Effect {
    if let Effect::Member(event) = &mut effect {
        event.invite_link = Some(url.into());
    }
    effect
}

#[test]
fn joins_and_requests_through_a_campaigns_link_make_leads_and_say_which_link() {
    use usher_domain::invite_links::LinkId;
    const OURS: &str = "https://t.me/+AbCdEfGh12345678";
    let mut linked = campaign(3, "Ab12", CampaignStatus::Active);
    linked.links = vec![(OURS.into(), LinkId(5))];
    let effects = [
        through_link(member(42, CHAT, MemberEventKind::Join, DAY + 10), OURS),
        through_link(
            member(43, CHAT, MemberEventKind::Join, DAY + 11),
            "https://t.me/+AbCdEfGh1234…",
        ),
        through_link(
            member(44, CHAT, MemberEventKind::JoinRequest, DAY + 12),
            OURS,
        ),
        start(45, "Ab12", "click45", DAY + 13),
        through_link(member(45, CHAT, MemberEventKind::Join, DAY + 14), OURS),
    ];
    let lookup = CampaignLookup::of(effects.iter().map(|e| (BOT, e)));
    assert_eq!(
        lookup.links.len(),
        4,
        "every link a member event came through"
    );
    let plan = plan(&effects, &[linked], &[]);

    let leads: Vec<_> = plan
        .leads
        .iter()
        .map(|l| (l.key.subscriber, l.lead.status, l.lead.click.as_str()))
        .collect();
    assert_eq!(
        leads,
        [
            (42, LeadStatus::Approve, ""),
            (44, LeadStatus::Hold, ""),
            (45, LeadStatus::Approve, "click45"),
        ],
        "an elided link (another administrator's) is organic"
    );
    let journal: Vec<_> = plan
        .journal
        .iter()
        .map(|e| (e.user, e.link, e.lead.is_some()))
        .collect();
    assert_eq!(
        journal,
        [
            (42, Some(LinkId(5)), true),
            (43, None, false),
            (44, Some(LinkId(5)), true),
            (45, None, true),
            (45, Some(LinkId(5)), true),
        ]
    );
    assert_eq!(plan.welcomes.len(), 1, "only the /start greets");
    let statuses: Vec<_> = plan.postbacks.iter().map(|p| p.macros.status).collect();
    assert_eq!(
        statuses,
        [LeadStatus::Approve, LeadStatus::Wait, LeadStatus::Approve],
        "the campaign has no hold template"
    );
    let day = at(DAY).date_naive();
    assert_eq!(
        plan.rollups.days[&(CampaignId(3), day)],
        (ACCOUNT, [3, 1, 2, 0]),
        "a lead by link counts as a start, as every lead does"
    );
}

#[test]
fn a_campaigns_join_request_policy_queues_its_greeting_and_answer() {
    use usher_domain::subscribers::join_requests::{JoinRequestPolicy, RequestAnswer};
    let request = |id| member(id, CHAT, MemberEventKind::JoinRequest, DAY + 20);
    for (policy, status, greets, answer) in [
        (
            JoinRequestPolicy::Manual,
            CampaignStatus::Active,
            false,
            None,
        ),
        (
            JoinRequestPolicy::Approve,
            CampaignStatus::Active,
            false,
            Some(RequestAnswer::Approve),
        ),
        (
            JoinRequestPolicy::AfterWelcome,
            CampaignStatus::Active,
            true,
            Some(RequestAnswer::Approve),
        ),
        (
            JoinRequestPolicy::Decline,
            CampaignStatus::Active,
            false,
            Some(RequestAnswer::Decline),
        ),
        (
            JoinRequestPolicy::AfterWelcome,
            CampaignStatus::Paused,
            false,
            None,
        ),
    ] {
        let mut camp = campaign(3, "Ab12", status);
        camp.join_policy = policy;
        // A lead from the deep link asks to join, and so does a stranger.
        let effects = [start(42, "Ab12", "c", DAY + 10), request(42), request(43)];
        let first = plan(&effects, &[camp], &[]);
        let greetings: Vec<_> = first
            .welcomes
            .iter()
            .filter(|w| w.requested.is_some())
            .collect();
        // The /start already greets in this batch: one welcome per lead.
        assert!(greetings.is_empty(), "{policy:?}");
        let answers: Vec<_> = first
            .answers
            .iter()
            .map(|a| (a.lead.subscriber, a.answer))
            .collect();
        assert_eq!(
            answers,
            answer.map(|a| (42, a)).into_iter().collect::<Vec<_>>(),
            "{policy:?} {status:?}"
        );
        assert!(first.answers.iter().all(|a| a.chat == ChatId(CHAT)));

        // Asked in a later batch, the request of a lead is greeted.
        let stored = [(
            key(3, 42),
            StoredLead {
                id: 9,
                lead: Lead {
                    status: LeadStatus::Wait,
                    click: "c".into(),
                    start_time: DAY + 10,
                    join_time: None,
                    last_event: EventOrder {
                        date: DAY + 10,
                        update_id: 1,
                    },
                },
            },
        )];
        let mut camp = campaign(3, "Ab12", status);
        camp.join_policy = policy;
        let later = plan(&[request(42)], &[camp], &stored);
        let greeted: Vec<_> = later.welcomes.iter().map(|w| w.requested).collect();
        let expected = if greets {
            vec![Some(at(DAY + 20))]
        } else {
            vec![]
        };
        assert_eq!(greeted, expected, "{policy:?} {status:?}");
        assert_eq!(later.answers.len(), usize::from(answer.is_some()));
    }
}
