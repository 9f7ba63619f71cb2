//! `POST /api/profile/postbacks.json`: the account's global postback
//! templates.

use actix_web::{HttpResponse, web};

use super::ProfileDetail;
use crate::api::endpoint::{Answer, Endpoint, Named, Verb};
use crate::api::params::{TEMPLATES, given_templates};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

/// `POST /api/profile/postbacks.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Post,
    path: "/api/profile/postbacks.json",
    summary: "Set the global postback templates",
    description: "Changes any of the five global templates; omitted ones stay, `\"\"` clears \
                  one. All are checked before any is saved. A campaign uses these only while \
                  its own five are all empty. Answers the profile as `profile/info.json` \
                  would.",
    params: &TEMPLATES,
    errors: &[ErrorCode::Postback],
    answer: Answer::Object(Named::of::<ProfileDetail<'static>>()),
    handler: |route| route.to(handle),
};

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let templates = given_templates(&call.params);
    let profile = state.profile.set_postbacks(call.account, templates).await?;
    Ok(envelope::ok(ProfileDetail::from(&profile)))
}
