//! `POST /api/camp/resume.json`: resumes a paused campaign (an active one stays active).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::api::endpoint::{Answer, Endpoint, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/resume.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/camp/resume.json",
    summary: "Resume a campaign",
    description: "Resumes a paused campaign; resuming an active one changes nothing. A deleted campaign is `id`.",
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
    change(req, payload, state, Change::Resume).await
}
