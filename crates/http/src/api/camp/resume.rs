//! `POST /api/camp/resume.json`: resumes a paused campaign (an active one stays active).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::AppState;

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Resume).await
}
