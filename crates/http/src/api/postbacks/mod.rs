//! `/api/postbacks/*.json`: the postbacks sent to the account's trackers.

pub mod list;

use serde::Serialize;
use usher_domain::subscribers::views::PostbackView;
use utoipa::ToSchema;

use crate::api::leads::{NEVER, time};
use crate::api::schema;

/// A postback as `postbacks/list.json` and `leads/get.json` show it.
#[derive(Serialize, ToSchema)]
pub struct PostbackItem<'a> {
    /// Our id of the postback.
    #[schema(minimum = 1)]
    id: i64,
    /// The lead it reports.
    #[schema(minimum = 1)]
    lead: i64,
    /// The lead's campaign.
    #[schema(minimum = 1)]
    campaign: i64,
    /// The lead status it reports.
    #[schema(schema_with = schema::postback_status)]
    status: &'a str,
    /// The URL, macros filled and percent-encoded.
    url: &'a str,
    /// `pending` (queued or waiting to retry), `sent` or `failed`.
    #[schema(schema_with = schema::postback_state)]
    state: &'a str,
    /// Tries so far.
    #[schema(minimum = 0)]
    attempts: i32,
    /// The last try's HTTP status, 0 if none.
    #[schema(minimum = 0, maximum = 999)]
    code: i32,
    /// Why the last try did not succeed.
    #[schema(schema_with = schema::postback_error)]
    error: &'a str,
    /// When it was queued (with the status change).
    #[schema(schema_with = schema::date_time)]
    created: String,
    /// When the tracker took it; `0000-00-00 00:00:00` until then.
    #[schema(schema_with = schema::date_time)]
    sent: String,
}

impl<'a> From<&'a PostbackView> for PostbackItem<'a> {
    fn from(p: &'a PostbackView) -> Self {
        Self {
            id: p.id,
            lead: p.lead,
            campaign: p.campaign,
            status: p.status.name(),
            url: &p.url,
            state: &p.state,
            attempts: p.attempts,
            code: p.code,
            error: &p.error,
            created: time(&p.created),
            sent: p.sent.as_ref().map_or_else(|| NEVER.to_owned(), time),
        }
    }
}
