//! [`AccountStore`] on Postgres.

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Bytea, Text};
use diesel_async::RunQueryDsl;
use usher_domain::ports::{AccountStore, StoreError};
use usher_domain::{AccountCredentials, AccountId, ApiKeyHash};

use crate::error::db_err;
use crate::key_cache::ACCOUNTS_CHANNEL;
use crate::pg_store::PgStore;
use crate::schema::accounts;

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
        let changed: Vec<Changed> = sql_query(changing("key_hash = $2"))
            .bind::<BigInt, _>(id.0)
            .bind::<Bytea, _>(&hash.0)
            .bind::<Text, _>(ACCOUNTS_CHANNEL)
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        drop(conn);
        Ok(self.changed(id, &changed).await)
    }

    async fn set_banned(&self, id: AccountId, banned: bool) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let changed: Vec<Changed> = sql_query(changing("banned = $2"))
            .bind::<BigInt, _>(id.0)
            .bind::<Bool, _>(banned)
            .bind::<Text, _>(ACCOUNTS_CHANNEL)
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        drop(conn);
        Ok(self.changed(id, &changed).await)
    }

    async fn credentials(&self, id: AccountId) -> Result<Option<AccountCredentials>, StoreError> {
        if let Some(cached) = self.keys.get(id.0) {
            return Ok(Some(cached));
        }
        let ticket = self.keys.ticket();
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Option<(Vec<u8>, bool)> = accounts::table
            .find(id.0)
            .select((accounts::key_hash, accounts::banned))
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        let credentials = row.map(|(hash, banned)| AccountCredentials {
            key_hash: ApiKeyHash(hash),
            banned,
        });
        if let Some(found) = &credentials {
            self.keys.put(ticket, id.0, found);
        }
        Ok(credentials)
    }
}

/// The row an account change touched.
#[derive(QueryableByName)]
struct Changed {
    /// Whether the account had a key before: only then can an instance
    /// hold it in its cache (an account just created has none yet).
    #[diesel(sql_type = Bool)]
    had_key: bool,
}

impl PgStore {
    /// After an account change: evicts it here, and when some instance
    /// may have its old credentials cached, waits out the grace. Whether
    /// the account was found.
    async fn changed(&self, id: AccountId, rows: &[Changed]) -> bool {
        self.keys.evict(id.0);
        if rows.iter().any(|r| r.had_key) {
            settle_key_change().await;
        }
        rows.len() == 1
    }
}

/// How long a key change waits after its commit before it answers:
/// PostgreSQL notifies every instance's listener at commit, and each
/// evicts the account within microseconds to a few milliseconds; waiting
/// well past that means the caller's next request, to any instance, meets
/// the change.
const KEY_CHANGE_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

async fn settle_key_change() {
    tokio::time::sleep(KEY_CHANGE_GRACE).await;
}

/// `UPDATE accounts SET <set> WHERE id = $1` that announces the change on
/// channel `$3` in the same statement, so that every instance's key cache
/// evicts the account when it commits.
fn changing(set: &str) -> String {
    format!(
        "WITH old AS (SELECT id, length(key_hash) > 0 AS had_key FROM accounts WHERE id = $1 FOR UPDATE), \
              changed AS (UPDATE accounts a SET {set} FROM old WHERE a.id = old.id \
                          RETURNING a.id, old.had_key) \
         SELECT c.had_key FROM changed c, LATERAL (SELECT pg_notify($3, c.id::text)) AS n"
    )
}
