//! How long raw data is kept, and which time partitions must exist.
//!
//! Raw updates live in one partition per UTC day of their own `date`
//! ([`crate::intake::IncomingUpdate::date`]): a redelivery repeats that date
//! exactly, so it meets the first copy in the same partition, whatever day
//! it arrives on. Old data goes by dropping whole partitions, never by
//! `DELETE`. This module decides which days to create and which to drop;
//! the store only lists, creates and drops.

use chrono::{DateTime, Days, NaiveDate, Utc};

/// How far ahead of today day partitions are made, so that a stalled upkeep
/// (an instance down for days) never leaves intake without one.
pub const DAYS_AHEAD: u64 = 7;

/// The fewest days raw updates may be kept: Telegram redelivers an update
/// for up to a day after its date, and exactly-once needs the first copy
/// until then.
pub const MIN_RAW_UPDATE_DAYS: u32 = 2;

/// How long each kind of raw data is kept (`retention.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a raw update is kept after its date (at least
    /// [`MIN_RAW_UPDATE_DAYS`]).
    pub raw_update_days: u32,
}

/// A retention setting out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retention.raw_update_days must be at least {MIN_RAW_UPDATE_DAYS}, not {0}")]
pub struct RetentionTooShort(pub u32);

impl Retention {
    /// Checks the settings.
    pub fn new(raw_update_days: u32) -> Result<Self, RetentionTooShort> {
        if raw_update_days < MIN_RAW_UPDATE_DAYS {
            return Err(RetentionTooShort(raw_update_days));
        }
        Ok(Self { raw_update_days })
    }
}

/// What one upkeep round does to the day partitions of raw updates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayPlan {
    /// Days to create, oldest first: yesterday (Telegram still delivers
    /// updates dated then) through [`DAYS_AHEAD`] days from today, less the
    /// ones that exist.
    pub create: Vec<NaiveDate>,
    /// Existing days to drop, oldest first: every day whose updates are all
    /// at least `raw_update_days` old at the start of today.
    pub drop: Vec<NaiveDate>,
}

/// The upkeep of day partitions on `today`, given the days that exist.
pub fn plan_days(today: NaiveDate, existing: &[NaiveDate], retention: Retention) -> DayPlan {
    let first = today - Days::new(1);
    let last = today + Days::new(DAYS_AHEAD);
    let create = first
        .iter_days()
        .take_while(|day| *day <= last)
        .filter(|day| !existing.contains(day))
        .collect();
    // A day's rows are dated before the next day; once that is
    // `raw_update_days` or more before today, all of them are that old.
    let oldest_kept = today - Days::new(u64::from(retention.raw_update_days));
    let mut drop: Vec<NaiveDate> = existing
        .iter()
        .copied()
        .filter(|day| *day < oldest_kept)
        .collect();
    drop.sort();
    DayPlan { create, drop }
}

/// Whether the table of raw updates kept before partitioning (read only
/// since, for exactly-once across a rolling deploy) may be emptied: its
/// newest row arrived `raw_update_days` or more before `now`, or it has
/// none.
pub fn legacy_updates_expired(
    newest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    retention: Retention,
) -> bool {
    newest.is_none_or(|at| {
        now.signed_duration_since(at).num_seconds() >= i64::from(retention.raw_update_days) * 86_400
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn too_short_a_retention_is_refused() {
        assert_eq!(Retention::new(1), Err(RetentionTooShort(1)));
        assert!(Retention::new(2).is_ok());
    }

    #[test]
    fn a_fresh_table_gets_yesterday_through_a_week_ahead() {
        let plan = plan_days(day("2026-12-07"), &[], Retention::new(14).unwrap());
        assert_eq!(plan.create.first(), Some(&day("2026-12-06")));
        assert_eq!(plan.create.last(), Some(&day("2026-12-14")));
        assert_eq!(plan.create.len(), 9);
        assert!(plan.drop.is_empty());
    }

    #[test]
    fn upkeep_crosses_a_month_and_a_year() {
        let existing: Vec<NaiveDate> = day("2026-12-20")
            .iter_days()
            .take_while(|d| *d <= day("2027-01-03"))
            .collect();
        let plan = plan_days(day("2026-12-30"), &existing, Retention::new(7).unwrap());
        assert_eq!(
            plan.create,
            vec![day("2027-01-04"), day("2027-01-05"), day("2027-01-06")]
        );
        // Kept from 2026-12-23 on: seven days before the 30th.
        assert_eq!(
            plan.drop,
            day("2026-12-20").iter_days().take(3).collect::<Vec<_>>()
        );
    }

    #[test]
    fn nothing_younger_than_the_retention_is_dropped() {
        let retention = Retention::new(3).unwrap();
        let today = day("2026-03-01");
        let existing = [day("2026-02-25"), day("2026-02-26"), day("2026-02-27")];
        let plan = plan_days(today, &existing, retention);
        // 2026-02-25's rows are dated before the 26th: three days or more
        // before March 1st. The 26th holds a row dated 23:59:59, two days
        // and a second before it.
        assert_eq!(plan.drop, vec![day("2026-02-25")]);
    }

    #[test]
    fn the_legacy_table_empties_only_when_its_newest_row_is_old() {
        let retention = Retention::new(2).unwrap();
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        assert!(legacy_updates_expired(None, now, retention));
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        assert!(!legacy_updates_expired(
            at("2026-12-05T12:00:01Z"),
            now,
            retention
        ));
        assert!(legacy_updates_expired(
            at("2026-12-05T12:00:00Z"),
            now,
            retention
        ));
    }
}
