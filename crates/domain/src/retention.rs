//! How long raw data is kept, and which time partitions must exist.
//!
//! Each append-only table the API never reads back lives in partitions by
//! the data's own date, not the time it arrived: raw updates by the UTC day
//! of their `date` ([`crate::intake::IncomingUpdate::date`]), member events
//! by the UTC month of theirs. A redelivery repeats that date exactly, so
//! it meets the first copy in the same partition, whatever day it arrives
//! on. Old data goes by dropping whole partitions, never by `DELETE`. This
//! module decides which partitions to create and which to drop; the store
//! only lists, creates and drops.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};

/// How far ahead of today day partitions are made, so that a stalled upkeep
/// (an instance down for days) never leaves intake without one.
pub const DAYS_AHEAD: u32 = 7;

/// How far ahead of this month month partitions are made, for the same
/// reason.
pub const MONTHS_AHEAD: u32 = 2;

/// The fewest days raw updates may be kept: Telegram redelivers an update
/// for up to a day after its date, and exactly-once needs the first copy
/// until then.
pub const MIN_RAW_UPDATE_DAYS: u32 = 2;

/// The fewest months member events may be kept.
pub const MIN_MEMBER_EVENT_MONTHS: u32 = 1;

/// A table kept in time partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Series {
    /// Webhook bodies as received, by the day of their `date`.
    RawUpdates,
    /// Joins, leaves and join requests, by the month of their date.
    MemberEvents,
}

impl Series {
    /// Every series, in the order an upkeep round keeps them.
    pub const ALL: [Series; 2] = [Series::RawUpdates, Series::MemberEvents];

    /// The span of one partition.
    pub fn period(self) -> Period {
        match self {
            Series::RawUpdates => Period::Day,
            Series::MemberEvents => Period::Month,
        }
    }

    /// A name for reports and logs.
    pub fn name(self) -> &'static str {
        match self {
            Series::RawUpdates => "raw updates",
            Series::MemberEvents => "member events",
        }
    }
}

/// The span of one partition: a UTC day or a UTC month. A partition is
/// named by the first day of its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// From one midnight to the next.
    Day,
    /// From the first of a month to the first of the next.
    Month,
}

impl Period {
    /// The first day of the span holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => day,
            Period::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The start of the span `n` spans after the one starting at `start`.
    pub fn after(self, start: NaiveDate, n: u32) -> NaiveDate {
        match self {
            Period::Day => start + Days::new(u64::from(n)),
            Period::Month => start + Months::new(n),
        }
    }

    /// The start of the span `n` spans before the one starting at `start`.
    pub fn before(self, start: NaiveDate, n: u32) -> NaiveDate {
        match self {
            Period::Day => start - Days::new(u64::from(n)),
            Period::Month => start - Months::new(n),
        }
    }

    fn ahead(self) -> u32 {
        match self {
            Period::Day => DAYS_AHEAD,
            Period::Month => MONTHS_AHEAD,
        }
    }
}

/// How long each kind of raw data is kept (`retention.*`), in spans of its
/// partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a raw update is kept after its date (at least
    /// [`MIN_RAW_UPDATE_DAYS`]).
    pub raw_update_days: u32,
    /// Months a member event is kept after its date (at least
    /// [`MIN_MEMBER_EVENT_MONTHS`]).
    pub member_event_months: u32,
}

/// A retention setting out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retention.{setting} must be at least {min}, not {value}")]
pub struct RetentionTooShort {
    /// The setting's key under `retention.`.
    pub setting: &'static str,
    /// The least it may be.
    pub min: u32,
    /// What it was.
    pub value: u32,
}

impl Retention {
    /// Checks the settings.
    pub fn new(raw_update_days: u32, member_event_months: u32) -> Result<Self, RetentionTooShort> {
        let check = |setting, min, value| {
            if value < min {
                Err(RetentionTooShort {
                    setting,
                    min,
                    value,
                })
            } else {
                Ok(())
            }
        };
        check("raw_update_days", MIN_RAW_UPDATE_DAYS, raw_update_days)?;
        check(
            "member_event_months",
            MIN_MEMBER_EVENT_MONTHS,
            member_event_months,
        )?;
        Ok(Self {
            raw_update_days,
            member_event_months,
        })
    }

    /// How many spans of its period `series` is kept.
    pub fn kept(&self, series: Series) -> u32 {
        match series {
            Series::RawUpdates => self.raw_update_days,
            Series::MemberEvents => self.member_event_months,
        }
    }
}

/// What one upkeep round does to the partitions of one series, each named
/// by the first day of its span.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionPlan {
    /// Spans to create, oldest first: the previous one (Telegram still
    /// delivers updates dated then) through [`DAYS_AHEAD`] days or
    /// [`MONTHS_AHEAD`] months after the current one, less the ones that
    /// exist.
    pub create: Vec<NaiveDate>,
    /// Existing spans to drop, oldest first: every span whose rows are all
    /// at least the retention old at the start of the current span.
    pub drop: Vec<NaiveDate>,
}

/// The upkeep of the partitions of `series` on `today`, given the starts
/// of the spans that exist.
pub fn plan_partitions(
    series: Series,
    today: NaiveDate,
    existing: &[NaiveDate],
    retention: Retention,
) -> PartitionPlan {
    let period = series.period();
    let current = period.start_of(today);
    let last = period.after(current, period.ahead());
    let mut create = Vec::new();
    let mut start = period.before(current, 1);
    while start <= last {
        if !existing.contains(&start) {
            create.push(start);
        }
        start = period.after(start, 1);
    }
    // A span's rows are dated before the next span starts; once that is the
    // retention or more before the current span, all of them are that old.
    let oldest_kept = period.before(current, retention.kept(series));
    let mut drop: Vec<NaiveDate> = existing
        .iter()
        .copied()
        .filter(|start| *start < oldest_kept)
        .collect();
    drop.sort();
    PartitionPlan { create, drop }
}

/// Whether the table of `series` kept from before partitioning may be
/// emptied: its newest row is dated the retention or more before `now`, or
/// it has none.
pub fn legacy_expired(
    series: Series,
    newest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    retention: Retention,
) -> bool {
    let kept = retention.kept(series);
    let limit = match series.period() {
        Period::Day => now.checked_sub_days(Days::new(u64::from(kept))),
        Period::Month => now.checked_sub_months(Months::new(kept)),
    };
    newest.is_none_or(|at| limit.is_some_and(|limit| at <= limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn retention(days: u32, months: u32) -> Retention {
        Retention::new(days, months).unwrap()
    }

    #[test]
    fn too_short_a_retention_is_refused_by_its_name() {
        let err = Retention::new(1, 12).unwrap_err();
        assert_eq!(
            err.to_string(),
            "retention.raw_update_days must be at least 2, not 1"
        );
        let err = Retention::new(2, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "retention.member_event_months must be at least 1, not 0"
        );
        assert!(Retention::new(2, 1).is_ok());
    }

    #[test]
    fn a_fresh_table_gets_yesterday_through_a_week_ahead() {
        let plan = plan_partitions(
            Series::RawUpdates,
            day("2026-12-07"),
            &[],
            retention(14, 12),
        );
        assert_eq!(plan.create.first(), Some(&day("2026-12-06")));
        assert_eq!(plan.create.last(), Some(&day("2026-12-14")));
        assert_eq!(plan.create.len(), 9);
        assert!(plan.drop.is_empty());
    }

    #[test]
    fn upkeep_of_days_crosses_a_month_and_a_year() {
        let existing: Vec<NaiveDate> = day("2026-12-20")
            .iter_days()
            .take_while(|d| *d <= day("2027-01-03"))
            .collect();
        let plan = plan_partitions(
            Series::RawUpdates,
            day("2026-12-30"),
            &existing,
            retention(7, 12),
        );
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
        let today = day("2026-03-01");
        let existing = [day("2026-02-25"), day("2026-02-26"), day("2026-02-27")];
        let plan = plan_partitions(Series::RawUpdates, today, &existing, retention(3, 12));
        // 2026-02-25's rows are dated before the 26th: three days or more
        // before March 1st. The 26th holds a row dated 23:59:59, two days
        // and a second before it.
        assert_eq!(plan.drop, vec![day("2026-02-25")]);
    }

    #[test]
    fn months_are_made_from_last_month_to_two_ahead_across_a_year() {
        let plan = plan_partitions(
            Series::MemberEvents,
            day("2026-12-31"),
            &[day("2026-12-01")],
            retention(14, 12),
        );
        assert_eq!(
            plan.create,
            vec![day("2026-11-01"), day("2027-01-01"), day("2027-02-01")]
        );
    }

    #[test]
    fn a_month_goes_once_all_its_events_are_past_the_retention() {
        let existing: Vec<NaiveDate> = (1..=12)
            .map(|m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap())
            .collect();
        // Three months kept on March 1st, 2027: December's events are dated
        // before January 1st, at least two months back, so December stays;
        // November's are all three months or more old.
        let plan = plan_partitions(
            Series::MemberEvents,
            day("2027-03-01"),
            &existing,
            retention(14, 3),
        );
        assert_eq!(plan.drop.len(), 11);
        assert_eq!(plan.drop.last(), Some(&day("2026-11-01")));
        // The last day of a month changes nothing.
        let late = plan_partitions(
            Series::MemberEvents,
            day("2027-03-31"),
            &existing,
            retention(14, 3),
        );
        assert_eq!(late.drop, plan.drop);
    }

    #[test]
    fn the_legacy_tables_empty_only_when_their_newest_row_is_old() {
        let retention = retention(2, 1);
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        for series in Series::ALL {
            assert!(legacy_expired(series, None, now, retention));
        }
        let raw = Series::RawUpdates;
        assert!(!legacy_expired(
            raw,
            at("2026-12-05T12:00:01Z"),
            now,
            retention
        ));
        assert!(legacy_expired(
            raw,
            at("2026-12-05T12:00:00Z"),
            now,
            retention
        ));
        let events = Series::MemberEvents;
        assert!(!legacy_expired(
            events,
            at("2026-11-07T12:00:01Z"),
            now,
            retention
        ));
        assert!(legacy_expired(
            events,
            at("2026-11-07T12:00:00Z"),
            now,
            retention
        ));
    }
}
