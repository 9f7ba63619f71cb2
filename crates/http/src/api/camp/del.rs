//! `POST /api/camp/del.json`: soft-deletes a campaign (a deleted one stays deleted).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::api::endpoint::{Answer, Endpoint, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/del.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/del.json",
    summary: "Delete a campaign",
    description: "Soft-deletes a campaign (status 2) and frees its chat; deleting a deleted campaign is a success that changes nothing.",
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
    change(req, payload, state, Change::Delete).await
}
