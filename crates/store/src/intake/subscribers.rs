//! The subscriber flow inside the intake transaction: `/start`, join
//! requests, joins, leaves, kicks and blocks of a batch of new updates feed
//! the rules of `usher_domain::subscribers`, and what they decide (leads,
//! their history, the journal, welcome messages in the outbox) is written
//! with a few multi-row statements, in the transaction that records the
//! updates.

use std::collections::{BTreeMap, HashMap};

use crate::cached_sql::sql_query;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, BigInt, Date, Nullable, SmallInt, Text, Timestamptz};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::CampaignStatus;
use usher_domain::intake::{Effect, MemberEventKind, UserRef};
use usher_domain::postbacks::{PostbackMacros, Templates, target_of};
use usher_domain::subscribers::{
    CampaignState, EventOrder, Lead, LeadChange, LeadStatus, SubscriberEvent, apply,
};

/// The channel idle outbox workers listen on.
pub(crate) const OUTBOX_CHANNEL: &str = "usher_outbox";

/// The lead status changes a batch made, counted for the metrics once the
/// batch commits.
#[derive(Debug, Default)]
pub(crate) struct StatusChanges([u64; 5]);

impl StatusChanges {
    /// Adds them to `leads_status_changes_total{status}`.
    pub(crate) fn record(&self) {
        for (status, n) in LeadStatus::ALL.iter().zip(self.0) {
            if n > 0 {
                metrics::counter!("leads_status_changes_total", "status" => status.name())
                    .increment(n);
            }
        }
    }
}

/// One new update of the batch, with the account of its bot.
pub(crate) struct Fresh<'a> {
    pub bot: i64,
    pub account: i64,
    pub update_id: i64,
    pub effect: &'a Effect,
}

/// A journal action.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Join,
    Leave,
    Kick,
    Request,
    Start,
    Block,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Join => "join",
            Action::Leave => "leave",
            Action::Kick => "kick",
            Action::Request => "request",
            Action::Start => "start",
            Action::Block => "block",
        }
    }
}

/// Something a person did that the journal records and the rules may act on.
struct Happening<'a> {
    bot: i64,
    account: i64,
    chat: i64,
    user: &'a UserRef,
    action: Action,
    at: DateTime<Utc>,
    order: EventOrder,
    /// The campaign code of a `/start` (with the click), or the chat whose
    /// live campaign it concerns.
    target: Target<'a>,
}

enum Target<'a> {
    Code(&'a str, &'a str),
    Chat,
    Nothing,
}

/// A campaign a batch's update may concern, with its and its account's
/// postback templates.
#[derive(QueryableByName, Clone)]
pub(crate) struct CampaignRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    bot_id: i64,
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = BigInt)]
    unsub_window: i64,
    #[diesel(sql_type = Array<Text>)]
    own_templates: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    global_templates: Vec<String>,
}

impl CampaignRow {
    /// The template that reports `status`, as the all-or-nothing rule
    /// chooses it; `""` sends nothing.
    fn template(&self, status: LeadStatus) -> String {
        let set = |v: &[String]| {
            Templates(std::array::from_fn(|n| {
                v.get(n).cloned().unwrap_or_default()
            }))
        };
        let (own, global) = (set(&self.own_templates), set(&self.global_templates));
        Templates::effective(&own, &global).of(status).to_owned()
    }
}

/// A postback decided in this batch, its lead id not yet known.
struct QueuedPostback {
    key: (i64, i64),
    account: i64,
    bot: i64,
    campaign: i64,
    template: String,
    /// Every macro but `{lead}`, as of the status change.
    macros: PostbackMacros,
}

#[derive(QueryableByName)]
struct LeadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    subscriber: i64,
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = Text)]
    click: String,
    #[diesel(sql_type = Timestamptz)]
    start_time: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    join_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    last_date: i64,
    #[diesel(sql_type = BigInt)]
    last_update_id: i64,
}

#[derive(QueryableByName)]
struct LeadKey {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    subscriber: i64,
}

/// A lead being worked on in this batch.
struct Slot {
    id: Option<i64>,
    /// Its status in the table before this batch (`None`: a new lead).
    stored: Option<LeadStatus>,
    /// It had joined (a `join_time`) before this batch.
    stored_joined: bool,
    account: i64,
    lead: Lead,
    username: String,
    name: String,
    changed: bool,
}

fn full_name(user: &UserRef) -> String {
    [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn happenings<'a>(fresh: &'a [Fresh<'a>]) -> Vec<Happening<'a>> {
    let mut out = Vec::new();
    for f in fresh {
        let order = |at: &DateTime<Utc>| EventOrder {
            date: at.timestamp(),
            update_id: f.update_id,
        };
        let base = |chat, user, action, at: &DateTime<Utc>, target| Happening {
            bot: f.bot,
            account: f.account,
            chat,
            user,
            action,
            at: *at,
            order: order(at),
            target,
        };
        match f.effect {
            Effect::Start(start) => {
                let target = match &start.payload {
                    Some(p) => Target::Code(&p.code, &p.click),
                    None => Target::Nothing,
                };
                out.push(base(
                    start.user.id,
                    &start.user,
                    Action::Start,
                    &start.at,
                    target,
                ));
            }
            Effect::Member(event) => {
                let action = match event.kind {
                    MemberEventKind::Join | MemberEventKind::Approved => Action::Join,
                    MemberEventKind::Leave => Action::Leave,
                    MemberEventKind::Kicked => Action::Kick,
                    MemberEventKind::JoinRequest => Action::Request,
                    MemberEventKind::Changed => continue,
                };
                out.push(base(
                    event.chat.id.0,
                    &event.user,
                    action,
                    &event.at,
                    Target::Chat,
                ));
            }
            Effect::Blocked { user, at } => {
                out.push(base(user.id, user, Action::Block, at, Target::Nothing));
            }
            _ => {}
        }
    }
    out
}

/// The campaigns a batch's updates may concern: the codes of its `/start`s
/// and the (bot, chat) pairs of its member events. Built from every update
/// of the batch before its new ones are known, so that the campaigns can be
/// read in the same round trip as the bots (a superset: the rules look up
/// only what each new update concerns).
#[derive(Default)]
pub(crate) struct CampaignLookup<'a> {
    codes: Vec<&'a str>,
    bots: Vec<i64>,
    chats: Vec<i64>,
}

impl<'a> CampaignLookup<'a> {
    /// The lookup for these (bot, effect) pairs.
    pub(crate) fn of(effects: impl Iterator<Item = (i64, &'a Effect)>) -> Self {
        let mut lookup = Self::default();
        for (bot, effect) in effects {
            match effect {
                Effect::Start(start) => {
                    if let Some(payload) = &start.payload {
                        lookup.codes.push(&payload.code);
                    }
                }
                Effect::Member(event) if event.kind != MemberEventKind::Changed => {
                    lookup.bots.push(bot);
                    lookup.chats.push(event.chat.id.0);
                }
                _ => {}
            }
        }
        lookup
    }
}

/// The campaigns of `lookup` with their templates (none when it is empty).
pub(crate) async fn load_campaigns(
    mut conn: &AsyncPgConnection,
    lookup: &CampaignLookup<'_>,
) -> QueryResult<Vec<CampaignRow>> {
    if lookup.codes.is_empty() && lookup.bots.is_empty() {
        return Ok(Vec::new());
    }
    sql_query(
        "SELECT c.id, c.bot_id, c.chat_id, c.code, c.status, c.unsub_window, \
           ARRAY[c.pb_wait, c.pb_hold, c.pb_approve, c.pb_cancel, c.pb_trash] AS own_templates, \
           ARRAY[a.pb_wait, a.pb_hold, a.pb_approve, a.pb_cancel, a.pb_trash] AS global_templates \
         FROM campaigns c JOIN accounts a ON a.id = c.account_id \
         WHERE c.code = ANY($1) \
            OR (c.status <> 2 AND (c.bot_id, c.chat_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[])))",
    )
    .bind::<Array<Text>, _>(&lookup.codes)
    .bind::<Array<BigInt>, _>(&lookup.bots)
    .bind::<Array<BigInt>, _>(&lookup.chats)
    .load(&mut conn)
    .await
}

/// Applies the subscriber rules to the new updates of a batch.
/// `campaigns`: what [`load_campaigns`] read for the batch.
pub(crate) async fn apply_batch(
    mut conn: &AsyncPgConnection,
    fresh: &[Fresh<'_>],
    campaigns: &[CampaignRow],
) -> QueryResult<StatusChanges> {
    let mut happenings = happenings(fresh);
    if happenings.is_empty() {
        return Ok(StatusChanges::default());
    }
    happenings.sort_by_key(|h| h.order);
    let by_code: HashMap<&str, &CampaignRow> =
        campaigns.iter().map(|c| (c.code.as_str(), c)).collect();
    let by_chat: HashMap<(i64, i64), &CampaignRow> = campaigns
        .iter()
        .filter(|c| c.status != CampaignStatus::Deleted.code())
        .map(|c| ((c.bot_id, c.chat_id), c))
        .collect();
    // The campaign (of the bot that received it) each happening concerns.
    let concerned: Vec<Option<&CampaignRow>> = happenings
        .iter()
        .map(|h| match h.target {
            Target::Code(code, _) => by_code.get(code).copied().filter(|c| c.bot_id == h.bot),
            Target::Chat => by_chat.get(&(h.bot, h.chat)).copied(),
            Target::Nothing => None,
        })
        .collect();

    let mut keys: Vec<(i64, i64)> = happenings
        .iter()
        .zip(&concerned)
        .filter(|(h, c)| c.is_some() && h.action != Action::Block)
        .filter_map(|(h, c)| c.map(|c| (c.id, h.user.id)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut slots: HashMap<(i64, i64), Slot> = HashMap::new();
    if !keys.is_empty() {
        // One lead per (campaign, subscriber) however batches race: the
        // keys' locks, in order, then their rows.
        sql_query(
            "SELECT pg_advisory_xact_lock(3, hashtext(c::text || ':' || s::text)) \
             FROM (SELECT c, s FROM unnest($1::bigint[], $2::bigint[]) AS t(c, s) \
                   ORDER BY hashtext(c::text || ':' || s::text)) AS k",
        )
        .bind::<Array<BigInt>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .execute(&mut conn)
        .await?;
        let rows: Vec<LeadRow> = sql_query(
            "SELECT id, campaign_id, subscriber, status, click, start_time, join_time, last_date, last_update_id \
             FROM leads WHERE (campaign_id, subscriber) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
        )
        .bind::<Array<BigInt>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .load(&mut conn)
        .await?;
        for row in rows {
            let lead = Lead {
                status: LeadStatus::from_code(i64::from(row.status)).unwrap_or(LeadStatus::Wait),
                click: row.click,
                start_time: row.start_time.timestamp(),
                join_time: row.join_time.map(|t| t.timestamp()),
                last_event: EventOrder {
                    date: row.last_date,
                    update_id: row.last_update_id,
                },
            };
            slots.insert(
                (row.campaign_id, row.subscriber),
                Slot {
                    id: Some(row.id),
                    stored: Some(lead.status),
                    stored_joined: lead.join_time.is_some(),
                    account: 0,
                    lead,
                    username: String::new(),
                    name: String::new(),
                    changed: false,
                },
            );
        }
    }

    // The rules, event by event in (date, update_id) order.
    let mut history: Vec<((i64, i64), LeadStatus, DateTime<Utc>)> = Vec::new();
    let mut welcomes: Vec<(i64, i64, i64, (i64, i64))> = Vec::new(); // account, bot, campaign, key
    let mut postbacks: Vec<QueuedPostback> = Vec::new();
    let mut paid = vec![false; happenings.len()];
    for (n, (h, campaign)) in happenings.iter().zip(&concerned).enumerate() {
        let Some(campaign) = campaign else { continue };
        let event = match (h.action, &h.target) {
            (Action::Start, Target::Code(_, click)) => SubscriberEvent::Start {
                click: (*click).to_owned(),
            },
            (Action::Request, _) => SubscriberEvent::JoinRequest,
            (Action::Join, _) => SubscriberEvent::Join,
            (Action::Leave, _) => SubscriberEvent::Leave,
            (Action::Kick, _) => SubscriberEvent::Kick,
            _ => continue,
        };
        let key = (campaign.id, h.user.id);
        let state = CampaignState {
            status: CampaignStatus::from_code(campaign.status),
            unsub_window: campaign.unsub_window,
        };
        let current = slots.get(&key).map(|s| &s.lead);
        let before = current.map(|l| l.status);
        let decision = apply(current, state, &event, h.order);
        paid[n] = decision.paid;
        let next = match decision.lead {
            LeadChange::Unchanged => continue,
            LeadChange::Created(lead) | LeadChange::Updated(lead) => lead,
        };
        if before != Some(next.status) {
            history.push((key, next.status, h.at));
        }
        if decision.welcome {
            welcomes.push((h.account, h.bot, campaign.id, key));
        }
        if let Some(status) = decision.postback {
            let template = campaign.template(status);
            if !template.is_empty() {
                postbacks.push(QueuedPostback {
                    key,
                    account: h.account,
                    bot: h.bot,
                    campaign: campaign.id,
                    template,
                    macros: PostbackMacros {
                        click: next.click.clone(),
                        status,
                        campaign: campaign.code.clone(),
                        account: h.account,
                        lead: 0,
                        subscriber: h.user.id,
                        username: h.user.username.clone().unwrap_or_default(),
                        chat: campaign.chat_id,
                        time: h.at.timestamp(),
                    },
                });
            }
        }
        let slot = slots.entry(key).or_insert_with(|| Slot {
            id: None,
            stored: None,
            stored_joined: false,
            account: h.account,
            lead: next.clone(),
            username: String::new(),
            name: String::new(),
            changed: true,
        });
        slot.lead = next;
        slot.account = h.account;
        slot.username = h.user.username.clone().unwrap_or_default();
        slot.name = full_name(h.user);
        slot.changed = true;
    }

    let ids = write_leads(conn, &slots).await?;
    // Independent writes, pipelined on the connection (one round trip);
    // dropping a blocker's welcomes must follow the batch's own welcomes.
    let (history_written, journal, postbacks, welcomes) = futures_util::future::join4(
        write_history(conn, &history, &ids, &slots),
        write_journal(conn, &happenings, &concerned, &paid, &ids),
        write_postbacks(conn, postbacks, &ids),
        async {
            write_welcomes(conn, &welcomes, &ids).await?;
            drop_welcomes_of_blockers(conn, &happenings).await
        },
    )
    .await;
    history_written?;
    journal?;
    postbacks?;
    welcomes?;
    // Last, so that the rollups' rows (shared by every batch of a campaign)
    // stay locked for little more than the commit.
    write_rollups(conn, &history, &ids, &slots).await?;
    let mut changes = StatusChanges::default();
    for (_, status, _) in &history {
        changes.0[status.code() as usize] += 1;
    }
    Ok(changes)
}

async fn write_leads(
    mut conn: &AsyncPgConnection,
    slots: &HashMap<(i64, i64), Slot>,
) -> QueryResult<HashMap<(i64, i64), i64>> {
    let mut ids: HashMap<(i64, i64), i64> = slots
        .iter()
        .filter_map(|(k, s)| s.id.map(|id| (*k, id)))
        .collect();
    let mut changed: Vec<(&(i64, i64), &Slot)> = slots.iter().filter(|(_, s)| s.changed).collect();
    if changed.is_empty() {
        return Ok(ids);
    }
    changed.sort_by_key(|(k, _)| **k);
    let time = |unix: i64| DateTime::from_timestamp(unix, 0).unwrap_or_default();
    let rows: Vec<LeadKey> = sql_query(
        "INSERT INTO leads (account_id, campaign_id, subscriber, username, name, click, status, \
           start_time, join_time, updated, last_date, last_update_id) \
         SELECT a, c, s, u, n, k, st, t0, j, now(), d, ui FROM unnest($1::bigint[], $2::bigint[], \
           $3::bigint[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::timestamptz[], \
           $9::timestamptz[], $10::bigint[], $11::bigint[]) AS x(a, c, s, u, n, k, st, t0, j, d, ui) \
         ON CONFLICT (campaign_id, subscriber) DO UPDATE SET \
           username = EXCLUDED.username, name = EXCLUDED.name, click = EXCLUDED.click, \
           updated = CASE WHEN leads.status <> EXCLUDED.status THEN now() ELSE leads.updated END, \
           status = EXCLUDED.status, join_time = EXCLUDED.join_time, \
           last_date = EXCLUDED.last_date, last_update_id = EXCLUDED.last_update_id \
         RETURNING id, campaign_id, subscriber",
    )
    .bind::<Array<BigInt>, _>(changed.iter().map(|(_, s)| s.account).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(changed.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(changed.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|(_, s)| s.username.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|(_, s)| s.name.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(changed.iter().map(|(_, s)| s.lead.click.as_str()).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(changed.iter().map(|(_, s)| s.lead.status.code()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(changed.iter().map(|(_, s)| time(s.lead.start_time)).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        changed.iter().map(|(_, s)| s.lead.join_time.map(time)).collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(changed.iter().map(|(_, s)| s.lead.last_event.date).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(changed.iter().map(|(_, s)| s.lead.last_event.update_id).collect::<Vec<_>>())
    .load(&mut conn)
    .await?;
    for row in rows {
        ids.insert((row.campaign_id, row.subscriber), row.id);
    }
    Ok(ids)
}

async fn write_history(
    mut conn: &AsyncPgConnection,
    history: &[((i64, i64), LeadStatus, DateTime<Utc>)],
    ids: &HashMap<(i64, i64), i64>,
    slots: &HashMap<(i64, i64), Slot>,
) -> QueryResult<()> {
    let rows: Vec<_> = history
        .iter()
        .filter_map(|(key, status, at)| {
            Some((*ids.get(key)?, slots.get(key)?.account, key.0, *status, *at))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sql_query(
        "INSERT INTO lead_history (lead_id, account_id, campaign_id, status, at) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], $5::timestamptz[])",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.3.code()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.4).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Adds this batch's new leads and status changes to the rollups: to
/// `stats_days`, which `stats/days.json` reads, and to `lead_counts`, the
/// `total` of `leads/list.json`. One statement; each table's rows in key
/// order, so that racing batches lock them in the same order.
async fn write_rollups(
    mut conn: &AsyncPgConnection,
    history: &[((i64, i64), LeadStatus, DateTime<Utc>)],
    ids: &HashMap<(i64, i64), i64>,
    slots: &HashMap<(i64, i64), Slot>,
) -> QueryResult<()> {
    let days = stats_days(history, ids, slots);
    let counts = lead_counts(ids, slots);
    let confirms = first_joins(ids, slots);
    if days.is_empty() && counts.is_empty() && confirms.is_empty() {
        return Ok(());
    }
    let column = |n: usize| days.values().map(|(_, c)| c[n]).collect::<Vec<_>>();
    sql_query(
        "WITH days AS (\
           INSERT INTO stats_days (campaign_id, day, account_id, starts, holds, confirms, unsubs) \
           SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[], \
             $6::bigint[], $7::bigint[]) \
           ON CONFLICT (campaign_id, day) DO UPDATE SET \
             starts = stats_days.starts + EXCLUDED.starts, holds = stats_days.holds + EXCLUDED.holds, \
             confirms = stats_days.confirms + EXCLUDED.confirms, unsubs = stats_days.unsubs + EXCLUDED.unsubs), \
         confirmed AS (\
           INSERT INTO campaign_confirms (campaign_id, n) \
           SELECT * FROM unnest($12::bigint[], $13::bigint[]) \
           ON CONFLICT (campaign_id) DO UPDATE SET n = campaign_confirms.n + EXCLUDED.n) \
         INSERT INTO lead_counts (campaign_id, status, account_id, n) \
         SELECT * FROM unnest($8::bigint[], $9::smallint[], $10::bigint[], $11::bigint[]) \
         ON CONFLICT (campaign_id, status) DO UPDATE SET n = lead_counts.n + EXCLUDED.n",
    )
    .bind::<Array<BigInt>, _>(days.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(days.values().map(|v| v.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(column(0))
    .bind::<Array<BigInt>, _>(column(1))
    .bind::<Array<BigInt>, _>(column(2))
    .bind::<Array<BigInt>, _>(column(3))
    .bind::<Array<BigInt>, _>(counts.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(counts.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(counts.values().map(|v| v.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(counts.values().map(|v| v.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(confirms.keys().copied().collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(confirms.values().copied().collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// This batch's additions to `stats_days`: (campaign, UTC day) -> (account,
/// [starts, holds, confirms, unsubs]).
fn stats_days(
    history: &[((i64, i64), LeadStatus, DateTime<Utc>)],
    ids: &HashMap<(i64, i64), i64>,
    slots: &HashMap<(i64, i64), Slot>,
) -> BTreeMap<(i64, NaiveDate), (i64, [i64; 4])> {
    let mut days: BTreeMap<(i64, NaiveDate), (i64, [i64; 4])> = BTreeMap::new();
    let mut add = |campaign: i64, at: DateTime<Utc>, account: i64, column: usize| {
        let entry = days
            .entry((campaign, at.date_naive()))
            .or_insert((account, [0; 4]));
        entry.1[column] += 1;
    };
    for (key, slot) in slots {
        // A slot without an id was not in the table: this batch created it.
        if slot.id.is_none() && ids.contains_key(key) {
            let start = DateTime::from_timestamp(slot.lead.start_time, 0).unwrap_or_default();
            add(key.0, start, slot.account, 0);
        }
    }
    for (key, status, at) in history {
        let (Some(slot), true) = (slots.get(key), ids.contains_key(key)) else {
            continue;
        };
        let column = match status {
            LeadStatus::Wait => continue,
            LeadStatus::Hold => 1,
            LeadStatus::Approve => 2,
            LeadStatus::Cancel | LeadStatus::Trash => 3,
        };
        add(key.0, *at, slot.account, column);
    }
    days
}

/// This batch's additions to `campaign_confirms`: campaign -> leads that
/// joined for the first time (a `join_time` is never cleared).
fn first_joins(
    ids: &HashMap<(i64, i64), i64>,
    slots: &HashMap<(i64, i64), Slot>,
) -> BTreeMap<i64, i64> {
    let mut confirms = BTreeMap::new();
    for (key, slot) in slots {
        if slot.changed
            && ids.contains_key(key)
            && !slot.stored_joined
            && slot.lead.join_time.is_some()
        {
            *confirms.entry(key.0).or_insert(0) += 1;
        }
    }
    confirms
}

/// This batch's changes to `lead_counts`: (campaign, status) -> (account,
/// leads added), each written lead counted once in its status as stored
/// now and taken out of the one it had before; no zeros.
fn lead_counts(
    ids: &HashMap<(i64, i64), i64>,
    slots: &HashMap<(i64, i64), Slot>,
) -> BTreeMap<(i64, i16), (i64, i64)> {
    let mut counts: BTreeMap<(i64, i16), (i64, i64)> = BTreeMap::new();
    for (key, slot) in slots {
        if !slot.changed || !ids.contains_key(key) || slot.stored == Some(slot.lead.status) {
            continue;
        }
        counts
            .entry((key.0, slot.lead.status.code()))
            .or_insert((slot.account, 0))
            .1 += 1;
        if let Some(before) = slot.stored {
            counts
                .entry((key.0, before.code()))
                .or_insert((slot.account, 0))
                .1 -= 1;
        }
    }
    counts.retain(|_, (_, n)| *n != 0);
    counts
}

async fn write_journal(
    mut conn: &AsyncPgConnection,
    happenings: &[Happening<'_>],
    concerned: &[Option<&CampaignRow>],
    paid: &[bool],
    ids: &HashMap<(i64, i64), i64>,
) -> QueryResult<()> {
    let lead_of = |n: usize| -> i64 {
        let (Some(campaign), true) = (concerned[n], paid[n]) else {
            return 0;
        };
        ids.get(&(campaign.id, happenings[n].user.id))
            .copied()
            .unwrap_or(0)
    };
    let n = happenings.len();
    // With the account's counters (`journal_counts`), in the shard of this
    // connection's backend, so that concurrent transactions seldom share a
    // counter's row.
    sql_query(
        "WITH added AS (\
           INSERT INTO journal (account_id, bot_id, chat_id, user_id, username, name, action, campaign_id, lead_id, at) \
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], \
             $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::timestamptz[]) \
           RETURNING account_id, action, lead_id <> 0 AS paid) \
         INSERT INTO journal_counts (account_id, action, paid, shard, n) \
         SELECT account_id, action, paid, pg_backend_pid() % 64, count(*) FROM added \
         GROUP BY account_id, action, paid ORDER BY account_id, action, paid \
         ON CONFLICT (account_id, action, paid, shard) DO UPDATE SET n = journal_counts.n + EXCLUDED.n",
    )
    .bind::<Array<BigInt>, _>(happenings.iter().map(|h| h.account).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(happenings.iter().map(|h| h.bot).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(happenings.iter().map(|h| h.chat).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(happenings.iter().map(|h| h.user.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        happenings.iter().map(|h| h.user.username.clone().unwrap_or_default()).collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(happenings.iter().map(|h| full_name(h.user)).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(happenings.iter().map(|h| h.action.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(concerned.iter().map(|c| c.map_or(0, |c| c.id)).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>((0..n).map(lead_of).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(happenings.iter().map(|h| h.at).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

async fn write_welcomes(
    mut conn: &AsyncPgConnection,
    welcomes: &[(i64, i64, i64, (i64, i64))],
    ids: &HashMap<(i64, i64), i64>,
) -> QueryResult<()> {
    // At most one pending welcome per lead: a repeated /start while one
    // waits queues nothing more (one scripted subscriber cannot spend the
    // bot's send rate), within the batch here and across batches below.
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<_> = welcomes
        .iter()
        .filter_map(|(account, bot, campaign, key)| {
            Some((*account, *bot, *campaign, *ids.get(key)?, key.1))
        })
        .filter(|row| seen.insert(row.3))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Planned for its own rows at every call (not a prepared statement):
    // with a generic plan made while the queue was nearly empty, the probe
    // became an anti join that read every pending welcome once per row
    // (0.2 to 0.3 s a batch in the mixed bench). The probe is a scalar
    // subquery, so it stays one index lookup per row whatever the
    // estimates say.
    diesel::sql_query(
        "WITH queued AS (INSERT INTO outbox (kind, account_id, bot_id, campaign_id, lead_id, recipient) \
           SELECT 'welcome', r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) \
             AS r(account_id, bot_id, campaign_id, lead_id, recipient) \
           WHERE (SELECT count(*) FROM (SELECT 1 FROM outbox p \
                                        WHERE p.bot_id = r.bot_id AND p.recipient = r.recipient \
                                          AND p.state = 'pending' AND p.kind = 'welcome' \
                                          AND p.lead_id = r.lead_id LIMIT 1) AS pending) = 0 \
           RETURNING 1) \
         SELECT pg_notify($6, '') WHERE EXISTS (SELECT 1 FROM queued)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.3).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.4).collect::<Vec<_>>())
    .bind::<Text, _>(OUTBOX_CHANNEL)
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Queues the batch's postbacks, in the order of the status changes that
/// caused them (a lead's postbacks are sent in id order). `created` is the
/// moment the row is written, near the end of the intake transaction: the
/// give-up age and `postback_delivery_seconds` count from about the commit.
async fn write_postbacks(
    mut conn: &AsyncPgConnection,
    postbacks: Vec<QueuedPostback>,
    ids: &HashMap<(i64, i64), i64>,
) -> QueryResult<()> {
    let rows: Vec<(QueuedPostback, i64, String)> = postbacks
        .into_iter()
        .filter_map(|mut p| {
            p.macros.lead = *ids.get(&p.key)?;
            let url = p.macros.fill(&p.template);
            let lead = p.macros.lead;
            Some((p, lead, url))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sql_query(
        "WITH queued AS (INSERT INTO outbox (kind, account_id, bot_id, campaign_id, lead_id, recipient, \
             url, report, target, created_at) \
           SELECT 'postback', a, b, c, l, r, u, s, h, clock_timestamp() FROM unnest($1::bigint[], $2::bigint[], \
             $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::smallint[], $8::text[]) \
             WITH ORDINALITY AS t(a, b, c, l, r, u, s, h, n) \
           ORDER BY n RETURNING 1) \
         SELECT pg_notify($9, '') WHERE EXISTS (SELECT 1 FROM queued)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.account).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.bot).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.campaign).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.macros.subscriber).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.2.as_str()).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.0.macros.status.code()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| target_of(&r.2)).collect::<Vec<_>>())
    .bind::<Text, _>(OUTBOX_CHANNEL)
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Rule 7: a person who blocks the bot gets none of its pending welcomes.
async fn drop_welcomes_of_blockers(
    mut conn: &AsyncPgConnection,
    happenings: &[Happening<'_>],
) -> QueryResult<()> {
    let blocks: Vec<(i64, i64)> = happenings
        .iter()
        .filter(|h| h.action == Action::Block)
        .map(|h| (h.bot, h.user.id))
        .collect();
    if blocks.is_empty() {
        return Ok(());
    }
    sql_query(
        "UPDATE outbox SET state = 'dropped', done_at = now(), last_error = 'blocked' \
         WHERE state = 'pending' AND kind = 'welcome' \
           AND (bot_id, recipient) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
    )
    .bind::<Array<BigInt>, _>(blocks.iter().map(|b| b.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(blocks.iter().map(|b| b.1).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}
