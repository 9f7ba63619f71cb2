//! [`CampaignStore`] on Postgres.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::collections::HashMap;
use usher_domain::ports::{
    CampaignStore, InsertCampaignError, NewCampaign, SettingsSwap, StoreError,
};

use diesel::sql_types::{Array, BigInt};
use usher_domain::invite_links::{InviteLink, LinkId, LinkMode, NewInviteLink};
use usher_domain::postbacks::Templates;
use usher_domain::subscribers::LeadStatus;
use usher_domain::subscribers::join_requests::JoinRequestPolicy;
use usher_domain::{
    AccountId, AdminChat, BotId, Campaign, CampaignId, CampaignSettings, CampaignStatus, ChatId,
    Counters,
};

use crate::campaign_links as links;
use crate::error::db_err;
use crate::pg_store::PgStore;
use crate::schema::{bots, campaigns};

type Row = (Base, TemplateColumns, (i16, i16));

/// The five templates, as stored.
pub(crate) type TemplateColumns = (String, String, String, String, String);

type Base = (
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
    String,
    String,
    i64,
);

/// The columns a [`Row`] holds, in its order.
#[diesel::dsl::auto_type]
fn columns() -> _ {
    (
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
            campaigns::button_text,
            campaigns::button_url,
            campaigns::unsub_window,
        ),
        (
            campaigns::pb_wait,
            campaigns::pb_hold,
            campaigns::pb_approve,
            campaigns::pb_cancel,
            campaigns::pb_trash,
        ),
        (campaigns::link_mode, campaigns::join_policy),
    )
}

/// The campaign of a row; its counters and invite link are filled in by
/// [`with_counters`].
fn campaign((base, templates, (link_mode, join_policy)): Row) -> Campaign {
    let (
        id,
        account,
        code,
        bot,
        bot_username,
        chat,
        chat_title,
        welcome,
        status,
        created,
        button_text,
        button_url,
        unsub_window,
    ) = base;
    Campaign {
        id: CampaignId(id),
        account: AccountId(account),
        code,
        bot: BotId(bot),
        bot_username,
        chat: ChatId(chat),
        chat_title,
        welcome,
        button_text,
        button_url,
        unsub_window,
        postbacks: templates_of(templates),
        counters: Counters::default(),
        status: CampaignStatus::from_code(status),
        link_mode: LinkMode::from_code(link_mode),
        invite_link: String::new(),
        // An unknown code (a newer instance's) is left to a person.
        join_requests: JoinRequestPolicy::from_code(join_policy).unwrap_or_default(),
        created,
    }
}

/// Templates as stored, in status order.
pub(crate) fn templates_of((w, h, a, c, t): TemplateColumns) -> Templates {
    Templates([w, h, a, c, t])
}

#[derive(QueryableByName)]
struct CounterRow {
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    starts: i64,
    #[diesel(sql_type = BigInt)]
    confirms: i64,
    #[diesel(sql_type = BigInt)]
    unsubs: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    invite_link: Option<String>,
}

/// Fills in the lead counters of `campaigns`, in one statement, from the
/// counters intake keeps (`lead_counts`, `campaign_confirms`): a few rows
/// per campaign, however many leads it has; and each one's live primary
/// invite link.
async fn with_counters(
    conn: &mut diesel_async::AsyncPgConnection,
    mut campaigns: Vec<Campaign>,
) -> Result<Vec<Campaign>, StoreError> {
    if campaigns.is_empty() {
        return Ok(campaigns);
    }
    let ids: Vec<i64> = campaigns.iter().map(|c| c.id.0).collect();
    let mut counted: HashMap<i64, (Counters, Option<String>)> = crate::cached_sql::sql_query(
        "SELECT c.id AS campaign_id, \
           coalesce((SELECT sum(n) FROM lead_counts WHERE campaign_id = c.id), 0)::bigint AS starts, \
           coalesce((SELECT n FROM campaign_confirms WHERE campaign_id = c.id), 0)::bigint AS confirms, \
           coalesce((SELECT sum(n) FROM lead_counts WHERE campaign_id = c.id AND status IN (3, 4)), 0)::bigint \
             AS unsubs, \
           (SELECT url FROM campaign_links \
             WHERE campaign = c.id AND is_primary AND revoked IS NULL) AS invite_link \
         FROM unnest($1::bigint[]) AS c (id)",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .load::<CounterRow>(conn)
    .await
    .map_err(db_err)?
    .into_iter()
    .map(|r| {
        let counters = Counters {
            starts: r.starts,
            confirms: r.confirms,
            unsubs: r.unsubs,
        };
        (r.campaign_id, (counters, r.invite_link))
    })
    .collect();
    for campaign in &mut campaigns {
        if let Some((counters, link)) = counted.remove(&campaign.id.0) {
            campaign.counters = counters;
            campaign.invite_link = link.unwrap_or_default();
        }
    }
    Ok(campaigns)
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
        with_counters(&mut conn, rows.into_iter().map(campaign).collect()).await
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
        let found = with_counters(&mut conn, row.map(campaign).into_iter().collect()).await?;
        Ok(found.into_iter().next())
    }

    async fn insert_campaign(&self, new: NewCampaign) -> Result<Campaign, InsertCampaignError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let inserted = conn
            .transaction::<_, DieselError, _>(async |conn| {
                let id = insert_row(conn, &new).await?;
                if let Some(link) = &new.link {
                    links::insert(conn, new.account, CampaignId(id), link).await?;
                }
                Ok(id)
            })
            .await;
        let id = match inserted {
            Ok(id) => id,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                return Err(match info.constraint_name() {
                    Some("campaigns_code_unique") => InsertCampaignError::CodeTaken,
                    Some("campaign_links_url") => InsertCampaignError::Store(StoreError::new(
                        anyhow::anyhow!("Telegram answered an invite link another campaign has"),
                    )),
                    _ => InsertCampaignError::ChatTaken,
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
        let mut campaign = campaign(row);
        campaign.invite_link = new.link.map(|l| l.url).unwrap_or_default();
        Ok(campaign)
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
        let previous: Option<i16> = crate::cached_sql::sql_query(
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

    async fn update_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
        expected: &CampaignSettings,
        settings: &CampaignSettings,
        new_primary: Option<NewInviteLink>,
    ) -> Result<SettingsSwap, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let old = &expected.postbacks;
        let update = diesel::update(campaigns::table)
            .filter(campaigns::id.eq(id.0))
            .filter(campaigns::account_id.eq(account.0))
            .filter(campaigns::status.ne(CampaignStatus::Deleted.code()))
            .filter(campaigns::welcome.eq(&expected.welcome))
            .filter(campaigns::button_text.eq(&expected.button_text))
            .filter(campaigns::button_url.eq(&expected.button_url))
            .filter(campaigns::unsub_window.eq(expected.unsub_window))
            .filter(campaigns::pb_wait.eq(old.of(LeadStatus::Wait)))
            .filter(campaigns::pb_hold.eq(old.of(LeadStatus::Hold)))
            .filter(campaigns::pb_approve.eq(old.of(LeadStatus::Approve)))
            .filter(campaigns::pb_cancel.eq(old.of(LeadStatus::Cancel)))
            .filter(campaigns::pb_trash.eq(old.of(LeadStatus::Trash)))
            .filter(campaigns::link_mode.eq(expected.link_mode.code()))
            .filter(campaigns::join_policy.eq(expected.join_requests.code()))
            .set((
                campaigns::welcome.eq(&settings.welcome),
                campaigns::button_text.eq(&settings.button_text),
                campaigns::button_url.eq(&settings.button_url),
                campaigns::unsub_window.eq(settings.unsub_window),
                campaigns::pb_wait.eq(settings.postbacks.of(LeadStatus::Wait)),
                campaigns::pb_hold.eq(settings.postbacks.of(LeadStatus::Hold)),
                campaigns::pb_approve.eq(settings.postbacks.of(LeadStatus::Approve)),
                campaigns::pb_cancel.eq(settings.postbacks.of(LeadStatus::Cancel)),
                campaigns::pb_trash.eq(settings.postbacks.of(LeadStatus::Trash)),
                campaigns::link_mode.eq(settings.link_mode.code()),
                campaigns::join_policy.eq(settings.join_requests.code()),
                campaigns::updated_at.eq(diesel::dsl::now),
            ));
        let mode_changes = expected.link_mode != settings.link_mode;
        let updated = conn
            .transaction::<_, DieselError, _>(async |conn| {
                let updated = update.execute(conn).await?;
                if updated == 1 && mode_changes {
                    links::retire_primary(conn, id).await?;
                    if let Some(link) = &new_primary {
                        links::insert(conn, account, id, link).await?;
                    }
                }
                Ok(updated)
            })
            .await
            .map_err(db_err)?;
        drop(conn);
        let now = self
            .get_campaign(account, id)
            .await?
            .filter(|c| c.status != CampaignStatus::Deleted);
        Ok(match (updated, now) {
            (_, None) => SettingsSwap::Gone,
            (0, Some(_)) => SettingsSwap::Stale,
            (_, Some(campaign)) => SettingsSwap::Updated(Box::new(campaign)),
        })
    }

    async fn campaign_links(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<Vec<InviteLink>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        links::of_campaign(&mut conn, account, id)
            .await
            .map_err(db_err)
    }

    async fn insert_link(
        &self,
        account: AccountId,
        id: CampaignId,
        link: NewInviteLink,
    ) -> Result<Option<InviteLink>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        links::insert_extra(&mut conn, account, id, &link)
            .await
            .map_err(db_err)
    }

    async fn mark_link_revoked(
        &self,
        account: AccountId,
        id: CampaignId,
        link: LinkId,
    ) -> Result<Option<InviteLink>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        links::mark_revoked(&mut conn, account, id, link)
            .await
            .map_err(db_err)
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

/// Inserts the campaign's row; answers its id.
async fn insert_row(
    conn: &mut diesel_async::AsyncPgConnection,
    new: &NewCampaign,
) -> Result<i64, DieselError> {
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::account_id.eq(new.account.0),
            campaigns::bot_id.eq(new.bot.0),
            campaigns::chat_id.eq(new.chat.id.0),
            campaigns::chat_title.eq(&new.chat.title),
            campaigns::chat_type.eq(&new.chat.kind),
            campaigns::code.eq(&new.code),
            campaigns::welcome.eq(&new.settings.welcome),
            campaigns::button_text.eq(&new.settings.button_text),
            campaigns::button_url.eq(&new.settings.button_url),
            campaigns::unsub_window.eq(new.settings.unsub_window),
            campaigns::pb_wait.eq(new.settings.postbacks.of(LeadStatus::Wait)),
            campaigns::pb_hold.eq(new.settings.postbacks.of(LeadStatus::Hold)),
            campaigns::pb_approve.eq(new.settings.postbacks.of(LeadStatus::Approve)),
            campaigns::pb_cancel.eq(new.settings.postbacks.of(LeadStatus::Cancel)),
            campaigns::pb_trash.eq(new.settings.postbacks.of(LeadStatus::Trash)),
            campaigns::link_mode.eq(new.settings.link_mode.code()),
            campaigns::join_policy.eq(new.settings.join_requests.code()),
        ))
        .returning(campaigns::id)
        .get_result::<i64>(conn)
        .await
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    status: i16,
}

#[cfg(test)]
mod tests {
    use usher_domain::CampaignStatus;

    /// The SQL of bots.rs, profile.rs, intake/subscribers/reads.rs and
    /// outbox/claims.rs writes a deleted campaign's code as the constant
    /// `2`, never as a parameter: the partial indexes `campaigns_one_per_chat` and
    /// `campaigns_live_by_bot` (`WHERE status <> 2`) serve a query only
    /// when its predicate repeats theirs. This pins the domain's code to it.
    #[test]
    fn the_sql_constant_for_a_deleted_campaign_is_the_domains_code() {
        assert_eq!(CampaignStatus::Deleted.code(), 2);
        assert_eq!(CampaignStatus::from_code(2), CampaignStatus::Deleted);
    }
}
