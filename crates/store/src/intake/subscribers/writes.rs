//! The writers of a batch plan: a few multi-row statements, pipelined on
//! the intake transaction's connection.

use std::collections::HashMap;

use chrono::DateTime;
use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Date, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::postbacks::target_of;
use usher_domain::subscribers::batch::{
    JournalEntry, LeadKey, LeadWrite, QueuedAnswer, QueuedPostback, QueuedWelcome, Rollups,
    StatusChange,
};
use usher_domain::{BotId, CampaignId};

use crate::cached_sql::sql_query;

/// The channel idle outbox workers listen on.
pub(crate) const OUTBOX_CHANNEL: &str = "usher_outbox";

#[derive(QueryableByName)]
struct LeadIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    subscriber: i64,
}

/// Inserts or updates the plan's leads, in key order; every lead's id
/// (written or only read), by key.
pub(super) async fn write_leads(
    mut conn: &AsyncPgConnection,
    leads: &[LeadWrite],
) -> QueryResult<HashMap<LeadKey, i64>> {
    let mut ids: HashMap<LeadKey, i64> = leads
        .iter()
        .filter_map(|l| l.id.map(|id| (l.key, id)))
        .collect();
    if leads.is_empty() {
        return Ok(ids);
    }
    let time = |unix: i64| DateTime::from_timestamp(unix, 0).unwrap_or_default();
    let rows: Vec<LeadIdRow> = sql_query(
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
    .bind::<Array<BigInt>, _>(leads.iter().map(|l| l.account.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(leads.iter().map(|l| l.key.campaign.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(leads.iter().map(|l| l.key.subscriber).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(leads.iter().map(|l| l.username.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(leads.iter().map(|l| l.name.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(leads.iter().map(|l| l.lead.click.as_str()).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(leads.iter().map(|l| l.lead.status.code()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(leads.iter().map(|l| time(l.lead.start_time)).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        leads.iter().map(|l| l.lead.join_time.map(time)).collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(leads.iter().map(|l| l.lead.last_event.date).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(leads.iter().map(|l| l.lead.last_event.update_id).collect::<Vec<_>>())
    .load(&mut conn)
    .await?;
    for row in rows {
        let key = LeadKey {
            campaign: CampaignId(row.campaign_id),
            subscriber: row.subscriber,
        };
        ids.insert(key, row.id);
    }
    Ok(ids)
}

pub(super) async fn write_history(
    mut conn: &AsyncPgConnection,
    history: &[StatusChange],
    ids: &HashMap<LeadKey, i64>,
) -> QueryResult<()> {
    let rows: Vec<_> = history
        .iter()
        .filter_map(|c| Some((*ids.get(&c.lead)?, c.account.0, c)))
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
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.2.lead.campaign.0).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.2.status.code()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.2.at).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Adds this batch's new leads and status changes to the rollups: to
/// `stats_days`, which `stats/days.json` reads, to `lead_counts`, the
/// `total` of `leads/list.json`, and to `campaign_confirms`. One statement;
/// each table's rows in key order, so that racing batches lock them in the
/// same order.
pub(super) async fn write_rollups(
    mut conn: &AsyncPgConnection,
    rollups: &Rollups,
) -> QueryResult<()> {
    if rollups.is_empty() {
        return Ok(());
    }
    let (days, counts, confirms) = (&rollups.days, &rollups.counts, &rollups.first_joins);
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
    .bind::<Array<BigInt>, _>(days.keys().map(|k| k.0.0).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(days.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(days.values().map(|v| v.0.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(column(0))
    .bind::<Array<BigInt>, _>(column(1))
    .bind::<Array<BigInt>, _>(column(2))
    .bind::<Array<BigInt>, _>(column(3))
    .bind::<Array<BigInt>, _>(counts.keys().map(|k| k.0.0).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(counts.keys().map(|k| k.1.code()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(counts.values().map(|v| v.0.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(counts.values().map(|v| v.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(confirms.keys().map(|c| c.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(confirms.values().copied().collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// The journal's insert, with the counters' upsert; `$column` and `$array`
/// add `link_id` when a row came through an invite link.
macro_rules! journal_sql {
    ($column:literal, $array:literal) => {
        concat!(
            "WITH added AS (\
               INSERT INTO journal (account_id, bot_id, chat_id, user_id, username, name, action, campaign_id, lead_id, at",
            $column,
            ") SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], \
                 $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::timestamptz[]",
            $array,
            ") RETURNING account_id, action, lead_id <> 0 AS paid) \
             INSERT INTO journal_counts (account_id, action, paid, shard, n) \
             SELECT account_id, action, paid, pg_backend_pid() % 64, count(*) FROM added \
             GROUP BY account_id, action, paid ORDER BY account_id, action, paid \
             ON CONFLICT (account_id, action, paid, shard) DO UPDATE SET n = journal_counts.n + EXCLUDED.n"
        )
    };
}

pub(super) async fn write_journal(
    mut conn: &AsyncPgConnection,
    journal: &[JournalEntry],
    ids: &HashMap<LeadKey, i64>,
) -> QueryResult<()> {
    let lead_of = |e: &JournalEntry| e.lead.and_then(|key| ids.get(&key).copied()).unwrap_or(0);
    // With the account's counters (`journal_counts`), in the shard of this
    // connection's backend, so that concurrent transactions seldom share a
    // counter's row. A batch with no row through an invite link leaves
    // `link_id` to its default.
    let links: Vec<i64> = journal.iter().map(|e| e.link.map_or(0, |l| l.0)).collect();
    let query = if links.iter().all(|&l| l == 0) {
        sql_query(journal_sql!("", ""))
    } else {
        sql_query(journal_sql!(", link_id", ", $11::bigint[]"))
    };
    let query = query
        .bind::<Array<BigInt>, _>(journal.iter().map(|e| e.account.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(journal.iter().map(|e| e.bot.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(journal.iter().map(|e| e.chat).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(journal.iter().map(|e| e.user).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            journal
                .iter()
                .map(|e| e.username.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(journal.iter().map(|e| e.name.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            journal
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(
            journal
                .iter()
                .map(|e| e.campaign.map_or(0, |c| c.0))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(journal.iter().map(lead_of).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(journal.iter().map(|e| e.at).collect::<Vec<_>>());
    if links.iter().all(|&l| l == 0) {
        query.execute(&mut conn).await?;
    } else {
        query
            .bind::<Array<BigInt>, _>(links)
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn write_welcomes(
    mut conn: &AsyncPgConnection,
    welcomes: &[QueuedWelcome],
    ids: &HashMap<LeadKey, i64>,
) -> QueryResult<()> {
    // At most one pending welcome per lead: the plan queues one per lead,
    // and a repeated /start while one waits queues nothing more (one
    // scripted subscriber cannot spend the bot's send rate) across batches
    // below.
    let rows: Vec<_> = welcomes
        .iter()
        .filter_map(|w| Some((w, *ids.get(&w.lead)?)))
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
        "WITH queued AS (INSERT INTO outbox (kind, account_id, bot_id, campaign_id, lead_id, recipient, \
             requested_at) \
           SELECT 'welcome', r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], \
             $7::timestamptz[]) AS r(account_id, bot_id, campaign_id, lead_id, recipient, requested_at) \
           WHERE (SELECT count(*) FROM (SELECT 1 FROM outbox p \
                                        WHERE p.bot_id = r.bot_id AND p.recipient = r.recipient \
                                          AND p.state = 'pending' AND p.kind = 'welcome' \
                                          AND p.lead_id = r.lead_id LIMIT 1) AS pending) = 0 \
           RETURNING 1) \
         SELECT pg_notify($6, '') WHERE EXISTS (SELECT 1 FROM queued)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.account.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.bot.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.lead.campaign.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.lead.subscriber).collect::<Vec<_>>())
    .bind::<Text, _>(OUTBOX_CHANNEL)
    .bind::<Array<Nullable<Timestamptz>>, _>(rows.iter().map(|r| r.0.requested).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Queues the batch's postbacks, in the order of the status changes that
/// caused them (a lead's postbacks are sent in id order). `created` is the
/// moment the row is written, near the end of the intake transaction: the
/// give-up age and `postback_delivery_seconds` count from about the commit.
pub(super) async fn write_postbacks(
    mut conn: &AsyncPgConnection,
    postbacks: Vec<QueuedPostback>,
    ids: &HashMap<LeadKey, i64>,
) -> QueryResult<()> {
    let rows: Vec<(QueuedPostback, String)> = postbacks
        .into_iter()
        .filter_map(|mut p| {
            p.macros.lead = *ids.get(&p.lead)?;
            let url = p.macros.fill(&p.template);
            Some((p, url))
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
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.account.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.bot.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.lead.campaign.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.macros.lead).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.macros.subscriber).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.0.macros.status.code()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| target_of(&r.1)).collect::<Vec<_>>())
    .bind::<Text, _>(OUTBOX_CHANNEL)
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Queues the batch's answers to join requests: at most one pending per
/// lead (a request repeated while its answer waits queues nothing more).
/// The claim sends a lead's answer only once its greeting, if any, is no
/// longer pending (`outbox::claims::CLAIM_ANSWERS`).
pub(super) async fn write_answers(
    mut conn: &AsyncPgConnection,
    answers: &[QueuedAnswer],
    ids: &HashMap<LeadKey, i64>,
) -> QueryResult<()> {
    let rows: Vec<_> = answers
        .iter()
        .filter_map(|a| Some((a, *ids.get(&a.lead)?)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sql_query(
        "WITH queued AS (INSERT INTO outbox (kind, account_id, bot_id, campaign_id, lead_id, recipient, answer) \
           SELECT 'answer', r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], \
             $6::smallint[]) AS r(account_id, bot_id, campaign_id, lead_id, recipient, answer) \
           WHERE NOT EXISTS (SELECT 1 FROM outbox p WHERE p.lead_id = r.lead_id \
                               AND p.state = 'pending' AND p.kind = 'answer') \
           RETURNING 1) \
         SELECT pg_notify($7, '') WHERE EXISTS (SELECT 1 FROM queued)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.account.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.bot.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.lead.campaign.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.0.lead.subscriber).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.0.answer.code()).collect::<Vec<_>>())
    .bind::<Text, _>(OUTBOX_CHANNEL)
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Rule 7: a person who blocks the bot gets none of its pending welcomes.
pub(super) async fn drop_welcomes_of_blockers(
    mut conn: &AsyncPgConnection,
    blocks: &[(BotId, i64)],
) -> QueryResult<()> {
    if blocks.is_empty() {
        return Ok(());
    }
    sql_query(
        "UPDATE outbox SET state = 'dropped', done_at = now(), last_error = 'blocked' \
         WHERE state = 'pending' AND kind = 'welcome' \
           AND (bot_id, recipient) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
    )
    .bind::<Array<BigInt>, _>(blocks.iter().map(|b| b.0.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(blocks.iter().map(|b| b.1).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?;
    Ok(())
}
