//! `POST /api/camp/del.json`: soft-deletes a campaign (a deleted one stays deleted).

use actix_web::{HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::api::endpoint::Endpoint;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/del.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/del.json",
    "Delete a campaign",
    "Soft-deletes a campaign (status 2) and frees its chat; deleting a deleted campaign \
     is a success that changes nothing. Its live invite links are revoked at Telegram \
     first; Telegram down is `unreachable` and the campaign stays. A link the bot may no \
     longer revoke (it left the chat) stays live in `camp/links.json`.",
    &[ErrorCode::Id, ErrorCode::Unreachable],
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    change(call, state, Change::Delete).await
}
