//! `POST /api/camp/edit.json`: `id` and any of `welcome`, `button_text`,
//! `button_url`, `unsub_window`, `pb_*`.

use actix_web::{HttpResponse, web};
use usher_domain::CampaignId;

use super::{
    BUTTON_TEXT, BUTTON_URL, CampaignDetail, JOIN_REQUESTS, LINK_MODE, UNSUB_WINDOW, WELCOME,
    settings_input,
};
use crate::api::endpoint::{Answer, Endpoint, Named, Param, Verb};
use crate::api::params::{CAMPAIGN_ID, TEMPLATES};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `welcome` is optional here.
const OPTIONAL_WELCOME: Param = Param {
    required: false,
    ..WELCOME
};

/// `POST /api/camp/edit.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/edit.json",
    summary: "Edit a campaign",
    description: "Changes the welcome, its button, the unsub window or the postback templates \
                  of a campaign that is not deleted. Omitted parameters stay as they are; \
                  `\"\"` clears the button or a template. \
                  Answers the campaign as `camp/get.json` would. A deleted campaign is `id`.",
    params: &[
        CAMPAIGN_ID,
        OPTIONAL_WELCOME,
        BUTTON_TEXT,
        BUTTON_URL,
        UNSUB_WINDOW,
        TEMPLATES[0],
        TEMPLATES[1],
        TEMPLATES[2],
        TEMPLATES[3],
        TEMPLATES[4],
        LINK_MODE,
        JOIN_REQUESTS,
    ],
    errors: &[
        ErrorCode::Id,
        ErrorCode::Welcome,
        ErrorCode::Button,
        ErrorCode::Unsub,
        ErrorCode::Postback,
        ErrorCode::Mode,
        ErrorCode::Policy,
        ErrorCode::Rights,
        ErrorCode::Unreachable,
    ],
    answer: Answer::Object(Named::of::<CampaignDetail<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let id = call.params.positive_id(CAMPAIGN_ID.name).map(CampaignId);
    let input = settings_input(&call.params);
    let campaign = state.campaigns.edit(call.account, id, input).await?;
    Ok(envelope::ok(CampaignDetail::from(&campaign)))
}
