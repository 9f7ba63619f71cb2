//! `/api/camp/*.json`: campaigns.

pub mod add;
pub mod del;
pub mod get;
pub mod list;
pub mod pause;
pub mod resume;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use usher_domain::{Campaign, CampaignId};

use crate::{AppState, ErrorCode, call, envelope};

/// A campaign as `camp/list.json` shows it; `camp/get.json` and
/// `camp/add.json` add `welcome`.
pub(crate) fn campaign_json(campaign: &Campaign, with_welcome: bool) -> Value {
    let mut value = json!({
        "id": campaign.id.0,
        "code": campaign.code,
        "bot": campaign.bot.0,
        "bot_username": campaign.bot_username,
        "chat": campaign.chat.0,
        "chat_title": campaign.chat_title,
        "status": campaign.status.code(),
        "created": campaign.created.format("%Y-%m-%d %H:%M:%S").to_string(),
    });
    if with_welcome {
        value["welcome"] = json!(campaign.welcome);
    }
    value
}

/// The change pause, resume and del make.
#[derive(Clone, Copy)]
pub(crate) enum Change {
    Pause,
    Resume,
    Delete,
}

/// Shared body of pause, resume and del: param `id`, answer `{"status":"ok"}`.
pub(crate) async fn change(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    change: Change,
) -> HttpResponse {
    let call = match call::post(&req, payload, &state).await {
        Ok(call) => call,
        Err(code) => return envelope::error(code),
    };
    let Some(id) = call.params.positive_id("id").map(CampaignId) else {
        return envelope::error(ErrorCode::Id);
    };
    let campaigns = &state.campaigns;
    let result = match change {
        Change::Pause => campaigns.pause(call.account, id).await,
        Change::Resume => campaigns.resume(call.account, id).await,
        Change::Delete => campaigns.delete(call.account, id).await,
    };
    match result {
        Ok(()) => envelope::ok_empty(),
        Err(err) => envelope::error(ErrorCode::from(&err)),
    }
}
