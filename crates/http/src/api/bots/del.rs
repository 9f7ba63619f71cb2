//! `POST /api/bots/del.json`: soft-delete a bot.

use actix_web::{HttpResponse, web};
use usher_domain::BotId;

use crate::api::endpoint::{Answer, Endpoint, Verb};
use crate::api::params::BOT_ID;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `POST /api/bots/del.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/bots/del.json",
    summary: "Disconnect a bot",
    description: "Soft-deletes the bot (status 3), drops its webhook, and clears caches. The \
                  row is kept for history, with its campaigns and everything recorded about \
                  its chats. Succeeds even when Telegram cannot be reached; deleting a deleted \
                  bot is a success that changes nothing. Reconnect it later with \
                  `bots/add.json`.",
    params: &[BOT_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::Nothing,
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let bot = call.params.positive_id(BOT_ID.name).ok_or(ErrorCode::Id)?;
    state.bots.delete(call.account, BotId(bot)).await?;
    Ok(envelope::ok_empty())
}
