//! `POST /api/camp/add.json`: `bot`, `chat`, `welcome`, then the optional
//! `button_text`, `button_url`, `unsub_window`.

use actix_web::{HttpResponse, web};
use usher_domain::{BotId, ChatId};

use super::{
    BUTTON_TEXT, BUTTON_URL, CampaignDetail, JOIN_REQUESTS, LINK_MODE, UNSUB_WINDOW, WELCOME,
    settings_input,
};
use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::api::params::TEMPLATES;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const BOT: Param = Param {
    name: "bot",
    kind: ParamKind::PositiveId,
    description: "The bot to track through. Missing, not a positive integer, unknown, \
                  another account's, or deleted is `bot`.",
    required: true,
};

const CHAT: Param = Param {
    name: "chat",
    kind: ParamKind::ChatId,
    description: "The chat to track: one that `bots/chats.json` offers for that bot right now. \
                  Missing, not an integer, or not offered is `chat`.",
    required: true,
};

/// `POST /api/camp/add.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/add.json",
    summary: "Create a campaign",
    description: "Starts tracking one chat through one bot. Answers the new campaign, as \
                  `camp/get.json` would. A chat has at most one campaign of your account that \
                  is not deleted.",
    params: &[
        BOT,
        CHAT,
        WELCOME,
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
        ErrorCode::Bot,
        ErrorCode::Chat,
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

/// Handles the call; answers the new campaign as `camp/get.json` would.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let bot = call.params.positive_id(BOT.name).map(BotId);
    let chat = call.params.nonzero_integer(CHAT.name).map(ChatId);
    let input = settings_input(&call.params);
    let campaign = state.campaigns.add(call.account, bot, chat, input).await?;
    Ok(envelope::ok(CampaignDetail::from(&campaign)))
}
