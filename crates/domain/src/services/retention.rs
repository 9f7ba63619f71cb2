//! The upkeep of raw updates' day partitions: one round makes the days
//! intake will need and drops the days past the retention.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::ports::RetentionStore;
use crate::retention::{Retention, legacy_updates_expired, plan_days};

/// What one upkeep round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpkeepReport {
    /// Days whose partition it made.
    pub created: Vec<NaiveDate>,
    /// Days whose partition it dropped.
    pub dropped: Vec<NaiveDate>,
    /// Whether it emptied the table kept from before partitioning.
    pub emptied_legacy: bool,
    /// What it could not do, each with its reason (tried again next round).
    pub failed: Vec<String>,
}

/// Runs upkeep rounds over a [`RetentionStore`].
#[derive(Clone)]
pub struct RetentionService {
    store: Arc<dyn RetentionStore>,
    retention: Retention,
}

impl RetentionService {
    /// A service over `store` keeping data as `retention` says.
    pub fn new(store: Arc<dyn RetentionStore>, retention: Retention) -> Self {
        Self { store, retention }
    }

    /// One round at `now`: creates the missing days from yesterday through
    /// a week ahead, drops the days past the retention, and empties the
    /// legacy table once its newest row is past it. A step that fails is
    /// reported and the others still run; nothing is dropped when the list
    /// of days cannot be read.
    pub async fn upkeep(&self, now: DateTime<Utc>) -> UpkeepReport {
        let mut report = UpkeepReport::default();
        let existing = match self.store.raw_update_days().await {
            Ok(days) => days,
            Err(err) => {
                report.failed.push(format!("listing the days: {err}"));
                return report;
            }
        };
        let plan = plan_days(now.date_naive(), &existing, self.retention);
        for day in plan.create {
            match self.store.create_raw_update_day(day).await {
                Ok(()) => report.created.push(day),
                Err(err) => report.failed.push(format!("creating {day}: {err:#}")),
            }
        }
        for day in plan.drop {
            match self.store.drop_raw_update_day(day).await {
                Ok(()) => report.dropped.push(day),
                Err(err) => report.failed.push(format!("dropping {day}: {err:#}")),
            }
        }
        match self.store.newest_legacy_update().await {
            Ok(newest)
                if newest.is_some() && legacy_updates_expired(newest, now, self.retention) =>
            {
                match self.store.empty_legacy_updates().await {
                    Ok(()) => report.emptied_legacy = true,
                    Err(err) => report.failed.push(format!("emptying updates: {err:#}")),
                }
            }
            Ok(_) => {}
            Err(err) => report.failed.push(format!("reading updates: {err:#}")),
        }
        report
    }
}
