//! `POST /api/profile/apikey.json`: a new API key; the old one stops
//! working at once.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

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
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    // None: the account went away since the key was checked.
    let key = state
        .accounts
        .rotate_key(call.account)
        .await?
        .ok_or(ErrorCode::Key)?;
    Ok(envelope::ok(NewKey { key: key.reveal() }))
}
