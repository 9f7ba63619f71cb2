//! `GET /api/bots/chats.json?id=`: the campaign picker's chats.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::{AdminChat, BotId};
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::params::BOT_ID;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `GET /api/bots/chats.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/bots/chats.json",
    summary: "List admin chats",
    description: "Returns cached chats where the bot is an admin, excluding any chat already \
                  tracked by a campaign of your account, ordered by chat id. This is the \
                  picker used when creating a campaign. The list is a cache populated when \
                  the bot is promoted to admin in a chat; a deleted bot's list is empty.",
    params: &[BOT_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::List(Named::of::<Chat>()),
    handler: |route| route.to(handle),
};

/// One chat as the documentation shows it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // read by utoipa: no other fields
pub struct Chat<'a> {
    /// Telegram's chat id (negative for groups, supergroups and channels).
    id: i64,
    /// The chat's title.
    title: &'a str,
    /// Telegram's chat type.
    #[serde(rename = "type")]
    #[schema(schema_with = crate::api::schema::chat_type)]
    kind: &'a str,
}

impl<'a> From<&'a AdminChat> for Chat<'a> {
    fn from(chat: &'a AdminChat) -> Self {
        Self {
            id: chat.id.0,
            title: &chat.title,
            kind: &chat.kind,
        }
    }
}

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let bot = call.params.positive_id(BOT_ID.name).ok_or(ErrorCode::Id)?;
    let chats = state.bots.chats(call.account, BotId(bot)).await?;
    Ok(envelope::ok(
        chats.iter().map(Chat::from).collect::<Vec<_>>(),
    ))
}
