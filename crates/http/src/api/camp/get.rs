//! `GET /api/camp/get.json?id=`: one campaign, deleted ones too (status 2).

use actix_web::{HttpRequest, HttpResponse, web};
use usher_domain::CampaignId;

use super::campaign_json;
use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(id) = call.params.positive_id("id").map(CampaignId) else {
        return envelope::error(ErrorCode::Id);
    };
    match state.campaigns.get(call.account, id).await {
        Ok(campaign) => envelope::ok(campaign_json(&campaign, true)),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
