//! What the subscriber flow reads inside the intake transaction: the
//! campaigns a batch may concern, then its leads under their keys' locks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::invite_links::LinkId;
use usher_domain::postbacks::Templates;
use usher_domain::subscribers::batch::{CampaignFacts, CampaignLookup, LeadKey, StoredLead};
use usher_domain::subscribers::join_requests::JoinRequestPolicy;
use usher_domain::subscribers::{EventOrder, Lead, LeadStatus};
use usher_domain::{BotId, CampaignId, CampaignStatus, ChatId};

use crate::cached_sql::sql_query;

/// A campaign a batch's update may concern, with its and its account's
/// postback templates and those of its invite links the batch's member
/// events came through.
#[derive(QueryableByName)]
struct CampaignRow {
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
    #[diesel(sql_type = SmallInt)]
    join_policy: i16,
    #[diesel(sql_type = Array<Text>)]
    own_templates: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    global_templates: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    link_urls: Vec<String>,
    #[diesel(sql_type = Array<BigInt>)]
    link_ids: Vec<i64>,
}

impl From<CampaignRow> for CampaignFacts {
    fn from(row: CampaignRow) -> Self {
        let set = |v: &[String]| {
            Templates(std::array::from_fn(|n| {
                v.get(n).cloned().unwrap_or_default()
            }))
        };
        let (own, global) = (set(&row.own_templates), set(&row.global_templates));
        CampaignFacts {
            id: CampaignId(row.id),
            bot: BotId(row.bot_id),
            chat: ChatId(row.chat_id),
            code: row.code,
            status: CampaignStatus::from_code(row.status),
            unsub_window: row.unsub_window,
            templates: Templates::effective(&own, &global).clone(),
            links: row
                .link_urls
                .into_iter()
                .zip(row.link_ids.into_iter().map(LinkId))
                .collect(),
            // An unknown code (a newer instance's) leaves requests to a
            // person.
            join_policy: JoinRequestPolicy::from_code(row.join_policy).unwrap_or_default(),
        }
    }
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

/// The statement that reads a batch's campaigns: `$links` are the link
/// columns, `$join` what they come from. `status <> 2` (deleted) repeats
/// the partial indexes' predicate literally, so that the planner can use
/// them.
macro_rules! campaigns_sql {
    ($links:literal, $join:literal) => {
        concat!(
            "SELECT c.id, c.bot_id, c.chat_id, c.code, c.status, c.unsub_window, c.join_policy, \
               ARRAY[c.pb_wait, c.pb_hold, c.pb_approve, c.pb_cancel, c.pb_trash] AS own_templates, \
               ARRAY[a.pb_wait, a.pb_hold, a.pb_approve, a.pb_cancel, a.pb_trash] AS global_templates, ",
            $links,
            " FROM campaigns c JOIN accounts a ON a.id = c.account_id ",
            $join,
            "WHERE c.code = ANY($1) \
                OR (c.status <> 2 AND (c.bot_id, c.chat_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[])))"
        )
    };
}

/// The campaigns of `lookup` with their templates (none when it is empty),
/// and those of their invite links the batch came through.
pub(crate) async fn load_campaigns(
    mut conn: &AsyncPgConnection,
    lookup: &CampaignLookup<'_>,
) -> QueryResult<Vec<CampaignFacts>> {
    if lookup.is_empty() {
        return Ok(Vec::new());
    }
    let codes = &lookup.codes;
    let bots: Vec<i64> = lookup.chats.iter().map(|(b, _)| b.0).collect();
    let chats: Vec<i64> = lookup.chats.iter().map(|(_, c)| c.0).collect();
    // Most batches come through no invite link: they read no link at all.
    let rows: Vec<CampaignRow> = if lookup.links.is_empty() {
        sql_query(campaigns_sql!(
            "'{}'::text[] AS link_urls, '{}'::bigint[] AS link_ids",
            ""
        ))
        .bind::<Array<Text>, _>(codes)
        .bind::<Array<BigInt>, _>(&bots)
        .bind::<Array<BigInt>, _>(&chats)
        .load(&mut conn)
        .await?
    } else {
        sql_query(campaigns_sql!(
            "l.urls AS link_urls, l.ids AS link_ids",
            "CROSS JOIN LATERAL ( \
               SELECT coalesce(array_agg(url ORDER BY id), '{}') AS urls, \
                      coalesce(array_agg(id ORDER BY id), '{}') AS ids \
               FROM campaign_links WHERE campaign = c.id AND url = ANY($4)) AS l "
        ))
        .bind::<Array<Text>, _>(codes)
        .bind::<Array<BigInt>, _>(&bots)
        .bind::<Array<BigInt>, _>(&chats)
        .bind::<Array<Text>, _>(&lookup.links)
        .load(&mut conn)
        .await?
    };
    Ok(rows.into_iter().map(CampaignFacts::from).collect())
}

/// Locks the leads of `keys` (sorted: one lead per campaign and person
/// however batches race) and reads the stored ones.
pub(super) async fn lock_and_read_leads(
    mut conn: &AsyncPgConnection,
    keys: &[LeadKey],
) -> QueryResult<HashMap<LeadKey, StoredLead>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let campaigns: Vec<i64> = keys.iter().map(|k| k.campaign.0).collect();
    let subscribers: Vec<i64> = keys.iter().map(|k| k.subscriber).collect();
    sql_query(
        "SELECT pg_advisory_xact_lock(3, hashtext(c::text || ':' || s::text)) \
         FROM (SELECT c, s FROM unnest($1::bigint[], $2::bigint[]) AS t(c, s) \
               ORDER BY hashtext(c::text || ':' || s::text)) AS k",
    )
    .bind::<Array<BigInt>, _>(&campaigns)
    .bind::<Array<BigInt>, _>(&subscribers)
    .execute(&mut conn)
    .await?;
    let rows: Vec<LeadRow> = sql_query(
        "SELECT id, campaign_id, subscriber, status, click, start_time, join_time, last_date, last_update_id \
         FROM leads WHERE (campaign_id, subscriber) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
    )
    .bind::<Array<BigInt>, _>(&campaigns)
    .bind::<Array<BigInt>, _>(&subscribers)
    .load(&mut conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let key = LeadKey {
                campaign: CampaignId(row.campaign_id),
                subscriber: row.subscriber,
            };
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
            (key, StoredLead { id: row.id, lead })
        })
        .collect())
}
