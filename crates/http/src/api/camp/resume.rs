//! `POST /api/camp/resume.json`: resumes a paused campaign (an active one stays active).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::AppState;
use crate::api::endpoint::Endpoint;

/// `POST /api/camp/resume.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/resume.json",
    "Resume a campaign",
    "Resumes a paused campaign; resuming an active one changes nothing. A deleted \
     campaign is `id`.",
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Resume).await
}
