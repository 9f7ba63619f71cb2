//! `POST /api/bots/del.json`: soft-delete a bot.

use actix_web::{HttpRequest, HttpResponse, web};
use usher_domain::BotId;

use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let call = match call::post(&req, payload, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(bot) = call.params.positive_id("id") else {
        return envelope::error(ErrorCode::Id);
    };
    match state.bots.delete(call.account, BotId(bot)).await {
        Ok(()) => envelope::ok_empty(),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
