//! [`BotStore`] on Postgres.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use usher_domain::ports::{BotLock, BotStore, StoreError};
use usher_domain::{AccountId, AdminChat, BotId, BotRecord, BotStatus, BotSummary, TgBotId};

use crate::bot_lock::PgBotLock;
use crate::rows::{BotRow, ChatRow};
use crate::schema::{bot_chats, bots};
use crate::{PgStore, db_err};

#[async_trait]
impl BotStore for PgStore {
    async fn list_bots(&self, account: AccountId) -> Result<Vec<BotSummary>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let rows: Vec<(
            i64,
            i64,
            String,
            String,
            bool,
            chrono::DateTime<chrono::Utc>,
        )> = bots::table
            .filter(bots::account_id.eq(account.0))
            .order(bots::id)
            .select((
                bots::id,
                bots::tg,
                bots::username,
                bots::name,
                bots::deleted_at.is_not_null(),
                bots::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, tg, username, name, deleted, created)| BotSummary {
                id: BotId(id),
                tg: TgBotId(tg),
                username,
                name,
                status: if deleted {
                    BotStatus::Deleted
                } else {
                    BotStatus::Active
                },
                created,
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
        let chats: Vec<ChatRow> = bot_chats::table
            .filter(bot_chats::bot_id.eq(bot.0).and(bot_chats::is_admin))
            .order(bot_chats::chat_id)
            .select(ChatRow::as_select())
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(Some(chats.into_iter().map(AdminChat::from).collect()))
    }

    async fn lock_tg(&self, tg: TgBotId) -> Result<Box<dyn BotLock>, StoreError> {
        let lock = PgBotLock::open(&self.pool, self.cipher.clone(), tg).await?;
        Ok(Box::new(lock))
    }
}
