//! `POST /api/camp/pause.json`: pauses an active campaign (a paused one stays paused).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::AppState;
use crate::api::endpoint::Endpoint;

/// `POST /api/camp/pause.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/pause.json",
    "Pause a campaign",
    "Pauses an active campaign; pausing a paused one changes nothing. A paused campaign \
     still tracks its chat: the chat stays out of `bots/chats.json` and counts for \
     Warning. A deleted campaign is `id`.",
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Pause).await
}
