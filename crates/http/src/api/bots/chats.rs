//! `GET /api/bots/chats.json?id=`: the campaign picker's chats.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use usher_domain::{AdminChat, BotId};

use crate::{AppState, ErrorCode, call, envelope};

/// One chat as the documentation shows it.
#[derive(Serialize)]
struct ChatJson<'a> {
    id: i64,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

impl<'a> From<&'a AdminChat> for ChatJson<'a> {
    fn from(chat: &'a AdminChat) -> Self {
        Self {
            id: chat.id.0,
            title: &chat.title,
            kind: &chat.kind,
        }
    }
}

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
        Ok(chats) => envelope::ok(chats.iter().map(ChatJson::from).collect::<Vec<_>>()),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
