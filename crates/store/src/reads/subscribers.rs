//! [`SubscriberReads`] on Postgres. Each list is two statements, the page
//! and its total, whose SQL names only the filters given (so the planner
//! sees plain equalities and uses the indexes of the subscribers migration).

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use usher_domain::AccountId;
use usher_domain::ports::{JournalFilter, LeadFilter, PostbackFilter, StoreError, SubscriberReads};
use usher_domain::subscribers::LeadStatus;
use usher_domain::subscribers::join_requests::RequestAnswer;
use usher_domain::subscribers::views::{
    AnswerView, DayView, JournalView, LEAD_DETAIL_MAX, LeadDetailView, LeadView, Page,
    PostbackView, WelcomeView,
};

use super::paging::{Count, cap, capped_count, conditions};
use super::postbacks;
use crate::error::db_err;
use crate::pg_store::PgStore;

#[derive(QueryableByName)]
struct LeadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    subscriber: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    click: String,
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = Timestamptz)]
    start_time: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    join_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    updated: DateTime<Utc>,
}

impl From<LeadRow> for LeadView {
    fn from(r: LeadRow) -> Self {
        LeadView {
            id: r.id,
            campaign: r.campaign_id,
            subscriber: r.subscriber,
            username: r.username,
            name: r.name,
            click: r.click,
            status: LeadStatus::from_code(i64::from(r.status)).unwrap_or(LeadStatus::Wait),
            start_time: r.start_time,
            join_time: r.join_time,
            updated: r.updated,
        }
    }
}

/// One row of the page statement of `list_leads`: the lead's columns are
/// NULL when the page is empty.
#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = Bool)]
    owned: bool,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    campaign_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    subscriber: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    click: Option<String>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    status: Option<i16>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    start_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    join_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    updated: Option<DateTime<Utc>>,
}

impl PageRow {
    fn lead(self) -> Option<LeadView> {
        Some(LeadView::from(LeadRow {
            id: self.id?,
            campaign_id: self.campaign_id?,
            subscriber: self.subscriber?,
            username: self.username?,
            name: self.name?,
            click: self.click?,
            status: self.status?,
            start_time: self.start_time?,
            join_time: self.join_time,
            updated: self.updated?,
        }))
    }
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    found: bool,
}

#[derive(QueryableByName)]
struct HistoryRow {
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct WelcomeRow {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    last_error: String,
    #[diesel(sql_type = Timestamptz)]
    time: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct AnswerRow {
    #[diesel(sql_type = SmallInt)]
    answer: i16,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    last_error: String,
    #[diesel(sql_type = Timestamptz)]
    time: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct JournalRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    bot_id: i64,
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = BigInt)]
    lead_id: i64,
    #[diesel(sql_type = BigInt)]
    link_id: i64,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    starts: i64,
    #[diesel(sql_type = BigInt)]
    holds: i64,
    #[diesel(sql_type = BigInt)]
    confirms: i64,
    #[diesel(sql_type = BigInt)]
    unsubs: i64,
    #[diesel(sql_type = BigInt)]
    approvals: i64,
    #[diesel(sql_type = BigInt)]
    declines: i64,
}

const LEAD_COLUMNS: &str =
    "id, campaign_id, subscriber, username, name, click, status, start_time, join_time, updated";

impl PgStore {
    /// Whether row `id` of `table` (`campaigns`, `bots` or `leads`) is the account's.
    async fn owns(&self, table: &str, account: AccountId, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let row: Exists = sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1 AND account_id = $2) AS found"
        ))
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(account.0)
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(row.found)
    }
}

#[async_trait]
impl SubscriberReads for PgStore {
    async fn owns_campaign(&self, account: AccountId, id: i64) -> Result<bool, StoreError> {
        self.owns("campaigns", account, id).await
    }

    async fn owns_bot(&self, account: AccountId, id: i64) -> Result<bool, StoreError> {
        self.owns("bots", account, id).await
    }

    async fn owns_lead(&self, account: AccountId, id: i64) -> Result<bool, StoreError> {
        self.owns("leads", account, id).await
    }

    async fn list_postbacks(
        &self,
        account: AccountId,
        filter: &PostbackFilter,
    ) -> Result<Page<PostbackView>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        postbacks::list(&mut conn, account, filter)
            .await
            .map_err(db_err)
    }

    async fn list_leads(
        &self,
        account: AccountId,
        f: &LeadFilter,
    ) -> Result<Option<Page<LeadView>>, StoreError> {
        let filters = conditions(&[
            (f.campaign.is_some(), "campaign_id = $2"),
            (f.status.is_some(), "status = $3"),
            (f.from.is_some(), "start_time >= to_timestamp($4)"),
            (f.to.is_some(), "start_time <= to_timestamp($5)"),
        ]);
        // Without a time range the total is the sum of the counters.
        let total = if f.from.is_none() && f.to.is_none() {
            let counted = conditions(&[
                (f.campaign.is_some(), "campaign_id = $2"),
                (f.status.is_some(), "status = $3"),
            ]);
            format!(
                "SELECT coalesce(sum(n), 0)::bigint AS n FROM lead_counts WHERE account_id = $1{counted}"
            )
        } else {
            capped_count(&format!("leads WHERE account_id = $1{filters}"))
        };
        let owned = if f.campaign.is_some() {
            "EXISTS (SELECT 1 FROM campaigns WHERE id = $2 AND account_id = $1)"
        } else {
            "true"
        };
        let mut conn = self.pool.get().await.map_err(db_err)?;
        // One statement: whether the campaign is the account's, the total,
        // and the page (a row of NULLs when the page is empty).
        let rows: Vec<PageRow> = sql_query(format!(
            "WITH page AS (SELECT {LEAD_COLUMNS} FROM leads WHERE account_id = $1{filters} \
                           ORDER BY id DESC LIMIT $6 OFFSET $7), \
                  total AS ({total}) \
             SELECT {owned} AS owned, total.n AS total, page.* \
             FROM total LEFT JOIN page ON true ORDER BY page.id DESC"
        ))
        .bind::<BigInt, _>(account.0)
        .bind::<BigInt, _>(f.campaign.unwrap_or(0))
        .bind::<SmallInt, _>(f.status.map_or(0, |s| s.code()))
        .bind::<BigInt, _>(f.from.unwrap_or(0))
        .bind::<BigInt, _>(f.to.unwrap_or(0))
        .bind::<BigInt, _>(f.window.limit)
        .bind::<BigInt, _>(f.window.offset)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        let Some(first) = <[PageRow]>::first(&rows) else {
            return Ok(None);
        };
        if !first.owned {
            return Ok(None);
        }
        let (total, capped) = if f.from.is_none() && f.to.is_none() {
            (first.total, false)
        } else {
            cap(first.total)
        };
        Ok(Some(Page {
            total,
            capped,
            rows: rows.into_iter().filter_map(PageRow::lead).collect(),
        }))
    }

    async fn get_lead(
        &self,
        account: AccountId,
        id: i64,
    ) -> Result<Option<LeadDetailView>, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let lead: Option<LeadRow> = sql_query(format!(
            "SELECT {LEAD_COLUMNS} FROM leads WHERE id = $1 AND account_id = $2"
        ))
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(account.0)
        .get_result(&mut conn)
        .await
        .map(Some)
        .or_else(|err| match err {
            diesel::result::Error::NotFound => Ok(None),
            other => Err(other),
        })
        .map_err(db_err)?;
        let Some(lead) = lead else {
            return Ok(None);
        };
        // The latest entries, oldest first.
        let history: Vec<HistoryRow> = sql_query(
            "SELECT status, at FROM (SELECT id, status, at FROM lead_history WHERE lead_id = $1 \
             ORDER BY id DESC LIMIT $2) AS latest ORDER BY id",
        )
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(LEAD_DETAIL_MAX)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        let welcome: Vec<WelcomeRow> = sql_query(
            "SELECT state, last_error, coalesce(done_at, created_at) AS time FROM outbox \
             WHERE lead_id = $1 AND kind = 'welcome' ORDER BY id DESC LIMIT 1",
        )
        .bind::<BigInt, _>(id)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        let answer: Vec<AnswerRow> = sql_query(
            "SELECT coalesce(answer, 0::smallint) AS answer, state, last_error, \
               coalesce(done_at, created_at) AS time FROM outbox \
             WHERE lead_id = $1 AND kind = 'answer' ORDER BY id DESC LIMIT 1",
        )
        .bind::<BigInt, _>(id)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        let postbacks = postbacks::of_lead(&mut conn, id).await.map_err(db_err)?;
        Ok(Some(LeadDetailView {
            postbacks,
            answer: answer.into_iter().next().and_then(|a| {
                Some(AnswerView {
                    answer: RequestAnswer::from_code(a.answer)?,
                    delivery: WelcomeView {
                        state: a.state,
                        error: a.last_error,
                        time: a.time,
                    },
                })
            }),
            lead: lead.into(),
            history: history
                .into_iter()
                .map(|h| {
                    let status =
                        LeadStatus::from_code(i64::from(h.status)).unwrap_or(LeadStatus::Wait);
                    (status, h.at)
                })
                .collect(),
            welcome: welcome.into_iter().next().map(|w| WelcomeView {
                state: w.state,
                error: w.last_error,
                time: w.time,
            }),
        }))
    }

    async fn list_journal(
        &self,
        account: AccountId,
        f: &JournalFilter,
    ) -> Result<Page<JournalView>, StoreError> {
        let filters = conditions(&[
            (f.bot.is_some(), "bot_id = $2"),
            (f.chat.is_some(), "chat_id = $3"),
            (f.action.is_some(), "action = $4"),
            (f.paid == Some(true), "lead_id <> 0"),
            (f.paid == Some(false), "lead_id = 0"),
            (f.from.is_some(), "at >= to_timestamp($5)"),
            (f.to.is_some(), "at <= to_timestamp($6)"),
        ]);
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let action = f.action.clone().unwrap_or_default();
        macro_rules! binds {
            ($query:expr) => {
                $query
                    .bind::<BigInt, _>(account.0)
                    .bind::<BigInt, _>(f.bot.unwrap_or(0))
                    .bind::<BigInt, _>(f.chat.unwrap_or(0))
                    .bind::<Text, _>(&action)
                    .bind::<BigInt, _>(f.from.unwrap_or(0))
                    .bind::<BigInt, _>(f.to.unwrap_or(0))
                    .bind::<BigInt, _>(f.window.limit)
                    .bind::<BigInt, _>(f.window.offset)
            };
        }
        let rows: Vec<JournalRow> = binds!(sql_query(format!(
            "SELECT id, bot_id, chat_id, user_id, username, name, action, campaign_id, lead_id, link_id, at \
             FROM journal WHERE account_id = $1{filters} ORDER BY id DESC LIMIT $7 OFFSET $8"
        )))
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        // Filtered by action and paid at most, the total is the sum of the
        // counters' shards.
        let counted = f.bot.is_none() && f.chat.is_none() && f.from.is_none() && f.to.is_none();
        let total = if counted {
            let filters = conditions(&[
                (f.action.is_some(), "action = $4"),
                (f.paid == Some(true), "paid"),
                (f.paid == Some(false), "NOT paid"),
            ]);
            format!(
                "SELECT coalesce(sum(n), 0)::bigint AS n FROM journal_counts \
                 WHERE account_id = $1{filters} AND $7 > 0 AND $8 >= 0"
            )
        } else {
            capped_count(&format!(
                "journal WHERE account_id = $1{filters} AND $7 > 0 AND $8 >= 0"
            ))
        };
        let total: Count = binds!(sql_query(total))
            .get_result(&mut conn)
            .await
            .map_err(db_err)?;
        let (total, capped) = if counted {
            (total.n, false)
        } else {
            cap(total.n)
        };
        Ok(Page {
            total,
            capped,
            rows: rows
                .into_iter()
                .map(|r| JournalView {
                    id: r.id,
                    bot: r.bot_id,
                    chat: r.chat_id,
                    user: r.user_id,
                    username: r.username,
                    name: r.name,
                    action: r.action,
                    campaign: r.campaign_id,
                    lead: r.lead_id,
                    link: r.link_id,
                    time: r.at,
                })
                .collect(),
        })
    }

    async fn stats_days(
        &self,
        account: AccountId,
        campaign: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<Vec<DayView>, StoreError> {
        let scope = match campaign {
            Some(_) => "campaign_id = $2",
            None => "account_id = $1",
        };
        let mut conn = self.pool.get().await.map_err(db_err)?;
        // From the rollup intake keeps (`stats_days`): at most one row per
        // campaign and day, however many leads.
        let day = |t: i64| t - t.rem_euclid(86_400);
        let bound = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
        let (first, end) = (bound(day(from)), bound(day(to) + 86_400));
        let rows: Vec<DayRow> = sql_query(format!(
            "WITH days AS (
                SELECT d::date AS day
                FROM generate_series(($3 AT TIME ZONE 'UTC')::date,
                                     ($4 AT TIME ZONE 'UTC')::date - 1, interval '1 day') AS d
             ), s AS (
                SELECT day, sum(starts) AS starts, sum(holds) AS holds, sum(confirms) AS confirms,
                       sum(unsubs) AS unsubs, sum(approvals) AS approvals,
                       sum(declines) AS declines
                FROM stats_days
                WHERE {scope} AND account_id = $1
                  AND day >= ($3 AT TIME ZONE 'UTC')::date AND day < ($4 AT TIME ZONE 'UTC')::date
                GROUP BY day
             )
             SELECT to_char(days.day, 'YYYY-MM-DD') AS day, coalesce(s.starts, 0)::bigint AS starts,
                    coalesce(s.holds, 0)::bigint AS holds, coalesce(s.confirms, 0)::bigint AS confirms,
                    coalesce(s.unsubs, 0)::bigint AS unsubs,
                    coalesce(s.approvals, 0)::bigint AS approvals,
                    coalesce(s.declines, 0)::bigint AS declines
             FROM days LEFT JOIN s USING (day) ORDER BY days.day"
        ))
        .bind::<BigInt, _>(account.0)
        .bind::<BigInt, _>(campaign.unwrap_or(0))
        .bind::<Timestamptz, _>(first)
        .bind::<Timestamptz, _>(end)
        .load(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|r| DayView {
                day: r.day,
                starts: r.starts,
                holds: r.holds,
                confirms: r.confirms,
                unsubs: r.unsubs,
                approvals: r.approvals,
                declines: r.declines,
            })
            .collect())
    }
}
