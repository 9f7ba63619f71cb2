//! `RetentionService::upkeep` over a store in memory: what a round asks the
//! store to do for each series, and that one failing step stops no other.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use usher_domain::ports::{RetentionStore, StoreError};
use usher_domain::retention::{Retention, Series};
use usher_domain::services::RetentionService;

#[derive(Default)]
struct Partitions {
    starts: Mutex<HashMap<Series, BTreeSet<NaiveDate>>>,
    newest_legacy: Mutex<HashMap<Series, DateTime<Utc>>>,
    /// A partition whose drop fails (a lock not had in time).
    stuck: Option<(Series, NaiveDate)>,
    /// A series whose list cannot be read.
    listing_fails: Option<Series>,
}

impl Partitions {
    fn has(&self, series: Series, start: NaiveDate) -> bool {
        self.starts
            .lock()
            .unwrap()
            .get(&series)
            .is_some_and(|s| s.contains(&start))
    }

    fn add(&self, series: Series, starts: impl IntoIterator<Item = NaiveDate>) {
        self.starts
            .lock()
            .unwrap()
            .entry(series)
            .or_default()
            .extend(starts);
    }
}

fn failure(what: &str) -> StoreError {
    StoreError::new(anyhow::anyhow!(
        "{what}: canceling statement due to lock timeout"
    ))
}

#[async_trait]
impl RetentionStore for Partitions {
    async fn partitions(&self, series: Series) -> Result<Vec<NaiveDate>, StoreError> {
        if self.listing_fails == Some(series) {
            return Err(failure("listing"));
        }
        let starts = self.starts.lock().unwrap();
        Ok(starts.get(&series).into_iter().flatten().copied().collect())
    }
    async fn create_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError> {
        self.add(series, [start]);
        Ok(())
    }
    async fn drop_partition(&self, series: Series, start: NaiveDate) -> Result<(), StoreError> {
        if self.stuck == Some((series, start)) {
            return Err(failure("dropping"));
        }
        if let Some(starts) = self.starts.lock().unwrap().get_mut(&series) {
            starts.remove(&start);
        }
        Ok(())
    }
    async fn newest_legacy(&self, series: Series) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.newest_legacy.lock().unwrap().get(&series).copied())
    }
    async fn empty_legacy(&self, series: Series) -> Result<(), StoreError> {
        self.newest_legacy.lock().unwrap().remove(&series);
        Ok(())
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_stuck_drop_is_reported_and_the_rest_of_the_round_still_runs() {
    let store = Arc::new(Partitions {
        stuck: Some((Series::RawUpdates, day("2026-11-01"))),
        ..Partitions::default()
    });
    store.add(
        Series::RawUpdates,
        [day("2026-11-01"), day("2026-11-02"), day("2026-12-01")],
    );
    store.add(Series::MemberEvents, [day("2025-10-01"), day("2026-11-01")]);
    store
        .newest_legacy
        .lock()
        .unwrap()
        .insert(Series::RawUpdates, at("2026-11-15T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(14, 12).unwrap());

    let report = service.upkeep(at("2026-12-07T09:30:00Z")).await;
    assert_eq!(
        report.dropped_of(Series::RawUpdates),
        vec![day("2026-11-02")]
    );
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        report.failed[0].contains("raw updates 2026-11-01"),
        "{:?}",
        report.failed
    );
    let created = report.created_of(Series::RawUpdates);
    assert_eq!(created.first(), Some(&day("2026-12-06")));
    assert_eq!(created.last(), Some(&day("2026-12-14")));
    assert_eq!(report.emptied_legacy, vec![Series::RawUpdates]);
    // The other series' round ran too: a month past twelve dropped, next
    // month and the one after made.
    assert_eq!(
        report.dropped_of(Series::MemberEvents),
        vec![day("2025-10-01")]
    );
    assert_eq!(
        report.created_of(Series::MemberEvents),
        vec![day("2026-12-01"), day("2027-01-01"), day("2027-02-01")]
    );
    // The day kept, the stuck one still there for the next round, nothing
    // younger than the retention gone.
    assert!(store.has(Series::RawUpdates, day("2026-11-01")));
    assert!(store.has(Series::RawUpdates, day("2026-12-01")));
    assert!(!store.has(Series::RawUpdates, day("2026-11-02")));
    assert!(store.has(Series::MemberEvents, day("2026-11-01")));
}

#[tokio::test]
async fn nothing_of_a_series_changes_when_its_partitions_cannot_be_read() {
    let store = Arc::new(Partitions {
        listing_fails: Some(Series::RawUpdates),
        ..Partitions::default()
    });
    store
        .newest_legacy
        .lock()
        .unwrap()
        .insert(Series::RawUpdates, at("2026-01-01T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(2, 1).unwrap());
    let report = service.upkeep(at("2026-12-07T00:00:00Z")).await;
    assert!(report.created_of(Series::RawUpdates).is_empty());
    assert!(report.emptied_legacy.is_empty());
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        store
            .newest_legacy
            .lock()
            .unwrap()
            .contains_key(&Series::RawUpdates)
    );
    // Member events, whose list reads, are kept up all the same.
    assert_eq!(report.created_of(Series::MemberEvents).len(), 4);
}

#[tokio::test]
async fn a_recent_legacy_row_keeps_the_old_table() {
    let store = Arc::new(Partitions::default());
    store
        .newest_legacy
        .lock()
        .unwrap()
        .insert(Series::MemberEvents, at("2026-11-20T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(2, 1).unwrap());
    let report = service.upkeep(at("2026-12-07T12:00:00Z")).await;
    assert!(report.emptied_legacy.is_empty());
    assert_eq!(report.created_of(Series::RawUpdates).len(), 9);
    // A month later its newest event is past the month kept.
    let later = service.upkeep(at("2026-12-20T00:00:00Z")).await;
    assert_eq!(later.emptied_legacy, vec![Series::MemberEvents]);
}
