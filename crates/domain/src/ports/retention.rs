//! The time partitions of raw data, as the store keeps them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::retention::Series;

/// Lists, creates and drops the partitions of each [`Series`] (each named
/// by the first day of its span, a day or a month as
/// [`Series::period`] says); reads and empties the table each series had
/// before partitioning.
///
/// Every method gives up with an error, rather than make intake wait, when
/// it cannot have its lock at once (an upkeep round tries again later).
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// The starts of the spans that have a partition, in any order.
    async fn partitions(&self, series: Series) -> Result<Vec<NaiveDate>, StoreError>;

    /// Makes the partition of the span starting at `start` (UTC, from its
    /// midnight to the next span's); nothing when it exists. Rows of that
    /// span written since into the catch-all partition are moved into it.
    async fn create_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError>;

    /// Drops the partition of the span starting at `start` and every row in
    /// it; nothing when it does not exist. Touches no other span.
    async fn drop_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError>;

    /// The date of the newest row of the series' table from before
    /// partitioning; `None` when it is empty.
    async fn newest_legacy(&self, series: Series) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Empties that table (instances of the earlier version write it only
    /// during a rolling deploy).
    async fn empty_legacy(&self, series: Series) -> Result<(), StoreError>;
}
