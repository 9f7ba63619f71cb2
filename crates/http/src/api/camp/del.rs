//! `POST /api/camp/del.json`: soft-deletes a campaign (a deleted one stays deleted).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change};
use crate::AppState;

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Delete).await
}
