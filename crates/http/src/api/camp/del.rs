//! `POST /api/camp/del.json`: soft-deletes a campaign (a deleted one stays deleted).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Change, change, change_endpoint};
use crate::AppState;
use crate::api::endpoint::Endpoint;

/// `POST /api/camp/del.json`.
pub const ENDPOINT: Endpoint = change_endpoint(
    "/api/camp/del.json",
    "Delete a campaign",
    "Soft-deletes a campaign (status 2) and frees its chat; deleting a deleted campaign \
     is a success that changes nothing.",
    |route| route.to(handle),
);

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    change(req, payload, state, Change::Delete).await
}
