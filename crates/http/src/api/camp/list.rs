//! `GET /api/camp/list.json`: the account's campaigns that are not deleted.

use actix_web::{HttpRequest, HttpResponse, web};

use super::CampaignSummary;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::{AppState, ErrorCode, call, envelope};

/// `GET /api/camp/list.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/camp/list.json",
    summary: "List campaigns",
    description: "The campaigns of your account that are not deleted, ordered by `id`.",
    params: &[],
    errors: &[],
    answer: Answer::List(Named::of::<CampaignSummary<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    match state.campaigns.list(call.account).await {
        Ok(list) => envelope::ok(list.iter().map(CampaignSummary::from).collect::<Vec<_>>()),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
