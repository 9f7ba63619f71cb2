//! `POST /api/leads/approve.json` and `POST /api/leads/decline.json`: the
//! customer answers a held lead's join request. The answer is queued in the
//! outbox and sent by the bot within its rate; its outcome shows in
//! `leads/get.json` (`answer`).

use actix_web::{HttpResponse, web};
use usher_domain::subscribers::join_requests::RequestAnswer;

use super::get::LEAD_ID;
use crate::api::endpoint::{Answer, Endpoint, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const ERRORS: &[ErrorCode] = &[ErrorCode::Id, ErrorCode::Held, ErrorCode::Deciding];

/// `POST /api/leads/approve.json`.
pub const APPROVE: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/leads/approve.json",
    summary: "Approve a lead's join request",
    description: "Queues `approveChatJoinRequest` of the held lead's request; the lead becomes \
                  approve when Telegram reports the join. A lead that is not held is `held`; one \
                  whose request has an answer queued already is `deciding`. Telegram's answer \
                  (a request decided meanwhile in Telegram fails it) is `answer` of \
                  `leads/get.json`.",
    params: &[LEAD_ID],
    errors: ERRORS,
    answer: Answer::Nothing,
    handler: |route| route.to(approve),
};

/// `POST /api/leads/decline.json`.
pub const DECLINE: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/leads/decline.json",
    summary: "Decline a lead's join request",
    description: "Queues `declineChatJoinRequest` of the held lead's request; the lead stays \
                  held (no status means declined) and the decline counts in `stats/days.json`. \
                  Errors as `leads/approve.json`.",
    params: &[LEAD_ID],
    errors: ERRORS,
    answer: Answer::Nothing,
    handler: |route| route.to(decline),
};

/// Handles `leads/approve.json`.
pub async fn approve(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    decide(call, state, RequestAnswer::Approve).await
}

/// Handles `leads/decline.json`.
pub async fn decline(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    decide(call, state, RequestAnswer::Decline).await
}

async fn decide(
    call: ApiCall,
    state: web::Data<AppState>,
    answer: RequestAnswer,
) -> Result<HttpResponse, ErrorCode> {
    let id = call.params.positive_id(LEAD_ID.name);
    state.decisions.decide(call.account, id, answer).await?;
    Ok(envelope::ok_empty())
}
