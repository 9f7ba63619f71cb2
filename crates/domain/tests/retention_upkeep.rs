//! `RetentionService::upkeep` over a store in memory: what a round asks the
//! store to do, and that one failing step stops no other.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use usher_domain::ports::{RetentionStore, StoreError};
use usher_domain::retention::Retention;
use usher_domain::services::RetentionService;

#[derive(Default)]
struct Days {
    days: Mutex<BTreeSet<NaiveDate>>,
    newest_legacy: Mutex<Option<DateTime<Utc>>>,
    /// A day whose drop fails (a lock not had in time).
    stuck: Option<NaiveDate>,
    listing_fails: bool,
}

fn failure(what: &str) -> StoreError {
    StoreError::new(anyhow::anyhow!(
        "{what}: canceling statement due to lock timeout"
    ))
}

#[async_trait]
impl RetentionStore for Days {
    async fn raw_update_days(&self) -> Result<Vec<NaiveDate>, StoreError> {
        if self.listing_fails {
            return Err(failure("listing"));
        }
        Ok(self.days.lock().unwrap().iter().copied().collect())
    }
    async fn create_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError> {
        self.days.lock().unwrap().insert(day);
        Ok(())
    }
    async fn drop_raw_update_day(&self, day: NaiveDate) -> Result<(), StoreError> {
        if self.stuck == Some(day) {
            return Err(failure("dropping"));
        }
        self.days.lock().unwrap().remove(&day);
        Ok(())
    }
    async fn newest_legacy_update(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(*self.newest_legacy.lock().unwrap())
    }
    async fn empty_legacy_updates(&self) -> Result<(), StoreError> {
        *self.newest_legacy.lock().unwrap() = None;
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
    let store = Arc::new(Days {
        stuck: Some(day("2026-11-01")),
        ..Days::default()
    });
    store
        .days
        .lock()
        .unwrap()
        .extend([day("2026-11-01"), day("2026-11-02"), day("2026-12-01")]);
    *store.newest_legacy.lock().unwrap() = Some(at("2026-11-15T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(14).unwrap());

    let report = service.upkeep(at("2026-12-07T09:30:00Z")).await;
    assert_eq!(report.dropped, vec![day("2026-11-02")]);
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(
        report.failed[0].contains("2026-11-01"),
        "{:?}",
        report.failed
    );
    assert_eq!(report.created.first(), Some(&day("2026-12-06")));
    assert_eq!(report.created.last(), Some(&day("2026-12-14")));
    assert!(report.emptied_legacy);
    // The day kept, the stuck one still there for the next round, nothing
    // younger than the retention gone.
    let days = store.days.lock().unwrap().clone();
    assert!(days.contains(&day("2026-11-01")) && days.contains(&day("2026-12-01")));
    assert!(!days.contains(&day("2026-11-02")));
}

#[tokio::test]
async fn nothing_is_dropped_or_made_when_the_days_cannot_be_read() {
    let store = Arc::new(Days {
        listing_fails: true,
        ..Days::default()
    });
    *store.newest_legacy.lock().unwrap() = Some(at("2026-01-01T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(2).unwrap());
    let report = service.upkeep(at("2026-12-07T00:00:00Z")).await;
    assert!(report.created.is_empty() && report.dropped.is_empty());
    assert!(!report.emptied_legacy);
    assert_eq!(report.failed.len(), 1);
    assert!(store.newest_legacy.lock().unwrap().is_some());
}

#[tokio::test]
async fn a_recent_legacy_row_keeps_the_old_table() {
    let store = Arc::new(Days::default());
    *store.newest_legacy.lock().unwrap() = Some(at("2026-12-06T00:00:00Z"));
    let service = RetentionService::new(store.clone(), Retention::new(2).unwrap());
    let report = service.upkeep(at("2026-12-07T12:00:00Z")).await;
    assert!(!report.emptied_legacy);
    assert_eq!(report.created.len(), 9);
}
