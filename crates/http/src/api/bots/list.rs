//! `GET /api/bots/list.json`: every bot of the account, deleted ones too.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::BotSummary;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::schema;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `GET /api/bots/list.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/bots/list.json",
    summary: "List bots",
    description: "Returns all bots connected to your account, including soft-deleted ones, \
                  ordered by `id`.",
    params: &[],
    errors: &[],
    answer: Answer::List(Named::of::<Bot>()),
    handler: |route| route.to(handle),
};

/// One bot as the documentation shows it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // read by utoipa: no other fields
pub struct Bot {
    /// Our id of the bot.
    #[schema(minimum = 1)]
    id: i64,
    /// Telegram's user id of the bot.
    #[schema(minimum = 1)]
    tg: i64,
    /// The bot's username, without `@`.
    username: String,
    /// The bot's first name, then its last name (if any) after a space.
    name: String,
    /// 0 Active; 1 Warning: the bot lost admin rights in a chat one of its
    /// campaigns tracks; 3 Deleted (soft). 2 is never used.
    #[schema(schema_with = schema::bot_status)]
    status: u8,
    /// When the bot was first connected, `YYYY-MM-DD HH:MM:SS` in UTC.
    #[schema(schema_with = schema::date_time)]
    created: String,
}

impl From<BotSummary> for Bot {
    fn from(bot: BotSummary) -> Self {
        Self {
            id: bot.id.0,
            tg: bot.tg.0,
            username: bot.username,
            name: bot.name,
            status: bot.status.code(),
            created: crate::api::times::time(&bot.created),
        }
    }
}

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let bots = state.bots.list(call.account).await?;
    Ok(envelope::ok(
        bots.into_iter().map(Bot::from).collect::<Vec<_>>(),
    ))
}
