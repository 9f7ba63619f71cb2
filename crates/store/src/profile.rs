//! [`ProfileStore`] on Postgres.

use async_trait::async_trait;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use usher_domain::AccountId;
use usher_domain::ports::{Profile, ProfileStore, StoreError};
use usher_domain::postbacks::Templates;
use usher_domain::subscribers::LeadStatus;

use crate::error::db_err;
use crate::pg_store::PgStore;
use crate::schema::accounts;

#[derive(QueryableByName)]
struct ProfileRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    bots: i64,
    #[diesel(sql_type = BigInt)]
    campaigns: i64,
    #[diesel(sql_type = Text)]
    pb_wait: String,
    #[diesel(sql_type = Text)]
    pb_hold: String,
    #[diesel(sql_type = Text)]
    pb_approve: String,
    #[diesel(sql_type = Text)]
    pb_cancel: String,
    #[diesel(sql_type = Text)]
    pb_trash: String,
}

#[async_trait]
impl ProfileStore for PgStore {
    async fn profile(&self, account: AccountId) -> Result<Option<Profile>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<ProfileRow> = crate::cached_sql::sql_query(
            "SELECT coalesce(a.name, '') AS name, \
               (SELECT count(*) FROM bots WHERE account_id = a.id AND deleted_at IS NULL) AS bots, \
               (SELECT count(*) FROM campaigns WHERE account_id = a.id AND status <> 2) AS campaigns, \
               a.pb_wait, a.pb_hold, a.pb_approve, a.pb_cancel, a.pb_trash \
             FROM accounts a WHERE a.id = $1",
        )
        .bind::<BigInt, _>(account.0)
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(db_err)?;
        Ok(row.map(|r| Profile {
            id: account,
            name: r.name,
            bots: r.bots,
            campaigns: r.campaigns,
            postbacks: Templates([r.pb_wait, r.pb_hold, r.pb_approve, r.pb_cancel, r.pb_trash]),
        }))
    }

    async fn set_global_postbacks(
        &self,
        account: AccountId,
        old: &Templates,
        t: &Templates,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let updated = diesel::update(accounts::table.find(account.0))
            .filter(accounts::pb_wait.eq(old.of(LeadStatus::Wait)))
            .filter(accounts::pb_hold.eq(old.of(LeadStatus::Hold)))
            .filter(accounts::pb_approve.eq(old.of(LeadStatus::Approve)))
            .filter(accounts::pb_cancel.eq(old.of(LeadStatus::Cancel)))
            .filter(accounts::pb_trash.eq(old.of(LeadStatus::Trash)))
            .set((
                accounts::pb_wait.eq(t.of(LeadStatus::Wait)),
                accounts::pb_hold.eq(t.of(LeadStatus::Hold)),
                accounts::pb_approve.eq(t.of(LeadStatus::Approve)),
                accounts::pb_cancel.eq(t.of(LeadStatus::Cancel)),
                accounts::pb_trash.eq(t.of(LeadStatus::Trash)),
            ))
            .execute(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(updated == 1)
    }
}
