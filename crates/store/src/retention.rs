//! [`RetentionStore`] on Postgres: the partitions of `raw_updates` (one per
//! day, `raw_updates_pYYYYMMDD`) and of `member_events` (one per month,
//! `member_events_pYYYYMM`), and the tables each had before partitioning
//! (`updates`, `member_events_legacy`).
//!
//! Each change runs in a transaction whose `lock_timeout` is
//! [`UPKEEP_LOCK_TIMEOUT_MS`]: attaching and dropping a partition lock the
//! parent table, which intake writes all the time, so a change that cannot
//! have its lock at once gives up (and the next round tries again) instead
//! of holding intake's inserts behind it.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_query;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use usher_domain::ports::{RetentionStore, StoreError};
use usher_domain::retention::{Period, Series};

use crate::error::db_err;
use crate::pg_store::PgStore;

/// Longest an upkeep statement waits for a lock: about what intake's
/// inserts may wait behind it.
pub const UPKEEP_LOCK_TIMEOUT_MS: u64 = 200;

/// Where a series lives. Every name here is a constant of this file, so
/// the statements built from them hold no input.
struct Table {
    /// The partitioned table.
    parent: &'static str,
    /// Its partition key: the data's own date.
    key: &'static str,
    /// How a partition's span start is written after `{parent}_p`.
    suffix: &'static str,
    /// The table from before partitioning, and its date column.
    legacy: &'static str,
    legacy_date: &'static str,
}

fn table(series: Series) -> Table {
    match series {
        Series::RawUpdates => Table {
            parent: "raw_updates",
            key: "date",
            suffix: "%Y%m%d",
            legacy: "updates",
            legacy_date: "received_at",
        },
        Series::MemberEvents => Table {
            parent: "member_events",
            key: "at",
            suffix: "%Y%m",
            legacy: "member_events_legacy",
            legacy_date: "at",
        },
    }
}

fn partition_name(series: Series, start: NaiveDate) -> String {
    let t = table(series);
    format!("{}_p{}", t.parent, start.format(t.suffix))
}

/// The start of the span a partition's name stands for.
fn start_of_name(series: Series, name: &str) -> Option<NaiveDate> {
    let t = table(series);
    let suffix = name.strip_prefix(t.parent)?.strip_prefix("_p")?;
    match series.period() {
        Period::Day => NaiveDate::parse_from_str(suffix, t.suffix).ok(),
        Period::Month => NaiveDate::parse_from_str(&format!("{suffix}01"), "%Y%m%d").ok(),
    }
}

/// `YYYY-MM-DD 00:00:00+00` of `day`: a literal with no quote in it.
fn midnight(day: NaiveDate) -> String {
    format!("{} 00:00:00+00", day.format("%Y-%m-%d"))
}

#[derive(QueryableByName)]
struct PartitionName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Newest {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    at: Option<DateTime<Utc>>,
}

impl PgStore {
    async fn in_upkeep_transaction(&self, statements: String) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let statements = format!("SET LOCAL lock_timeout = {UPKEEP_LOCK_TIMEOUT_MS}; {statements}");
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            conn.batch_execute(&statements).await
        })
        .await
        .map_err(db_err)
    }
}

#[async_trait]
impl RetentionStore for PgStore {
    async fn partitions(&self, series: Series) -> Result<Vec<NaiveDate>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let partitions: Vec<PartitionName> = sql_query(format!(
            "SELECT c.relname::text AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = '{}'::regclass",
            table(series).parent
        ))
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(partitions
            .iter()
            .filter_map(|p| start_of_name(series, &p.name))
            .collect())
    }

    async fn create_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError> {
        if self.partitions(series).await?.contains(&start) {
            return Ok(());
        }
        let t = table(series);
        let (name, from, to) = (
            partition_name(series, start),
            midnight(start),
            midnight(series.period().after(start, 1)),
        );
        let (parent, key) = (t.parent, t.key);
        // Made apart and attached: rows of that span that reached the
        // catch-all partition meanwhile move in first (attaching refuses
        // while the catch-all holds any), and attaching locks the parent
        // less than creating a partition in place does.
        self.in_upkeep_transaction(format!(
            "CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS); \
             WITH moved AS (DELETE FROM {parent}_default \
                            WHERE {key} >= '{from}' AND {key} < '{to}' RETURNING *) \
             INSERT INTO {name} SELECT * FROM moved; \
             ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}');"
        ))
        .await
    }

    async fn drop_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError> {
        if !self.partitions(series).await?.contains(&start) {
            return Ok(());
        }
        let (parent, name) = (table(series).parent, partition_name(series, start));
        self.in_upkeep_transaction(format!(
            "ALTER TABLE {parent} DETACH PARTITION {name}; DROP TABLE {name};"
        ))
        .await
    }

    async fn newest_legacy(&self, series: Series) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t = table(series);
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let newest: Newest = sql_query(format!(
            "SELECT max({}) AS at FROM {}",
            t.legacy_date, t.legacy
        ))
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(newest.at)
    }

    async fn empty_legacy(&self, series: Series) -> Result<(), StoreError> {
        self.in_upkeep_transaction(format!("TRUNCATE {};", table(series).legacy))
            .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::*;

    #[test]
    fn partition_names_and_bounds_are_the_spans() {
        let day: NaiveDate = "2026-12-31".parse().unwrap();
        assert_eq!(
            partition_name(Series::RawUpdates, day),
            "raw_updates_p20261231"
        );
        assert_eq!(midnight(day + Days::new(1)), "2027-01-01 00:00:00+00");
        let month: NaiveDate = "2026-12-01".parse().unwrap();
        assert_eq!(
            partition_name(Series::MemberEvents, month),
            "member_events_p202612"
        );
        for series in Series::ALL {
            let start = series.period().start_of(day);
            let name = partition_name(series, start);
            assert_eq!(start_of_name(series, &name), Some(start));
        }
        // The catch-all and the other series' partitions are not spans.
        assert_eq!(
            start_of_name(Series::MemberEvents, "member_events_default"),
            None
        );
        assert_eq!(
            start_of_name(Series::MemberEvents, "raw_updates_p20261231"),
            None
        );
    }
}
