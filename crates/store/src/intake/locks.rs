//! The bots' intake locks, the check of a delivery against its bot, and a
//! group's move to its supergroup: the pieces of intake that both the
//! one-update and the batched paths use.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use subtle::ConstantTimeEq;
use usher_domain::ports::Applied;
use usher_domain::{BotId, ChatId};

use crate::cached_sql::sql_query;

/// Taken by `bots/add` and `bots/del` before they change a bot's row:
/// the exclusive side of the bot's intake lock (two-key form, class 2).
pub(crate) const BOT_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(2, ($1 % 2147483647)::int)";

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Takes the shared intake lock of each bot in `bots` (sorted, distinct)
/// without waiting, for the rest of the transaction; returns the bots whose
/// lock was taken. A bot missing from the answer is being added or deleted
/// right now. Advisory locks live in memory: unlike row locks they write no
/// WAL and make no MultiXacts, however many batches share a bot.
pub(crate) async fn try_intake_locks(
    conn: &mut AsyncPgConnection,
    bots: &[i64],
) -> QueryResult<Vec<i64>> {
    Ok(sql_query(
        "SELECT b AS id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(b, n) \
         WHERE pg_try_advisory_xact_lock_shared(2, (b % 2147483647)::int) ORDER BY n",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(bots)
    .load::<Locked>(conn)
    .await?
    .into_iter()
    .map(|row| row.id)
    .collect())
}

/// Why a delivery to a bot (its stored digest and deletion flag, if it
/// exists) changes nothing; `None` when it may be applied.
pub(crate) fn verdict(target: Option<(&[u8], bool)>, presented: &[u8; 32]) -> Option<Applied> {
    let (stored, deleted) = match target {
        None => return Some(Applied::UnknownBot),
        Some(target) => target,
    };
    if !bool::from(stored.ct_eq(presented.as_slice())) {
        return Some(Applied::BadSecret);
    }
    deleted.then_some(Applied::BotDeleted)
}

/// A group became a supergroup: its state (unless the supergroup already
/// has one of its own) and its member history move to the new id.
pub(crate) async fn move_chat(
    conn: &mut AsyncPgConnection,
    bot: BotId,
    from: ChatId,
    to: ChatId,
) -> QueryResult<()> {
    sql_query(
        "INSERT INTO bot_chats \
           (bot_id, chat_id, title, chat_type, is_admin, status, member, state_date, state_update_id) \
         SELECT bot_id, $3, title, 'supergroup', is_admin, status, member, state_date, state_update_id \
           FROM bot_chats WHERE bot_id = $1 AND chat_id = $2 \
         ON CONFLICT (bot_id, chat_id) DO NOTHING",
    )
    .bind::<BigInt, _>(bot.0)
    .bind::<BigInt, _>(from.0)
    .bind::<BigInt, _>(to.0)
    .execute(conn)
    .await?;
    sql_query("DELETE FROM bot_chats WHERE bot_id = $1 AND chat_id = $2")
        .bind::<BigInt, _>(bot.0)
        .bind::<BigInt, _>(from.0)
        .execute(conn)
        .await?;
    // The events from before partitioning follow too, until the upkeep
    // empties their table.
    for events in ["member_events", "member_events_legacy"] {
        sql_query(format!(
            "UPDATE {events} SET chat_id = $3 WHERE bot_id = $1 AND chat_id = $2"
        ))
        .bind::<BigInt, _>(bot.0)
        .bind::<BigInt, _>(from.0)
        .bind::<BigInt, _>(to.0)
        .execute(conn)
        .await?;
    }
    Ok(())
}
