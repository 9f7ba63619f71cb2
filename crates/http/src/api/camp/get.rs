//! `GET /api/camp/get.json?id=`: one campaign, deleted ones too (status 2).

use actix_web::{HttpResponse, web};
use usher_domain::CampaignId;

use super::CampaignDetail;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

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
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let id = call
        .params
        .positive_id(CAMPAIGN_ID.name)
        .ok_or(ErrorCode::Id)?;
    let campaign = state.campaigns.get(call.account, CampaignId(id)).await?;
    Ok(envelope::ok(CampaignDetail::from(&campaign)))
}
