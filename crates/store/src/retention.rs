//! [`RetentionStore`] on Postgres: the day partitions of `raw_updates`
//! (named `raw_updates_pYYYYMMDD`) and the table `updates` kept from before
//! partitioning.
//!
//! Each change runs in a transaction whose `lock_timeout` is
//! [`UPKEEP_LOCK_TIMEOUT_MS`]: attaching and dropping a partition lock the
//! parent table, which intake writes all the time, so a change that cannot
//! have its lock at once gives up (and the next round tries again) instead
//! of holding intake's inserts behind it.

use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_query;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use usher_domain::ports::{RetentionStore, StoreError};

use crate::error::db_err;
use crate::pg_store::PgStore;

/// Longest an upkeep statement waits for a lock: about what intake's
/// inserts may wait behind it.
pub const UPKEEP_LOCK_TIMEOUT_MS: u64 = 200;

fn partition_name(day: NaiveDate) -> String {
    format!("raw_updates_p{}", day.format("%Y%m%d"))
}

/// `YYYY-MM-DD 00:00:00+00` of `day`: a literal with no quote in it.
fn midnight(day: NaiveDate) -> String {
    format!("{} 00:00:00+00", day.format("%Y-%m-%d"))
}

#[derive(QueryableByName)]
struct Partition {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Newest {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    at: Option<DateTime<Utc>>,
}

#[async_trait]
impl RetentionStore for PgStore {
    async fn raw_update_days(&self) -> Result<Vec<NaiveDate>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let partitions: Vec<Partition> = sql_query(
            "SELECT c.relname::text AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'raw_updates'::regclass",
        )
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(partitions
            .iter()
            .filter_map(|p| p.name.strip_prefix("raw_updates_p"))
            .filter_map(|day| NaiveDate::parse_from_str(day, "%Y%m%d").ok())
            .collect())
    }

    async fn create_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError> {
        if self.raw_update_days().await?.contains(&day) {
            return Ok(());
        }
        let (name, from, to) = (
            partition_name(day),
            midnight(day),
            midnight(day + Days::new(1)),
        );
        let mut conn = self.pool.get().await.map_err(db_err)?;
        // Made apart and attached: rows of that day that reached the
        // catch-all partition meanwhile move in first (attaching refuses
        // while the catch-all holds any), and attaching locks the parent
        // less than creating a partition in place does.
        let statements = format!(
            "SET LOCAL lock_timeout = {UPKEEP_LOCK_TIMEOUT_MS}; \
             CREATE TABLE {name} (LIKE raw_updates INCLUDING DEFAULTS INCLUDING CONSTRAINTS); \
             WITH moved AS (DELETE FROM raw_updates_default \
                            WHERE date >= '{from}' AND date < '{to}' RETURNING *) \
             INSERT INTO {name} SELECT * FROM moved; \
             ALTER TABLE raw_updates ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}');"
        );
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            conn.batch_execute(&statements).await
        })
        .await
        .map_err(db_err)
    }

    async fn drop_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError> {
        if !self.raw_update_days().await?.contains(&day) {
            return Ok(());
        }
        let name = partition_name(day);
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let statements = format!(
            "SET LOCAL lock_timeout = {UPKEEP_LOCK_TIMEOUT_MS}; \
             ALTER TABLE raw_updates DETACH PARTITION {name}; \
             DROP TABLE {name};"
        );
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            conn.batch_execute(&statements).await
        })
        .await
        .map_err(db_err)
    }

    async fn newest_legacy_update(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let newest: Newest = sql_query("SELECT max(received_at) AS at FROM updates")
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        Ok(newest.at)
    }

    async fn empty_legacy_updates(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            conn.batch_execute(&format!(
                "SET LOCAL lock_timeout = {UPKEEP_LOCK_TIMEOUT_MS}; TRUNCATE updates;"
            ))
            .await
        })
        .await
        .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_and_bounds_are_the_days() {
        let day: NaiveDate = "2026-12-31".parse().unwrap();
        assert_eq!(partition_name(day), "raw_updates_p20261231");
        assert_eq!(midnight(day + Days::new(1)), "2027-01-01 00:00:00+00");
    }
}
