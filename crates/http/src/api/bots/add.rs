//! `POST /api/bots/add.json`: connect (or restore) a bot by its token.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use tracing::instrument;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// The token parameter.
const TOKEN: Param = Param {
    name: "token",
    kind: ParamKind::Token,
    description: "Bot token from @BotFather, e.g. `1234567890:AABBCCdd…`: digits, a colon, \
                  then 35 or more of `A-Za-z0-9_-`. Anything else is `token`, without a call \
                  to Telegram.",
    required: true,
};

/// `POST /api/bots/add.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/bots/add.json",
    summary: "Connect a bot",
    description: "Connects a bot by its BotFather token. Validates the token against the \
                  Telegram API (`getMe`), then registers a webhook so the bot can receive \
                  updates.\n\n\
                  **Restore on re-add:** if you previously disconnected this bot and add it \
                  again, the existing record is reactivated (same `id` and `created`, \
                  campaigns kept). Adding a connected bot again succeeds, refreshes its token \
                  and names, and sets its webhook again. A token BotFather regenerated is the \
                  same bot.",
    params: &[TOKEN],
    errors: &[
        ErrorCode::Token,
        ErrorCode::Unreachable,
        ErrorCode::Exists,
        ErrorCode::Webhook,
    ],
    answer: Answer::Object(Named::of::<AddedBot>()),
    handler: |route| route.to(handle),
};

/// The bot just connected.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // read by utoipa: no other fields
pub struct AddedBot {
    /// Our id of the bot.
    #[schema(minimum = 1)]
    id: i64,
    /// The bot's username, without `@`.
    username: String,
    /// The bot's first name, then its last name (if any) after a space.
    name: String,
}

/// Handles the call. The token is read, passed on, and never logged.
#[instrument(skip_all, name = "bots.add")]
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let token = call.params.text(TOKEN.name).ok_or(ErrorCode::Token)?;
    let bot = state.bots.add(call.account, token).await?;
    Ok(envelope::ok(AddedBot {
        id: bot.id.0,
        username: bot.username,
        name: bot.name,
    }))
}
