//! [`BotStore`] on Postgres.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use usher_domain::intake::{BotMembership, ChatRef};
use usher_domain::ports::{BotLock, BotStore, MemberStatus, StoreError};
use usher_domain::{AccountId, AdminChat, BotId, BotRecord, BotStatus, BotSummary, TgBotId};

use crate::bot_lock::PgBotLock;
use crate::rows::{BotRow, ChatRow};
use crate::schema::{bot_chats, bots, campaigns};
use crate::{PgStore, db_err};

#[async_trait]
impl BotStore for PgStore {
    async fn list_bots(&self, account: AccountId) -> Result<Vec<BotSummary>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        // Warning: connected, and a live campaign through the bot tracks a
        // chat where the bot is not (any more) an administrator.
        let rows: Vec<BotListRow> = sql_query(
            "SELECT b.id, b.tg, b.username, b.name, b.created_at, \
                    CASE WHEN b.deleted_at IS NOT NULL THEN 3 \
                         WHEN EXISTS ( \
                             SELECT 1 FROM campaigns c \
                             WHERE c.bot_id = b.id AND c.status <> 2 \
                               AND NOT EXISTS ( \
                                   SELECT 1 FROM bot_chats bc \
                                   WHERE bc.bot_id = b.id AND bc.chat_id = c.chat_id AND bc.is_admin)) \
                         THEN 1 ELSE 0 END AS status \
             FROM bots b WHERE b.account_id = $1 ORDER BY b.id",
        )
        .bind::<BigInt, _>(account.0)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|row| BotSummary {
                id: BotId(row.id),
                tg: TgBotId(row.tg),
                username: row.username,
                name: row.name,
                status: match row.status {
                    3 => BotStatus::Deleted,
                    1 => BotStatus::Warning,
                    _ => BotStatus::Active,
                },
                created: row.created_at,
            })
            .collect())
    }

    async fn find_bot(
        &self,
        account: AccountId,
        bot: BotId,
    ) -> Result<Option<BotRecord>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<BotRow> = bots::table
            .filter(bots::id.eq(bot.0).and(bots::account_id.eq(account.0)))
            .select(BotRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        row.map(|r| r.into_record(&self.cipher))
            .transpose()
            .map_err(db_err)
    }

    async fn offered_chats(
        &self,
        account: AccountId,
        bot: BotId,
    ) -> Result<Option<Vec<AdminChat>>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let owned: Option<i64> = bots::table
            .filter(bots::id.eq(bot.0).and(bots::account_id.eq(account.0)))
            .select(bots::id)
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        if owned.is_none() {
            return Ok(None);
        }
        // The cache minus chats a live campaign of the account tracks,
        // through this bot or another.
        let chats: Vec<ChatRow> = bot_chats::table
            .filter(bot_chats::bot_id.eq(bot.0).and(bot_chats::is_admin))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                campaigns::table
                    .filter(campaigns::account_id.eq(account.0))
                    .filter(campaigns::chat_id.eq(bot_chats::chat_id))
                    .filter(campaigns::status.ne(2)),
            )))
            .order(bot_chats::chat_id)
            .select(ChatRow::as_select())
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(Some(chats.into_iter().map(AdminChat::from).collect()))
    }

    async fn record_bot_status(
        &self,
        bot: BotId,
        chat: &AdminChat,
        status: &MemberStatus,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let change = BotMembership {
            chat: ChatRef {
                id: chat.id,
                title: chat.title.clone(),
                kind: chat.kind.clone(),
            },
            is_admin: status.is_admin,
            status: status.status.clone(),
            member: status.member.clone(),
            at: chrono::Utc::now(),
        };
        // Not from an update: update_id 0 ranks it below any update of the
        // same second.
        crate::intake::record_membership(&mut conn, bot, 0, &change)
            .await
            .map_err(db_err)
    }

    async fn lock_tg(&self, tg: TgBotId) -> Result<Box<dyn BotLock>, StoreError> {
        let lock = PgBotLock::open(&self.pool, self.cipher.clone(), tg).await?;
        Ok(Box::new(lock))
    }
}

#[derive(QueryableByName)]
struct BotListRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    tg: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Integer)]
    status: i32,
}
