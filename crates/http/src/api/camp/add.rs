//! `POST /api/camp/add.json`: `bot`, `chat`, `welcome`.

use actix_web::{HttpRequest, HttpResponse, web};
use usher_domain::campaign::WELCOME_MAX_CHARS;
use usher_domain::{BotId, ChatId};

use super::CampaignDetail;
use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::{AppState, ErrorCode, call, envelope};

const BOT: Param = Param {
    name: "bot",
    kind: ParamKind::PositiveId,
    description: "The bot to track through. Missing, not a positive integer, unknown, \
                  another account's, or deleted is `bot`.",
};

const CHAT: Param = Param {
    name: "chat",
    kind: ParamKind::ChatId,
    description: "The chat to track: one that `bots/chats.json` offers for that bot right now. \
                  Missing, not an integer, or not offered is `chat`.",
};

const WELCOME: Param = Param {
    name: "welcome",
    kind: ParamKind::Text(WELCOME_MAX_CHARS),
    description: "The welcome text, 1 to 4096 characters (counted as Telegram counts them), \
                  not blank. Otherwise `welcome`.",
};

/// `POST /api/camp/add.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/add.json",
    summary: "Create a campaign",
    description: "Starts tracking one chat through one bot. Answers the new campaign, as \
                  `camp/get.json` would. A chat has at most one campaign of your account that \
                  is not deleted.",
    params: &[BOT, CHAT, WELCOME],
    errors: &[ErrorCode::Bot, ErrorCode::Chat, ErrorCode::Welcome],
    answer: Answer::Object(Named::of::<CampaignDetail<'static>>()),
    handler: |route| route.to(handle),
};

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
    let bot = call.params.positive_id(BOT.name).map(BotId);
    let chat = call.params.nonzero_integer(CHAT.name).map(ChatId);
    let welcome = call.params.text(WELCOME.name);
    match state.campaigns.add(call.account, bot, chat, welcome).await {
        Ok(campaign) => envelope::ok(CampaignDetail::from(&campaign)),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
