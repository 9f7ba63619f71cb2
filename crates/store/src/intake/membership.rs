//! What intake stores about memberships: the bot's newest state per chat
//! (`bot_chats`) and the member events of each update (`member_events`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::BotId;
use usher_domain::intake::{BotMembership, MemberEvent};

use crate::cached_sql::sql_query;

/// Stores one state of the bot in a chat unless a newer one is stored
/// (also used for what `getChatMember` reports on restore).
pub(crate) async fn record_membership(
    conn: &mut AsyncPgConnection,
    bot: BotId,
    update_id: i64,
    change: &BotMembership,
) -> QueryResult<()> {
    let one = HashMap::from([((bot.0, change.chat.id.0), (update_id, change))]);
    upsert_memberships(conn, one).await
}

/// The newest new state per (bot, chat) in a batch, with its update id.
pub(crate) type Newest<'a> = HashMap<(i64, i64), (i64, &'a BotMembership)>;

pub(crate) async fn upsert_memberships(
    mut conn: &AsyncPgConnection,
    memberships: Newest<'_>,
) -> QueryResult<()> {
    if memberships.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<_> = memberships.into_iter().collect();
    rows.sort_by_key(|(key, _)| *key);
    let bots: Vec<i64> = rows.iter().map(|((b, _), _)| *b).collect();
    let chats: Vec<i64> = rows.iter().map(|((_, c), _)| *c).collect();
    let titles: Vec<&str> = rows
        .iter()
        .map(|(_, (_, m))| m.chat.title.as_str())
        .collect();
    let kinds: Vec<&str> = rows
        .iter()
        .map(|(_, (_, m))| m.chat.kind.as_str())
        .collect();
    let admins: Vec<bool> = rows.iter().map(|(_, (_, m))| m.is_admin).collect();
    let statuses: Vec<&str> = rows.iter().map(|(_, (_, m))| m.status.as_str()).collect();
    let members: Vec<String> = rows
        .iter()
        .map(|(_, (_, m))| m.member.to_string())
        .collect();
    let dates: Vec<DateTime<Utc>> = rows.iter().map(|(_, (_, m))| m.at).collect();
    let update_ids: Vec<i64> = rows.iter().map(|(_, (u, _))| *u).collect();
    sql_query(
        "INSERT INTO bot_chats \
           (bot_id, chat_id, title, chat_type, is_admin, status, member, state_date, state_update_id) \
         SELECT b, c, t, k, a, s, m::jsonb, d, u FROM unnest($1::bigint[], $2::bigint[], $3::text[], \
           $4::text[], $5::bool[], $6::text[], $7::text[], $8::timestamptz[], $9::bigint[]) \
           AS x(b, c, t, k, a, s, m, d, u) \
         ON CONFLICT (bot_id, chat_id) DO UPDATE SET \
           title = EXCLUDED.title, chat_type = EXCLUDED.chat_type, is_admin = EXCLUDED.is_admin, \
           status = EXCLUDED.status, member = EXCLUDED.member, \
           state_date = EXCLUDED.state_date, state_update_id = EXCLUDED.state_update_id \
         WHERE (bot_chats.state_date, bot_chats.state_update_id) \
             < (EXCLUDED.state_date, EXCLUDED.state_update_id)",
    )
    .bind::<Array<BigInt>, _>(bots)
    .bind::<Array<BigInt>, _>(chats)
    .bind::<Array<Text>, _>(titles)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Array<Bool>, _>(admins)
    .bind::<Array<Text>, _>(statuses)
    .bind::<Array<Text>, _>(members)
    .bind::<Array<Timestamptz>, _>(dates)
    .bind::<Array<BigInt>, _>(update_ids)
    .execute(&mut conn)
    .await?;
    Ok(())
}

pub(crate) async fn insert_events(
    mut conn: &AsyncPgConnection,
    events: &[(i64, i64, &MemberEvent)],
) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let texts = |f: fn(&MemberEvent) -> Option<&str>| -> Vec<Option<&str>> {
        events.iter().map(|(_, _, e)| f(e)).collect()
    };
    sql_query(
        "INSERT INTO member_events (bot_id, update_id, chat_id, user_id, username, first_name, \
           last_name, event, old_status, new_status, actor_id, at, invite_link, invite_link_name, \
           via_join_request) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], \
           $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], \
           $12::timestamptz[], $13::text[], $14::text[], $15::bool[])",
    )
    .bind::<Array<BigInt>, _>(events.iter().map(|(b, _, _)| *b).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(events.iter().map(|(_, u, _)| *u).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(
        events
            .iter()
            .map(|(_, _, e)| e.chat.id.0)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(events.iter().map(|(_, _, e)| e.user.id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.user.username.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.user.first_name.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.user.last_name.as_deref()))
    .bind::<Array<Text>, _>(
        events
            .iter()
            .map(|(_, _, e)| e.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.old_status.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.new_status.as_deref()))
    .bind::<Array<Nullable<BigInt>>, _>(events.iter().map(|(_, _, e)| e.actor).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(events.iter().map(|(_, _, e)| e.at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.invite_link.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(texts(|e| e.invite_link_name.as_deref()))
    .bind::<Array<Bool>, _>(
        events
            .iter()
            .map(|(_, _, e)| e.via_join_request)
            .collect::<Vec<_>>(),
    )
    .execute(&mut conn)
    .await?;
    Ok(())
}
