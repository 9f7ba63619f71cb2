//! `GET /api/bots/chats.json?id=`: the campaign picker's chats.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use usher_domain::BotId;

use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(bot) = call.params.positive_id("id") else {
        return envelope::error(ErrorCode::Id);
    };
    match state.bots.chats(call.account, BotId(bot)).await {
        Ok(chats) => envelope::ok(
            chats
                .into_iter()
                .map(|c| json!({ "id": c.id.0, "title": c.title, "type": c.kind }))
                .collect::<Vec<_>>(),
        ),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
