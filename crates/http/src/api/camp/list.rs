//! `GET /api/camp/list.json`: the account's campaigns that are not deleted.

use actix_web::{HttpResponse, web};

use super::CampaignSummary;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

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
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let list = state.campaigns.list(call.account).await?;
    Ok(envelope::ok(
        list.iter().map(CampaignSummary::from).collect::<Vec<_>>(),
    ))
}
