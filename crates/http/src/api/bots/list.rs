//! `GET /api/bots/list.json`: every bot of the account, deleted ones too.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use usher_domain::BotSummary;

use crate::{AppState, ErrorCode, call, envelope};

/// One bot as the documentation shows it.
#[derive(Serialize)]
struct BotJson {
    id: i64,
    tg: i64,
    username: String,
    name: String,
    status: u8,
    created: String,
}

impl From<BotSummary> for BotJson {
    fn from(bot: BotSummary) -> Self {
        Self {
            id: bot.id.0,
            tg: bot.tg.0,
            username: bot.username,
            name: bot.name,
            status: bot.status.code(),
            created: bot.created.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    match state.bots.list(call.account).await {
        Ok(bots) => envelope::ok(bots.into_iter().map(BotJson::from).collect::<Vec<_>>()),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
