//! `POST /api/camp/resume.json`: resumes a paused campaign (an active one stays active).

use actix_web::{HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::api::endpoint::Endpoint;
use crate::call::ApiCall;
use crate::{AppState, ErrorCode};

/// `POST /api/camp/resume.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/resume.json",
    "Resume a campaign",
    "Resumes a paused campaign; resuming an active one changes nothing. A deleted \
     campaign is `id`.",
    &[ErrorCode::Id],
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    change(call, state, Change::Resume).await
}
