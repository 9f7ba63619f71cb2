//! `POST /api/bots/add.json`: connect (or restore) a bot by its token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use tracing::instrument;

use crate::{AppState, ErrorCode, call, envelope};

/// Handles the call. The token is read, passed on, and never logged.
#[instrument(skip_all, name = "bots.add")]
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let call = match call::post(&req, payload, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(token) = call.params.text("token") else {
        return envelope::error(ErrorCode::Token);
    };
    match state.bots.add(call.account, token).await {
        Ok(bot) => envelope::ok(json!({
            "id": bot.id.0,
            "username": bot.username,
            "name": bot.name,
        })),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
