//! `GET /api/profile/info.json`: the account, its counts and its global
//! postback templates.

use actix_web::{HttpResponse, web};

use super::ProfileDetail;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `GET /api/profile/info.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/profile/info.json",
    summary: "Get the profile",
    description: "Your account: its id and name, how many bots are connected and campaigns \
                  not deleted, and the five global postback templates (used by campaigns \
                  whose own five are all empty).",
    params: &[],
    errors: &[],
    answer: Answer::Object(Named::of::<ProfileDetail<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let profile = state.profile.info(call.account).await?;
    Ok(envelope::ok(ProfileDetail::from(&profile)))
}
