//! [`BotStore`] on Postgres.

use async_trait::async_trait;
use diesel::dsl::{count, count_star};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double};
use diesel_async::RunQueryDsl;
use std::time::{Duration, Instant};
use usher_domain::intake::{BotMembership, ChatRef};
use usher_domain::ports::{BotLock, BotStore, MemberStatus, StoreError, TgClaim};
use usher_domain::{AccountId, AdminChat, BotId, BotRecord, BotStatus, BotSummary, TgBotId};

use crate::bot_lock::PgBotLock;
use crate::cached_sql::sql_query;
use crate::error::db_err;
use crate::pg_store::PgStore;
use crate::rows::{BotRow, ChatRow};
use crate::schema::{bots, campaigns};

/// The ids of bots with Warning: a live campaign through the bot tracks a
/// chat where the bot is not (any more) an administrator, as the
/// campaign's `served` flag says (kept by triggers in the transaction that
/// changes the campaign or the bot's admin-chat cache, migration 10). Read
/// from the partial index of the unserved campaigns, a handful however many
/// campaigns an account has. Used as `bots.id IN (...)`, one hashed
/// scan for all the bots. `bots/list.json` narrows it to the account's
/// campaigns (a campaign is always its bot's account's). Written with the
/// DSL so that the statements using it are prepared once per connection.
#[diesel::dsl::auto_type]
fn bots_with_unserved_campaigns() -> _ {
    campaigns::table
        .filter(campaigns::status.ne(2i16))
        .filter(diesel::dsl::not(campaigns::served))
        .select(campaigns::bot_id)
}

#[async_trait]
impl BotStore for PgStore {
    async fn list_bots(&self, account: AccountId) -> Result<Vec<BotSummary>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let rows: Vec<(
            i64,
            i64,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
            bool,
            bool,
        )> = bots::table
            .filter(bots::account_id.eq(account.0))
            .order(bots::id)
            .select((
                bots::id,
                bots::tg,
                bots::username,
                bots::name,
                bots::created_at,
                bots::deleted_at.is_not_null(),
                bots::id.eq_any(
                    bots_with_unserved_campaigns().filter(campaigns::account_id.eq(account.0)),
                ),
            ))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, tg, username, name, created, deleted, warning)| BotSummary {
                    id: BotId(id),
                    tg: TgBotId(tg),
                    username,
                    name,
                    status: if deleted {
                        BotStatus::Deleted
                    } else if warning {
                        BotStatus::Warning
                    } else {
                        BotStatus::Active
                    },
                    created,
                },
            )
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
        // One statement: no row when the bot is not the account's, one row
        // of NULLs when it is and nothing is offered. The cache minus chats
        // a live campaign of the account tracks, through this bot or another.
        let rows: Vec<OfferedRow> = crate::cached_sql::sql_query(
            "SELECT c.chat_id, c.title, c.chat_type FROM bots b \
             LEFT JOIN LATERAL ( \
                 SELECT bc.chat_id, bc.title, bc.chat_type FROM bot_chats bc \
                 WHERE bc.bot_id = b.id AND bc.is_admin \
                   AND bc.chat_id NOT IN (SELECT k.chat_id FROM campaigns k \
                                          WHERE k.account_id = $2 AND k.status <> 2)) c ON true \
             WHERE b.id = $1 AND b.account_id = $2 \
             ORDER BY c.chat_id",
        )
        .bind::<diesel::sql_types::BigInt, _>(bot.0)
        .bind::<diesel::sql_types::BigInt, _>(account.0)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .filter_map(|r| {
                    Some(AdminChat::from(ChatRow {
                        chat_id: r.chat_id?,
                        title: r.title?,
                        chat_type: r.chat_type?,
                    }))
                })
                .collect(),
        ))
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
        crate::intake::membership::record_membership(&mut conn, bot, 0, &change)
            .await
            .map_err(db_err)
    }

    async fn lock_tg(&self, tg: TgBotId) -> Result<Box<dyn BotLock>, StoreError> {
        let lock = PgBotLock::open(&self.pool, self.cipher.clone(), tg).await?;
        Ok(Box::new(lock))
    }

    async fn claim_tg(&self, tg: TgBotId, ttl: Duration) -> Result<TgClaim, StoreError> {
        let claim = TgClaim {
            tg,
            holder: rand::random::<i64>(),
        };
        let give_up = Instant::now() + ttl + CLAIM_WAIT_MARGIN;
        let mut pause = Duration::from_millis(5);
        loop {
            if self.try_claim(claim, ttl).await? {
                return Ok(claim);
            }
            if Instant::now() >= give_up {
                return Err(db_err(anyhow::anyhow!(
                    "bot {} stayed claimed by another add or delete for over {:?}",
                    tg.0,
                    ttl + CLAIM_WAIT_MARGIN
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(CLAIM_POLL_MAX);
        }
    }

    async fn release_tg(&self, claim: TgClaim) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        sql_query("DELETE FROM bot_claims WHERE tg = $1 AND holder = $2")
            .bind::<BigInt, _>(claim.tg.0)
            .bind::<BigInt, _>(claim.holder)
            .execute(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn unstage_secret(&self, bot: BotId, digest: &[u8; 32]) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        diesel::update(
            bots::table
                .find(bot.0)
                .filter(bots::pending_secret_digest.eq(digest.to_vec())),
        )
        .set(bots::pending_secret_digest.eq(None::<Vec<u8>>))
        .execute(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

/// How long past a claim's ttl a waiter keeps trying.
const CLAIM_WAIT_MARGIN: Duration = Duration::from_secs(5);

/// The longest pause between two tries at a claim.
const CLAIM_POLL_MAX: Duration = Duration::from_millis(100);

impl PgStore {
    /// One try at `claim`: taken if nobody else holds an unexpired one.
    async fn try_claim(&self, claim: TgClaim, ttl: Duration) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let taken = sql_query(
            "INSERT INTO bot_claims (tg, holder, expires_at) \
             VALUES ($1, $2, now() + make_interval(secs => $3)) \
             ON CONFLICT (tg) DO UPDATE \
             SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             WHERE bot_claims.expires_at < now() \
             RETURNING holder",
        )
        .bind::<BigInt, _>(claim.tg.0)
        .bind::<BigInt, _>(claim.holder)
        .bind::<Double, _>(ttl.as_secs_f64())
        .get_result::<Holder>(&mut conn)
        .await
        .optional()
        .map_err(db_err)?;
        Ok(taken.is_some_and(|h| h.holder == claim.holder))
    }
}

/// The row `try_claim` returns when the claim is taken.
#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = BigInt)]
    holder: i64,
}

impl PgStore {
    /// How many bots are active, warning and deleted, system-wide (for
    /// metrics). Warning is computed as `bots/list.json` computes it.
    pub async fn bot_status_counts(&self) -> Result<[(BotStatus, i64); 3], StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        // Counted by PostgreSQL: one row comes back, however many bots.
        let (all, deleted, warning): (i64, i64, i64) = bots::table
            .select((
                count_star(),
                count(bots::id).aggregate_filter(bots::deleted_at.is_not_null()),
                count(bots::id).aggregate_filter(
                    bots::deleted_at
                        .is_null()
                        .and(bots::id.eq_any(bots_with_unserved_campaigns())),
                ),
            ))
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        let active = all - deleted - warning;
        Ok([
            (BotStatus::Active, active),
            (BotStatus::Warning, warning),
            (BotStatus::Deleted, deleted),
        ])
    }
}

/// A row of `offered_chats`: NULLs when the bot offers nothing.
#[derive(QueryableByName)]
struct OfferedRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    chat_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    title: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    chat_type: Option<String>,
}
