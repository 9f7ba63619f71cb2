//! `POST /api/camp/pause.json`: pauses an active campaign (a paused one stays paused).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::AppState;

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Pause).await
}
