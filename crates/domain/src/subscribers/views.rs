//! What the subscriber reads answer (`leads/*`, `journal/list.json`,
//! `stats/days.json`), and the rules of their parameters.

use chrono::{DateTime, Utc};

use super::join_requests::RequestAnswer;
use super::lead::LeadStatus;
use crate::services::Given;

/// A lead as `leads/list.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadView {
    /// Our id.
    pub id: i64,
    /// The campaign.
    pub campaign: i64,
    /// The subscriber's Telegram user id.
    pub subscriber: i64,
    /// Username, `""` if none.
    pub username: String,
    /// First and last name.
    pub name: String,
    /// The click id.
    pub click: String,
    /// Its status.
    pub status: LeadStatus,
    /// When the person first started the bot.
    pub start_time: DateTime<Utc>,
    /// The last join, if any.
    pub join_time: Option<DateTime<Utc>>,
    /// The last status change.
    pub updated: DateTime<Utc>,
}

/// The last welcome message of a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeView {
    /// `pending`, `sent`, `failed` or `dropped`.
    pub state: String,
    /// Why it failed or was dropped, `""` otherwise.
    pub error: String,
    /// When it was sent, failed or dropped; when it was queued while pending.
    pub time: DateTime<Utc>,
}

/// The last answer usher queued to a lead's join request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerView {
    /// Approve or decline.
    pub answer: RequestAnswer,
    /// How it stands, as [`WelcomeView::state`].
    pub delivery: WelcomeView,
}

/// A lead with its history and its welcome, as `leads/get.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadDetailView {
    /// The lead.
    pub lead: LeadView,
    /// Every status it took, oldest first.
    pub history: Vec<(LeadStatus, DateTime<Utc>)>,
    /// Its last welcome message, if one was queued.
    pub welcome: Option<WelcomeView>,
    /// The last answer to its join request usher queued, if any.
    pub answer: Option<AnswerView>,
    /// Its postbacks, newest first.
    pub postbacks: Vec<PostbackView>,
}

/// A postback as `postbacks/list.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackView {
    /// Our id (of the outbox item).
    pub id: i64,
    /// The lead it reports.
    pub lead: i64,
    /// The lead's campaign.
    pub campaign: i64,
    /// The status it reports.
    pub status: LeadStatus,
    /// The URL as filled.
    pub url: String,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    /// Tries so far.
    pub attempts: i32,
    /// The last HTTP status, 0 if none.
    pub code: i32,
    /// `""`, `timeout`, `connect`, `blocked` or `http`.
    pub error: String,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// When the tracker took it.
    pub sent: Option<DateTime<Utc>>,
}

/// The states of `postbacks/list.json`'s `state` parameter.
pub const POSTBACK_STATES: [&str; 3] = ["pending", "sent", "failed"];

/// A journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalView {
    /// Our id.
    pub id: i64,
    /// The bot that saw it.
    pub bot: i64,
    /// The chat (the person's id for `start` and `block`).
    pub chat: i64,
    /// The person.
    pub user: i64,
    /// Username, `""` if none.
    pub username: String,
    /// First and last name.
    pub name: String,
    /// `join`, `leave`, `kick`, `request`, `start` or `block`.
    pub action: String,
    /// The campaign concerned, 0 for none.
    pub campaign: i64,
    /// The lead it belongs to, 0 for none.
    pub lead: i64,
    /// The campaign's invite link a join or request came through (the
    /// `id` of `camp/links.json`), 0 for none.
    pub link: i64,
    /// When it happened.
    pub time: DateTime<Utc>,
}

/// One day of `stats/days.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Leads started that day.
    pub starts: i64,
    /// Join requests of leads.
    pub holds: i64,
    /// Joins of leads.
    pub confirms: i64,
    /// Leaves and kicks of leads.
    pub unsubs: i64,
    /// Join requests usher approved (by the campaign's policy or
    /// `leads/approve.json`), counted on the day Telegram took the answer.
    pub approvals: i64,
    /// Join requests usher declined, likewise.
    pub declines: i64,
}

impl DayView {
    /// confirms / starts in percent, two decimals; 0 without starts.
    pub fn conversion(&self) -> f64 {
        if self.starts == 0 {
            return 0.0;
        }
        (self.confirms as f64 * 10_000.0 / self.starts as f64).round() / 100.0
    }
}

/// A page of a list: the rows asked for and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Every row matching the filters, or [`COUNT_CAP`] when `capped`.
    pub total: i64,
    /// More than [`COUNT_CAP`] rows match and they were not all counted
    /// (a filter no counter holds).
    pub capped: bool,
    /// The rows of this page.
    pub rows: Vec<T>,
}

/// `limit` and `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// 1 to 200, default 50.
    pub limit: i64,
    /// >= 0, default 0.
    pub offset: i64,
}

/// The largest `limit`.
pub const LIMIT_MAX: i64 = 200;
/// The largest `offset`: a page never skips more rows than this. Older
/// rows are reached by narrowing `from`/`to`.
pub const OFFSET_MAX: i64 = 10_000;
/// The most rows a `total` counts when no counter holds the filters; past
/// it the answer says `total_capped`.
pub const COUNT_CAP: i64 = 10_000;
/// The most entries of a lead's `history` and `postbacks` that
/// `leads/get.json` returns: the latest ones.
pub const LEAD_DETAIL_MAX: i64 = 100;
/// The `limit` when none is given.
pub const LIMIT_DEFAULT: i64 = 50;
/// The longest `stats/days.json` range, in days.
pub const STATS_MAX_DAYS: i64 = 366;

/// Which list parameter is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// `campaign` (or `bot` for the journal): malformed, unknown, another account's.
    Owner,
    /// `lead` (postbacks): malformed, unknown, another account's.
    Lead,
    /// `status`, or `action` for the journal.
    Kind,
    /// `chat` (journal): not an integer.
    Chat,
    /// `paid`.
    Paid,
    /// `from`.
    From,
    /// `to`.
    To,
    /// `limit`.
    Limit,
    /// `offset`.
    Offset,
}

/// Reads `limit` and `offset`.
pub fn window(limit: Given<i64>, offset: Given<i64>) -> Result<Window, QueryError> {
    let limit = match limit {
        Given::Absent => LIMIT_DEFAULT,
        Given::Value(n) if (1..=LIMIT_MAX).contains(&n) => n,
        _ => return Err(QueryError::Limit),
    };
    let offset = match offset {
        Given::Absent => 0,
        Given::Value(n) if (0..=OFFSET_MAX).contains(&n) => n,
        _ => return Err(QueryError::Offset),
    };
    Ok(Window { limit, offset })
}

/// An optional Unix-seconds bound: `err` when malformed or negative.
pub fn seconds(given: Given<i64>, err: QueryError) -> Result<Option<i64>, QueryError> {
    match given {
        Given::Absent => Ok(None),
        Given::Value(n) if (0..253_402_300_800).contains(&n) => Ok(Some(n)),
        _ => Err(err),
    }
}

/// The days of `stats/days.json`: `from` to `to` (default: the 30 days
/// ending `now`), at most [`STATS_MAX_DAYS`].
pub fn stats_range(from: Given<i64>, to: Given<i64>, now: i64) -> Result<(i64, i64), QueryError> {
    let from = seconds(from, QueryError::From)?;
    let to = seconds(to, QueryError::To)?.unwrap_or(now);
    let from = from.unwrap_or(to - 29 * 86_400).max(0);
    let days = to.div_euclid(86_400) - from.div_euclid(86_400) + 1;
    if to < from || days > STATS_MAX_DAYS {
        return Err(QueryError::To);
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_default_and_bound() {
        assert_eq!(
            window(Given::Absent, Given::Absent),
            Ok(Window {
                limit: 50,
                offset: 0
            })
        );
        assert_eq!(
            window(Given::Value(200), Given::Value(7)),
            Ok(Window {
                limit: 200,
                offset: 7
            })
        );
        assert_eq!(
            window(Given::Value(0), Given::Absent),
            Err(QueryError::Limit)
        );
        assert_eq!(
            window(Given::Value(201), Given::Absent),
            Err(QueryError::Limit)
        );
        assert_eq!(
            window(Given::Invalid, Given::Absent),
            Err(QueryError::Limit)
        );
        assert_eq!(
            window(Given::Absent, Given::Value(-1)),
            Err(QueryError::Offset)
        );
        assert_eq!(
            window(Given::Absent, Given::Value(OFFSET_MAX)).map(|w| w.offset),
            Ok(OFFSET_MAX)
        );
        assert_eq!(
            window(Given::Absent, Given::Value(OFFSET_MAX + 1)),
            Err(QueryError::Offset)
        );
    }

    #[test]
    fn stats_cover_thirty_days_by_default_and_a_year_at_most() {
        let now = 1_796_000_000;
        let (from, to) = stats_range(Given::Absent, Given::Absent, now).unwrap();
        assert_eq!((to - from) / 86_400, 29);
        assert_eq!(
            stats_range(Given::Value(0), Given::Value(365 * 86_400), now),
            Ok((0, 365 * 86_400))
        );
        assert_eq!(
            stats_range(Given::Value(0), Given::Value(366 * 86_400), now),
            Err(QueryError::To)
        );
        assert_eq!(
            stats_range(Given::Value(10), Given::Value(5), now),
            Err(QueryError::To)
        );
        assert_eq!(
            stats_range(Given::Invalid, Given::Absent, now),
            Err(QueryError::From)
        );
    }

    #[test]
    fn conversion_has_two_decimals() {
        let day = |starts, confirms| DayView {
            day: String::new(),
            starts,
            holds: 0,
            confirms,
            unsubs: 0,
            approvals: 0,
            declines: 0,
        };
        assert_eq!(day(3, 1).conversion(), 33.33);
        assert_eq!(day(0, 0).conversion(), 0.0);
        assert_eq!(day(8, 8).conversion(), 100.0);
    }
}
