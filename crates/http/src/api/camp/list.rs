//! `GET /api/camp/list.json`: the account's campaigns that are not deleted.

use actix_web::{HttpRequest, HttpResponse, web};

use super::campaign_json;
use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call.
pub async fn handle(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let call = match call::get(&req, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    match state.campaigns.list(call.account).await {
        Ok(list) => envelope::ok(
            list.iter()
                .map(|c| campaign_json(c, false))
                .collect::<Vec<_>>(),
        ),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
