//! `GET /api/stats/days.json`: per UTC day, starts, holds (join
//! requests), confirms, unsubs, the conversion rate, and the requests usher
//! approved and declined.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::subscribers::views::DayView;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::leads::list::code;
use crate::api::leads::{CAMPAIGN, FROM, TO};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// One day.
#[derive(Serialize, ToSchema)]
pub struct Day<'a> {
    /// The UTC day.
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}$", example = "2026-05-01")]
    day: &'a str,
    /// Leads started that day.
    #[schema(minimum = 0)]
    starts: i64,
    /// Join requests of leads.
    #[schema(minimum = 0)]
    holds: i64,
    /// Joins of leads.
    #[schema(minimum = 0)]
    confirms: i64,
    /// Leaves and kicks of leads.
    #[schema(minimum = 0)]
    unsubs: i64,
    /// confirms / starts in percent, two decimals; 0 when starts is 0.
    #[schema(minimum = 0)]
    cr: f64,
    /// Join requests usher approved (the campaign's `join_requests` policy
    /// or `leads/approve.json`), on the day Telegram took the answer.
    #[schema(minimum = 0)]
    approvals: i64,
    /// Join requests usher declined, likewise.
    #[schema(minimum = 0)]
    declines: i64,
}

impl<'a> From<&'a DayView> for Day<'a> {
    fn from(d: &'a DayView) -> Self {
        Self {
            day: &d.day,
            starts: d.starts,
            holds: d.holds,
            confirms: d.confirms,
            unsubs: d.unsubs,
            cr: d.conversion(),
            approvals: d.approvals,
            declines: d.declines,
        }
    }
}

/// `GET /api/stats/days.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/stats/days.json",
    summary: "Daily stats",
    description: "One row per UTC day from the day of `from` to the day of `to` (default: \
                  the last 30 days), oldest first, days with nothing included with zeros; \
                  for one campaign or all of your account's. At most 366 days (`to`).",
    params: &[CAMPAIGN, FROM, TO],
    errors: &[ErrorCode::Campaign, ErrorCode::From, ErrorCode::To],
    answer: Answer::List(Named::of::<Day<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let p = &call.params;
    let now = chrono::Utc::now().timestamp();
    let days = state
        .subscribers
        .days(
            call.account,
            p.given_integer(CAMPAIGN.name),
            p.given_integer(FROM.name),
            p.given_integer(TO.name),
            now,
        )
        .await
        .map_err(|err| code(err, ErrorCode::Campaign, ErrorCode::Status))?;
    Ok(envelope::ok(days.iter().map(Day::from).collect::<Vec<_>>()))
}
