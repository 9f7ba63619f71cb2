//! `POST /api/camp/add.json`: `bot`, `chat`, `welcome`.

use actix_web::{HttpRequest, HttpResponse, web};
use usher_domain::{BotId, ChatId};

use super::campaign_json;
use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call; answers the new campaign as `camp/get.json` would.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let call = match call::post(&req, payload, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let bot = call.params.positive_id("bot").map(BotId);
    let chat = call.params.nonzero_integer("chat").map(ChatId);
    let welcome = call.params.text("welcome");
    match state.campaigns.add(call.account, bot, chat, welcome).await {
        Ok(campaign) => envelope::ok(campaign_json(&campaign, true)),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
