//! `GET /api/leads/get.json?id=`: one lead with its history and welcome.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::subscribers::views::LeadDetailView;
use utoipa::ToSchema;

use super::{LeadItem, time};
use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::api::postbacks::PostbackItem;
use crate::api::schema;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

pub(crate) const LEAD_ID: Param = Param {
    name: "id",
    kind: ParamKind::PositiveId,
    description: "Lead id. Missing, not a positive integer, unknown, or a lead of another \
                  account is `id`.",
    required: true,
};

/// One status a lead took.
#[derive(Serialize, ToSchema)]
pub struct HistoryItem {
    /// The status.
    #[schema(schema_with = schema::lead_status)]
    status: i16,
    /// When.
    #[schema(schema_with = schema::date_time)]
    time: String,
}

/// The lead's last welcome message.
#[derive(Serialize, ToSchema)]
pub struct WelcomeItem<'a> {
    /// `pending`, `sent`, `failed` or `dropped`.
    #[schema(pattern = "^(pending|sent|failed|dropped)$")]
    state: &'a str,
    /// Why it failed or was dropped (Telegram's description), `""` otherwise.
    error: &'a str,
    /// When it was sent, failed or dropped; when it was queued while pending.
    #[schema(schema_with = schema::date_time)]
    time: String,
}

/// The last answer usher queued to the lead's join request.
#[derive(Serialize, ToSchema)]
pub struct AnswerItem<'a> {
    /// `approve` or `decline`.
    #[schema(pattern = "^(approve|decline)$")]
    answer: &'static str,
    /// `pending`, `sent`, `failed` or `dropped`.
    #[schema(pattern = "^(pending|sent|failed|dropped)$")]
    state: &'a str,
    /// Why it failed or was dropped (Telegram's description), `""` otherwise.
    error: &'a str,
    /// When Telegram took it, or it failed or was dropped; when it was
    /// queued while pending.
    #[schema(schema_with = schema::date_time)]
    time: String,
}

/// A lead as `leads/get.json` shows it.
#[derive(Serialize, ToSchema)]
pub struct LeadDetail<'a> {
    #[serde(flatten)]
    lead: LeadItem<'a>,
    /// Every status it took, oldest first.
    history: Vec<HistoryItem>,
    /// Its last welcome message; null when none was queued.
    welcome: Option<WelcomeItem<'a>>,
    /// The last answer to its join request usher queued (by the campaign's
    /// `join_requests` policy or `leads/approve.json` / `leads/decline.json`);
    /// null when none was.
    answer: Option<AnswerItem<'a>>,
    /// Its postbacks, newest first, as `postbacks/list.json` shows them.
    postbacks: Vec<PostbackItem<'a>>,
}

impl<'a> From<&'a LeadDetailView> for LeadDetail<'a> {
    fn from(view: &'a LeadDetailView) -> Self {
        Self {
            lead: (&view.lead).into(),
            history: view
                .history
                .iter()
                .map(|(status, at)| HistoryItem {
                    status: status.code(),
                    time: time(at),
                })
                .collect(),
            welcome: view.welcome.as_ref().map(|w| WelcomeItem {
                state: &w.state,
                error: &w.error,
                time: time(&w.time),
            }),
            answer: view.answer.as_ref().map(|a| AnswerItem {
                answer: a.answer.as_str(),
                state: &a.delivery.state,
                error: &a.delivery.error,
                time: time(&a.delivery.time),
            }),
            postbacks: view.postbacks.iter().map(PostbackItem::from).collect(),
        }
    }
}

/// `GET /api/leads/get.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/leads/get.json",
    summary: "Get a lead",
    description: "One lead of your account, with the statuses it took (the latest 100, \
                  oldest first), its last welcome message, the last answer to its join request \
                  and its postbacks (the latest 100).",
    params: &[LEAD_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::Object(Named::of::<LeadDetail<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let id = call.params.positive_id(LEAD_ID.name);
    let lead = state
        .subscribers
        .lead(call.account, id)
        .await?
        .ok_or(ErrorCode::Id)?;
    Ok(envelope::ok(LeadDetail::from(&lead)))
}
