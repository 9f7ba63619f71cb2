//! `POST /api/camp/pause.json`: pauses an active campaign (a paused one stays paused).

use actix_web::{HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::api::endpoint::Endpoint;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/pause.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/pause.json",
    "Pause a campaign",
    "Pauses an active campaign; pausing a paused one changes nothing. A paused campaign \
     still tracks its chat: the chat stays out of `bots/chats.json` and counts for \
     Warning. A deleted campaign is `id`.",
    &[ErrorCode::Id],
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    change(call, state, Change::Pause).await
}
