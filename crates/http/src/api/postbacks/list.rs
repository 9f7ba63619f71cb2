//! `GET /api/postbacks/list.json`: the account's postbacks, newest first.

use actix_web::{HttpResponse, web};
use usher_domain::services::PostbackQuery;
use usher_domain::subscribers::views::POSTBACK_STATES;

use super::PostbackItem;
use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::api::leads::list::code;
use crate::api::leads::{CAMPAIGN, LIMIT, OFFSET};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const LEAD: Param = Param {
    name: "lead",
    kind: ParamKind::PositiveId,
    description: "Only this lead's postbacks. Not a positive integer, unknown, or another \
                  account's lead is `lead`.",
    required: false,
};

const STATE: Param = Param {
    name: "state",
    kind: ParamKind::Choice(&POSTBACK_STATES),
    description: "Only postbacks in this state: `pending`, `sent` or `failed`. Otherwise \
                  `state`.",
    required: false,
};

/// `GET /api/postbacks/list.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/postbacks/list.json",
    summary: "List postbacks",
    description: "Your account's postbacks, newest first, with each one's URL as filled, \
                  tries, last HTTP status and error: where to look when the tracker did not \
                  hear of a lead. `total` counts the postbacks matching the filters, at most 10000 (then `total_capped`).",
    params: &[CAMPAIGN, LEAD, STATE, LIMIT, OFFSET],
    errors: &[
        ErrorCode::Campaign,
        ErrorCode::Lead,
        ErrorCode::State,
        ErrorCode::Limit,
        ErrorCode::Offset,
    ],
    answer: Answer::Page(Named::of::<PostbackItem<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let p = &call.params;
    let query = PostbackQuery {
        campaign: p.given_integer(CAMPAIGN.name),
        lead: p.given_integer(LEAD.name),
        state: p.given_text(STATE.name),
        limit: p.given_integer(LIMIT.name),
        offset: p.given_integer(OFFSET.name),
    };
    let page = state
        .subscribers
        .postbacks(call.account, query)
        .await
        .map_err(|err| code(err, ErrorCode::Campaign, ErrorCode::State))?;
    Ok(envelope::ok_page(&page, PostbackItem::from))
}
