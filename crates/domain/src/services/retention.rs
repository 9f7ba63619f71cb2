//! The upkeep of the time partitions: one round makes the partitions
//! intake will need and drops the ones past the retention, for every
//! [`Series`].

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::ports::RetentionStore;
use crate::retention::{Retention, Series, legacy_expired, plan_partitions};

/// One partition: its series and the first day of its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The table it belongs to.
    pub series: Series,
    /// The first day of its span.
    pub start: NaiveDate,
}

/// What one upkeep round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpkeepReport {
    /// Partitions it made, series by series, oldest first.
    pub created: Vec<Partition>,
    /// Partitions it dropped, series by series, oldest first.
    pub dropped: Vec<Partition>,
    /// The series whose table from before partitioning it emptied.
    pub emptied_legacy: Vec<Series>,
    /// What it could not do, each with its reason (tried again next round).
    pub failed: Vec<String>,
}

impl UpkeepReport {
    /// The starts of the partitions of `series` it made.
    pub fn created_of(&self, series: Series) -> Vec<NaiveDate> {
        Self::of(&self.created, series)
    }

    /// The starts of the partitions of `series` it dropped.
    pub fn dropped_of(&self, series: Series) -> Vec<NaiveDate> {
        Self::of(&self.dropped, series)
    }

    /// Whether it changed anything.
    pub fn changed(&self) -> bool {
        !self.created.is_empty() || !self.dropped.is_empty() || !self.emptied_legacy.is_empty()
    }

    fn of(partitions: &[Partition], series: Series) -> Vec<NaiveDate> {
        partitions
            .iter()
            .filter(|p| p.series == series)
            .map(|p| p.start)
            .collect()
    }
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

    /// One round at `now`, for every series: creates the missing
    /// partitions from the previous span through the ones ahead, drops the
    /// ones past the retention, and empties the table from before
    /// partitioning once its newest row is past it. A step that fails is
    /// reported and the others still run; nothing of a series changes when
    /// its list of partitions cannot be read.
    pub async fn upkeep(&self, now: DateTime<Utc>) -> UpkeepReport {
        let mut report = UpkeepReport::default();
        for series in Series::ALL {
            self.keep(series, now, &mut report).await;
        }
        report
    }

    async fn keep(&self, series: Series, now: DateTime<Utc>, report: &mut UpkeepReport) {
        let name = series.name();
        match self.store.partitions(series).await {
            Ok(existing) => {
                let plan = plan_partitions(series, now.date_naive(), &existing, self.retention);
                for start in plan.create {
                    match self.store.create_partition(series, start).await {
                        Ok(()) => report.created.push(Partition { series, start }),
                        Err(err) => report
                            .failed
                            .push(format!("creating {name} {start}: {err:#}")),
                    }
                }
                for start in plan.drop {
                    match self.store.drop_partition(series, start).await {
                        Ok(()) => report.dropped.push(Partition { series, start }),
                        Err(err) => report
                            .failed
                            .push(format!("dropping {name} {start}: {err:#}")),
                    }
                }
            }
            Err(err) => {
                report
                    .failed
                    .push(format!("listing the partitions of {name}: {err}"));
                return;
            }
        }
        match self.store.newest_legacy(series).await {
            Ok(newest)
                if newest.is_some() && legacy_expired(series, newest, now, self.retention) =>
            {
                match self.store.empty_legacy(series).await {
                    Ok(()) => report.emptied_legacy.push(series),
                    Err(err) => report
                        .failed
                        .push(format!("emptying the old table of {name}: {err:#}")),
                }
            }
            Ok(_) => {}
            Err(err) => report
                .failed
                .push(format!("reading the old table of {name}: {err:#}")),
        }
    }
}
