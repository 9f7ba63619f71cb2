//! [`BotLock`] on Postgres: one transaction holding
//! `pg_advisory_xact_lock(tg)`.

use std::sync::Arc;

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use usher_domain::ports::{BotLock, NewBot, Reconnect, StoreError};
use usher_domain::{BotId, BotRecord, TgBotId};

use crate::cipher::TokenCipher;
use crate::database::DbPool;
use crate::error::db_err;
use crate::rows::BotRow;
use crate::schema::{bot_chats, bots};

/// An open transaction holding the lock of one Telegram bot.
pub(crate) struct PgBotLock {
    /// `None` once committed.
    conn: Option<Object<AsyncPgConnection>>,
    cipher: Arc<TokenCipher>,
    tg: TgBotId,
}

impl PgBotLock {
    pub(crate) async fn open(
        pool: &DbPool,
        cipher: Arc<TokenCipher>,
        tg: TgBotId,
    ) -> Result<Self, StoreError> {
        let conn = pool.get().await.map_err(db_err)?;
        // From here on, dropping `lock` closes the connection, which rolls
        // the transaction back and releases the advisory lock.
        let mut lock = Self {
            conn: Some(conn),
            cipher,
            tg,
        };
        let conn = lock.conn()?;
        AnsiTransactionManager::begin_transaction(conn)
            .await
            .map_err(db_err)?;
        sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(tg.0)
            .execute(conn)
            .await
            .map_err(db_err)?;
        Ok(lock)
    }

    fn conn(&mut self) -> Result<&mut AsyncPgConnection, StoreError> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| db_err(anyhow::anyhow!("bot lock used after commit")))
    }

    /// Holds off webhook intake for record `id` until this transaction ends
    /// (intake takes the shared side of this lock, without waiting).
    async fn exclude_intake(&mut self, id: BotId) -> Result<(), StoreError> {
        sql_query(crate::intake::locks::BOT_WRITE_LOCK)
            .bind::<BigInt, _>(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn load(&mut self, id: BotId) -> Result<BotRecord, StoreError> {
        let cipher = self.cipher.clone();
        let row: BotRow = bots::table
            .find(id.0)
            .select(BotRow::as_select())
            .first(self.conn()?)
            .await
            .map_err(db_err)?;
        row.into_record(&cipher).map_err(db_err)
    }
}

impl Drop for PgBotLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Not committed: detach the connection from the pool and close
            // it, so Postgres rolls back and frees the lock right away
            // instead of when the pool next recycles it.
            drop(Object::take(conn));
        }
    }
}

#[async_trait]
impl BotLock for PgBotLock {
    async fn records(&mut self) -> Result<Vec<BotRecord>, StoreError> {
        let tg = self.tg.0;
        let cipher = self.cipher.clone();
        let rows: Vec<BotRow> = bots::table
            .filter(bots::tg.eq(tg))
            .order(bots::id)
            .select(BotRow::as_select())
            .load(self.conn()?)
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|row| row.into_record(&cipher).map_err(db_err))
            .collect()
    }

    async fn reserve_id(&mut self) -> Result<BotId, StoreError> {
        let id: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
            "nextval(pg_get_serial_sequence('bots', 'id'))",
        ))
        .get_result(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(BotId(id))
    }

    async fn stage_secret(&mut self, id: BotId, digest: [u8; 32]) -> Result<(), StoreError> {
        diesel::update(bots::table.find(id.0))
            .set(bots::pending_secret_digest.eq(Some(digest.to_vec())))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert(&mut self, bot: NewBot) -> Result<BotRecord, StoreError> {
        let token_enc = self.cipher.encrypt(&bot.token).map_err(db_err)?;
        let id: i64 = diesel::insert_into(bots::table)
            .values((
                bots::id.eq(bot.id.0),
                bots::account_id.eq(bot.account.0),
                bots::tg.eq(bot.tg.0),
                bots::username.eq(&bot.username),
                bots::name.eq(&bot.name),
                bots::token_enc.eq(token_enc),
                bots::secret_digest.eq(bot.secret_digest.to_vec()),
            ))
            .returning(bots::id)
            .get_result(self.conn()?)
            .await
            .map_err(db_err)?;
        self.load(BotId(id)).await
    }

    async fn reconnect(&mut self, id: BotId, data: Reconnect) -> Result<BotRecord, StoreError> {
        self.exclude_intake(id).await?;
        let token_enc = self.cipher.encrypt(&data.token).map_err(db_err)?;
        diesel::update(bots::table.find(id.0))
            .set((
                bots::username.eq(&data.username),
                bots::name.eq(&data.name),
                bots::token_enc.eq(token_enc),
                bots::secret_digest.eq(data.secret_digest.to_vec()),
                bots::pending_secret_digest.eq(None::<Vec<u8>>),
                bots::deleted_at.eq(None::<chrono::DateTime<chrono::Utc>>),
                bots::updated_at.eq(diesel::dsl::now),
            ))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        self.load(id).await
    }

    async fn mark_deleted(&mut self, id: BotId) -> Result<(), StoreError> {
        self.exclude_intake(id).await?;
        let conn = self.conn()?;
        diesel::update(bots::table.find(id.0))
            .set((
                bots::deleted_at.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                >("now()")),
                bots::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
            .map_err(db_err)?;
        diesel::delete(bot_chats::table.filter(bot_chats::bot_id.eq(id.0)))
            .execute(conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let conn = self.conn()?;
        AnsiTransactionManager::commit_transaction(conn)
            .await
            .map_err(db_err)?;
        // Committed: the connection may go back to the pool.
        self.conn.take();
        Ok(())
    }
}
