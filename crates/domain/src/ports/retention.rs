//! The time partitions of raw updates, as the store keeps them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;

/// Lists, creates and drops the day partitions of raw updates; reads and
/// empties the table kept from before partitioning.
///
/// Every method gives up with an error, rather than make intake wait, when
/// it cannot have its lock at once (an upkeep round tries again later).
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// The days that have a partition, in any order.
    async fn raw_update_days(&self) -> Result<Vec<NaiveDate>, StoreError>;

    /// Makes the partition of `day` (UTC, from its midnight to the next);
    /// nothing when it exists. Updates of that day written since into the
    /// catch-all partition are moved into it.
    async fn create_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError>;

    /// Drops the partition of `day` and every update in it; nothing when
    /// it does not exist. Touches no other day.
    async fn drop_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError>;

    /// When the newest row of the table of raw updates kept from before
    /// partitioning arrived; `None` when it is empty.
    async fn newest_legacy_update(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Empties that table (it is only read, for exactly-once across a
    /// rolling deploy, once every instance writes the partitions).
    async fn empty_legacy_updates(&self) -> Result<(), StoreError>;
}
