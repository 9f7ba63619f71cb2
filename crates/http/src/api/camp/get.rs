//! `GET /api/camp/get.json?id=`: one campaign, deleted ones too (status 2).

use actix_web::{HttpRequest, HttpResponse, web};
use usher_domain::CampaignId;

use super::CampaignDetail;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::{AppState, ErrorCode, call, envelope};

/// `GET /api/camp/get.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/camp/get.json",
    summary: "Get a campaign",
    description: "One campaign of your account with its welcome text; a deleted one still \
                  answers, with status 2.",
    params: &[CAMPAIGN_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::Object(Named::of::<CampaignDetail<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(id) = call.params.positive_id(CAMPAIGN_ID.name).map(CampaignId) else {
        return envelope::error(ErrorCode::Id);
    };
    match state.campaigns.get(call.account, id).await {
        Ok(campaign) => envelope::ok(CampaignDetail::from(&campaign)),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
