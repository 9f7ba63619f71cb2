//! [`CampaignStore`] on Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;
use usher_domain::ports::{CampaignStore, InsertCampaignError, NewCampaign, StoreError};
use usher_domain::{AccountId, AdminChat, BotId, Campaign, CampaignId, CampaignStatus, ChatId};

use crate::schema::{bots, campaigns};
use crate::{PgStore, db_err};

type Row = (
    i64,
    i64,
    String,
    i64,
    String,
    i64,
    String,
    String,
    i16,
    DateTime<Utc>,
);

/// The columns a [`Row`] holds, in its order.
#[diesel::dsl::auto_type]
fn columns() -> _ {
    (
        campaigns::id,
        campaigns::account_id,
        campaigns::code,
        campaigns::bot_id,
        bots::username,
        campaigns::chat_id,
        campaigns::chat_title,
        campaigns::welcome,
        campaigns::status,
        campaigns::created_at,
    )
}

fn campaign(row: Row) -> Campaign {
    let (id, account, code, bot, bot_username, chat, chat_title, welcome, status, created) = row;
    Campaign {
        id: CampaignId(id),
        account: AccountId(account),
        code,
        bot: BotId(bot),
        bot_username,
        chat: ChatId(chat),
        chat_title,
        welcome,
        status: CampaignStatus::from_code(status),
        created,
    }
}

#[async_trait]
impl CampaignStore for PgStore {
    async fn list_campaigns(&self, account: AccountId) -> Result<Vec<Campaign>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let rows: Vec<Row> = campaigns::table
            .inner_join(bots::table)
            .filter(campaigns::account_id.eq(account.0))
            .filter(campaigns::status.ne(CampaignStatus::Deleted.code()))
            .order(campaigns::id)
            .select(columns())
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(campaign).collect())
    }

    async fn get_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<Row> = campaigns::table
            .inner_join(bots::table)
            .filter(
                campaigns::id
                    .eq(id.0)
                    .and(campaigns::account_id.eq(account.0)),
            )
            .select(columns())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(campaign))
    }

    async fn insert_campaign(&self, new: NewCampaign) -> Result<Campaign, InsertCampaignError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let inserted = diesel::insert_into(campaigns::table)
            .values((
                campaigns::account_id.eq(new.account.0),
                campaigns::bot_id.eq(new.bot.0),
                campaigns::chat_id.eq(new.chat.id.0),
                campaigns::chat_title.eq(&new.chat.title),
                campaigns::chat_type.eq(&new.chat.kind),
                campaigns::code.eq(&new.code),
                campaigns::welcome.eq(&new.welcome),
            ))
            .returning(campaigns::id)
            .get_result::<i64>(&mut conn)
            .await;
        let id = match inserted {
            Ok(id) => id,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                return Err(if info.constraint_name() == Some("campaigns_code_unique") {
                    InsertCampaignError::CodeTaken
                } else {
                    InsertCampaignError::ChatTaken
                });
            }
            Err(err) => return Err(db_err(err).into()),
        };
        let row: Row = campaigns::table
            .inner_join(bots::table)
            .filter(campaigns::id.eq(id))
            .select(columns())
            .first(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(campaign(row))
    }

    async fn set_campaign_status(
        &self,
        account: AccountId,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
    ) -> Result<Option<CampaignStatus>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let from: Vec<i16> = from.iter().map(|s| s.code()).collect();
        // One statement: read the old status and change it if allowed.
        let previous: Option<i16> = diesel::sql_query(
            "WITH old AS (SELECT id, status FROM campaigns WHERE id = $1 AND account_id = $2 FOR UPDATE), \
                  upd AS (UPDATE campaigns c SET status = $3, updated_at = now() FROM old \
                          WHERE c.id = old.id AND old.status = ANY($4) AND old.status <> $3) \
             SELECT status FROM old",
        )
        .bind::<diesel::sql_types::BigInt, _>(id.0)
        .bind::<diesel::sql_types::BigInt, _>(account.0)
        .bind::<diesel::sql_types::SmallInt, _>(to.code())
        .bind::<diesel::sql_types::Array<diesel::sql_types::SmallInt>, _>(&from)
        .get_result::<StatusRow>(&mut conn)
        .await
        .optional()
        .map_err(db_err)?
        .map(|row| row.status);
        Ok(previous.map(CampaignStatus::from_code))
    }

    async fn tracked_chats(&self, bot: BotId) -> Result<Vec<AdminChat>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let rows: Vec<(i64, String, String)> = campaigns::table
            .filter(campaigns::bot_id.eq(bot.0))
            .filter(campaigns::status.ne(CampaignStatus::Deleted.code()))
            .order(campaigns::chat_id)
            .select((
                campaigns::chat_id,
                campaigns::chat_title,
                campaigns::chat_type,
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, title, kind)| AdminChat {
                id: ChatId(id),
                title,
                kind,
            })
            .collect())
    }
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    status: i16,
}
