//! `POST /api/camp/pause.json`: pauses an active campaign (a paused one stays paused).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::api::endpoint::{Answer, Endpoint, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/pause.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/pause.json",
    summary: "Pause a campaign",
    description: "Pauses an active campaign; pausing a paused one changes nothing. A paused campaign still tracks its chat: the chat stays out of `bots/chats.json` and counts for Warning. A deleted campaign is `id`.",
    params: &[CAMPAIGN_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::Nothing,
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Pause).await
}
