//! The postbacks of `postbacks/list.json` and `leads/get.json`: outbox
//! items of kind `postback`, as the customer sees them.

use crate::cached_sql::sql_query;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::AccountId;
use usher_domain::ports::PostbackFilter;
use usher_domain::subscribers::LeadStatus;
use usher_domain::subscribers::views::{LEAD_DETAIL_MAX, Page, PostbackView};

use super::paging::{Count, cap, capped_count, conditions};

#[derive(QueryableByName)]
struct PostbackRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    lead_id: i64,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = SmallInt)]
    report: i16,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Integer)]
    http_code: i32,
    #[diesel(sql_type = Text)]
    error_kind: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    sent: Option<DateTime<Utc>>,
}

impl From<PostbackRow> for PostbackView {
    fn from(r: PostbackRow) -> Self {
        PostbackView {
            id: r.id,
            lead: r.lead_id,
            campaign: r.campaign_id,
            status: LeadStatus::from_code(i64::from(r.report)).unwrap_or(LeadStatus::Wait),
            url: r.url,
            state: r.state,
            attempts: r.attempts,
            code: r.http_code,
            error: r.error_kind,
            created: r.created_at,
            sent: r.sent,
        }
    }
}

const COLUMNS: &str = "id, lead_id, campaign_id, report, url, state, attempts, http_code, \
     error_kind, created_at, CASE WHEN state = 'sent' THEN done_at END AS sent";

/// The account's postbacks matching `f`, newest first, and their total.
pub(crate) async fn list(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    f: &PostbackFilter,
) -> diesel::QueryResult<Page<PostbackView>> {
    let filters = conditions(&[
        (f.campaign.is_some(), "campaign_id = $2"),
        (f.lead.is_some(), "lead_id = $3"),
        (f.state.is_some(), "state = $4"),
    ]);
    let state = f.state.clone().unwrap_or_default();
    macro_rules! binds {
        ($query:expr) => {
            $query
                .bind::<BigInt, _>(account.0)
                .bind::<BigInt, _>(f.campaign.unwrap_or(0))
                .bind::<BigInt, _>(f.lead.unwrap_or(0))
                .bind::<Text, _>(&state)
                .bind::<BigInt, _>(f.window.limit)
                .bind::<BigInt, _>(f.window.offset)
        };
    }
    let rows: Vec<PostbackRow> = binds!(sql_query(format!(
        "SELECT {COLUMNS} FROM outbox WHERE account_id = $1 AND kind = 'postback'{filters} \
         ORDER BY id DESC LIMIT $5 OFFSET $6"
    )))
    .load(conn)
    .await?;
    let total: Count = binds!(sql_query(capped_count(&format!(
        "outbox WHERE account_id = $1 AND kind = 'postback'{filters} AND $5 > 0 AND $6 >= 0"
    ))))
    .get_result(conn)
    .await?;
    let (total, capped) = cap(total.n);
    Ok(Page {
        total,
        capped,
        rows: rows.into_iter().map(PostbackView::from).collect(),
    })
}

/// The latest [`LEAD_DETAIL_MAX`] postbacks of lead `lead`, newest first.
pub(crate) async fn of_lead(
    conn: &mut AsyncPgConnection,
    lead: i64,
) -> diesel::QueryResult<Vec<PostbackView>> {
    let rows: Vec<PostbackRow> = sql_query(format!(
        "SELECT {COLUMNS} FROM outbox WHERE lead_id = $1 AND kind = 'postback' ORDER BY id DESC \
         LIMIT $2"
    ))
    .bind::<BigInt, _>(lead)
    .bind::<BigInt, _>(LEAD_DETAIL_MAX)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(PostbackView::from).collect())
}
