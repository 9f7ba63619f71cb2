//! [`IntakeStore`] on Postgres: one transaction per delivered update.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Bool, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use subtle::ConstantTimeEq;
use usher_domain::intake::{BotMembership, Effect, IncomingUpdate, MemberEvent};
use usher_domain::ports::{Applied, IntakeStore, StoreError, WebhookTarget};
use usher_domain::{BotId, ChatId};

use crate::schema::{bots, member_events};
use crate::{PgStore, db_err};

#[async_trait]
impl IntakeStore for PgStore {
    async fn webhook_target(&self, bot: BotId) -> Result<Option<WebhookTarget>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<(Vec<u8>, bool)> = bots::table
            .find(bot.0)
            .select((bots::secret_digest, bots::deleted_at.is_not_null()))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(|(secret_digest, deleted)| WebhookTarget {
            secret_digest,
            deleted,
        }))
    }

    async fn apply_update(
        &self,
        bot: BotId,
        secret_digest: &[u8; 32],
        update: &IncomingUpdate,
        raw: &str,
    ) -> Result<Applied, StoreError> {
        if let Some(batcher) = &self.batcher {
            return batcher.submit(bot, secret_digest, update, raw).await;
        }
        let mut conn = self.pool.get().await.map_err(db_err)?;
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            apply(conn, bot, secret_digest, update, raw).await
        })
        .await
        .map_err(db_err)
    }
}

async fn apply(
    conn: &mut AsyncPgConnection,
    bot: BotId,
    secret_digest: &[u8; 32],
    update: &IncomingUpdate,
    raw: &str,
) -> QueryResult<Applied> {
    if try_intake_locks(conn, &[bot.0]).await?.is_empty() {
        return Ok(Applied::Busy);
    }
    let target: Option<(Vec<u8>, bool)> = bots::table
        .find(bot.0)
        .select((bots::secret_digest, bots::deleted_at.is_not_null()))
        .first(conn)
        .await
        .optional()?;
    let target = target.as_ref().map(|(d, deleted)| (d.as_slice(), *deleted));
    if let Some(refused) = verdict(target, secret_digest) {
        return Ok(refused);
    }
    let inserted = sql_query(
        "INSERT INTO updates (bot_id, update_id, kind, payload) VALUES ($1, $2, $3, $4::json) \
         ON CONFLICT (bot_id, update_id) DO NOTHING",
    )
    .bind::<BigInt, _>(bot.0)
    .bind::<BigInt, _>(update.update_id)
    .bind::<Text, _>(&update.kind)
    .bind::<Text, _>(raw)
    .execute(conn)
    .await?;
    if inserted == 0 {
        return Ok(Applied::Duplicate);
    }
    match &update.effect {
        Effect::BotMembership(change) => {
            record_membership(conn, bot, update.update_id, change).await?;
        }
        Effect::Member(event) => record_event(conn, bot, update.update_id, event).await?,
        Effect::ChatMigrated { from, to } => move_chat(conn, bot, *from, *to).await?,
        Effect::None => {}
    }
    Ok(Applied::New)
}

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

/// Stores the bot's new state in the chat unless a newer one is stored.
pub(crate) async fn record_membership(
    conn: &mut AsyncPgConnection,
    bot: BotId,
    update_id: i64,
    change: &BotMembership,
) -> QueryResult<()> {
    sql_query(
        "INSERT INTO bot_chats \
           (bot_id, chat_id, title, chat_type, is_admin, status, member, state_date, state_update_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (bot_id, chat_id) DO UPDATE SET \
           title = EXCLUDED.title, chat_type = EXCLUDED.chat_type, is_admin = EXCLUDED.is_admin, \
           status = EXCLUDED.status, member = EXCLUDED.member, \
           state_date = EXCLUDED.state_date, state_update_id = EXCLUDED.state_update_id \
         WHERE (bot_chats.state_date, bot_chats.state_update_id) \
             < (EXCLUDED.state_date, EXCLUDED.state_update_id)",
    )
    .bind::<BigInt, _>(bot.0)
    .bind::<BigInt, _>(change.chat.id.0)
    .bind::<Text, _>(&change.chat.title)
    .bind::<Text, _>(&change.chat.kind)
    .bind::<Bool, _>(change.is_admin)
    .bind::<Text, _>(&change.status)
    .bind::<Jsonb, _>(&change.member)
    .bind::<Timestamptz, _>(change.at)
    .bind::<BigInt, _>(update_id)
    .execute(conn)
    .await?;
    Ok(())
}

async fn record_event(
    conn: &mut AsyncPgConnection,
    bot: BotId,
    update_id: i64,
    event: &MemberEvent,
) -> QueryResult<()> {
    diesel::insert_into(member_events::table)
        .values((
            member_events::bot_id.eq(bot.0),
            member_events::update_id.eq(update_id),
            member_events::chat_id.eq(event.chat.id.0),
            member_events::user_id.eq(event.user.id),
            member_events::username.eq(&event.user.username),
            member_events::first_name.eq(&event.user.first_name),
            member_events::last_name.eq(&event.user.last_name),
            member_events::event.eq(event.kind.as_str()),
            member_events::old_status.eq(&event.old_status),
            member_events::new_status.eq(&event.new_status),
            member_events::actor_id.eq(event.actor),
            member_events::at.eq(event.at),
            member_events::invite_link.eq(&event.invite_link),
            member_events::invite_link_name.eq(&event.invite_link_name),
            member_events::via_join_request.eq(event.via_join_request),
        ))
        .execute(conn)
        .await?;
    Ok(())
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
    sql_query("UPDATE member_events SET chat_id = $3 WHERE bot_id = $1 AND chat_id = $2")
        .bind::<BigInt, _>(bot.0)
        .bind::<BigInt, _>(from.0)
        .bind::<BigInt, _>(to.0)
        .execute(conn)
        .await?;
    Ok(())
}
