//! `POST /api/profile/apikey.json`: a new API key; the old one stops
//! working at once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::{AppState, ErrorCode, call, envelope};

/// The new key.
#[derive(Serialize, ToSchema)]
pub struct NewKey {
    /// `{account id}-{secret}`: shown only now, never stored in clear.
    #[schema(pattern = "^[0-9]+-[A-Za-z0-9_-]+$")]
    key: String,
}

/// `POST /api/profile/apikey.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/profile/apikey.json",
    summary: "Rotate the API key",
    description: "Makes a new API key for your account and answers it; the key this call \
                  was made with stops working at once. Keep the answer: the key is not \
                  shown again.",
    params: &[],
    errors: &[],
    answer: Answer::Object(Named::of::<NewKey>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let call = match call::post(&req, payload, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    match state.accounts.rotate_key(call.account).await {
        Ok(Some(key)) => envelope::ok(NewKey { key: key.reveal() }),
        Ok(None) => envelope::error(ErrorCode::Key),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
