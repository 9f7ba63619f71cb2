//! [`AccountStore`] on Postgres.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use usher_domain::ports::{AccountStore, StoreError};
use usher_domain::{AccountCredentials, AccountId, ApiKeyHash};

use crate::schema::accounts;
use crate::{PgStore, db_err};

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, name: Option<&str>) -> Result<AccountId, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let id: i64 = diesel::insert_into(accounts::table)
            .values((
                accounts::name.eq(name),
                accounts::key_hash.eq(Vec::<u8>::new()),
            ))
            .returning(accounts::id)
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(AccountId(id))
    }

    async fn set_key_hash(&self, id: AccountId, hash: &ApiKeyHash) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let changed = diesel::update(accounts::table.find(id.0))
            .set(accounts::key_hash.eq(&hash.0))
            .execute(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(changed == 1)
    }

    async fn set_banned(&self, id: AccountId, banned: bool) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let changed = diesel::update(accounts::table.find(id.0))
            .set(accounts::banned.eq(banned))
            .execute(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(changed == 1)
    }

    async fn credentials(&self, id: AccountId) -> Result<Option<AccountCredentials>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<(Vec<u8>, bool)> = accounts::table
            .find(id.0)
            .select((accounts::key_hash, accounts::banned))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        Ok(row.map(|(hash, banned)| AccountCredentials {
            key_hash: ApiKeyHash(hash),
            banned,
        }))
    }
}
