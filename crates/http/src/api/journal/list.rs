//! `GET /api/journal/list.json`: joins, leaves, kicks, requests, starts and
//! blocks, newest first.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::services::{ACTIONS, JournalQuery};
use usher_domain::subscribers::views::JournalView;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::api::leads::list::code;
use crate::api::leads::{FROM, LIMIT, OFFSET, TO, time};
use crate::api::schema;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const BOT: Param = Param {
    name: "bot",
    kind: ParamKind::PositiveId,
    description: "Only this bot of your account. Not a positive integer, unknown, or another \
                  account's bot is `bot`.",
    required: false,
};

const CHAT: Param = Param {
    name: "chat",
    kind: ParamKind::ChatId,
    description: "Only this Telegram chat (a person's id for `start` and `block`). Not a \
                  non-zero integer is `chat`.",
    required: false,
};

const ACTION: Param = Param {
    name: "action",
    kind: ParamKind::Choice(&ACTIONS),
    description: "Only this action. Otherwise `action`.",
    required: false,
};

const PAID: Param = Param {
    name: "paid",
    kind: ParamKind::Integer { min: 0, max: 1 },
    description: "1: only entries that belong to a lead; 0: only those that do not. \
                  Otherwise `paid`.",
    required: false,
};

/// A journal entry.
#[derive(Serialize, ToSchema)]
pub struct JournalItem<'a> {
    /// Our id of the entry.
    #[schema(minimum = 1)]
    id: i64,
    /// The bot that saw it.
    #[schema(minimum = 1)]
    bot: i64,
    /// The Telegram chat (the person's id for `start` and `block`).
    chat: i64,
    /// The person's Telegram user id.
    user: i64,
    /// Their username, `""` if none.
    username: &'a str,
    /// Their name.
    name: &'a str,
    /// What happened.
    #[schema(schema_with = schema::journal_action)]
    action: &'a str,
    /// The campaign it concerns, 0 for none.
    #[schema(minimum = 0)]
    campaign: i64,
    /// The lead it belongs to, 0 for none.
    #[schema(minimum = 0)]
    lead: i64,
    /// Whether it belongs to a lead.
    paid: bool,
    /// The campaign's invite link a join or request came through (the `id`
    /// of `camp/links.json`), 0 for none.
    #[schema(minimum = 0)]
    link: i64,
    /// When it happened.
    #[schema(schema_with = schema::date_time)]
    time: String,
}

impl<'a> From<&'a JournalView> for JournalItem<'a> {
    fn from(e: &'a JournalView) -> Self {
        Self {
            id: e.id,
            bot: e.bot,
            chat: e.chat,
            user: e.user,
            username: &e.username,
            name: &e.name,
            action: &e.action,
            campaign: e.campaign,
            lead: e.lead,
            paid: e.lead != 0,
            link: e.link,
            time: time(&e.time),
        }
    }
}

/// `GET /api/journal/list.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/journal/list.json",
    summary: "List journal entries",
    description: "Every recorded join, leave, kick, join request, `/start` and block in your \
                  bots' chats, newest first; `total` counts every entry matching the filters (from counters; filtered by bot, chat or time at most 10000, then `total_capped`).",
    params: &[BOT, CHAT, ACTION, PAID, FROM, TO, LIMIT, OFFSET],
    errors: &[
        ErrorCode::Bot,
        ErrorCode::Chat,
        ErrorCode::Action,
        ErrorCode::Paid,
        ErrorCode::From,
        ErrorCode::To,
        ErrorCode::Limit,
        ErrorCode::Offset,
    ],
    answer: Answer::Page(Named::of::<JournalItem<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let p = &call.params;
    let query = JournalQuery {
        bot: p.given_integer(BOT.name),
        chat: p.given_integer(CHAT.name),
        action: p.given_text(ACTION.name),
        paid: p.given_integer(PAID.name),
        from: p.given_integer(FROM.name),
        to: p.given_integer(TO.name),
        limit: p.given_integer(LIMIT.name),
        offset: p.given_integer(OFFSET.name),
    };
    let page = state
        .subscribers
        .journal(call.account, query)
        .await
        .map_err(|err| code(err, ErrorCode::Bot, ErrorCode::Action))?;
    Ok(envelope::ok_page(&page, JournalItem::from))
}
