//! `/api/camp/*.json`: campaigns.

pub mod add;
pub mod del;
pub mod get;
pub mod list;
pub mod pause;
pub mod resume;

use actix_web::{HttpRequest, HttpResponse, Route, web};
use serde::Serialize;
use usher_domain::{Campaign, CampaignId};
use utoipa::ToSchema;

use super::endpoint::{Answer, Endpoint, Verb};
use super::params::CAMPAIGN_ID;
use crate::api::schema;
use crate::{AppState, ErrorCode, call, envelope};

/// A campaign as `camp/list.json` shows it.
#[derive(Serialize, ToSchema)]
pub struct CampaignSummary<'a> {
    /// Our id of the campaign.
    #[schema(minimum = 1)]
    id: i64,
    /// 8 letters and digits, for links `t.me/<bot>?start=<code>-<click>`.
    #[schema(pattern = "^[A-Za-z0-9]{8}$")]
    code: &'a str,
    /// The bot it tracks through (the `id` of `bots/list.json`).
    #[schema(minimum = 1)]
    bot: i64,
    /// That bot's username.
    bot_username: &'a str,
    /// Telegram's id of the tracked chat.
    chat: i64,
    /// The chat's title.
    chat_title: &'a str,
    /// 0 Active; 1 Paused; 2 Deleted.
    #[schema(schema_with = schema::campaign_status)]
    status: i16,
    /// When it was made.
    #[schema(schema_with = schema::date_time)]
    created: String,
}

/// A campaign as `camp/get.json` and `camp/add.json` show it: the summary
/// and its welcome text.
#[derive(Serialize, ToSchema)]
pub struct CampaignDetail<'a> {
    #[serde(flatten)]
    summary: CampaignSummary<'a>,
    /// The welcome text, up to 4096 characters.
    welcome: &'a str,
}

impl<'a> From<&'a Campaign> for CampaignSummary<'a> {
    fn from(campaign: &'a Campaign) -> Self {
        Self {
            id: campaign.id.0,
            code: &campaign.code,
            bot: campaign.bot.0,
            bot_username: &campaign.bot_username,
            chat: campaign.chat.0,
            chat_title: &campaign.chat_title,
            status: campaign.status.code(),
            created: campaign.created.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

impl<'a> From<&'a Campaign> for CampaignDetail<'a> {
    fn from(campaign: &'a Campaign) -> Self {
        Self {
            summary: campaign.into(),
            welcome: &campaign.welcome,
        }
    }
}

/// The description of pause, resume and del: `POST`, param `id`, error `id`,
/// answer `{"status":"ok"}`.
pub(crate) const fn change_endpoint(
    path: &'static str,
    summary: &'static str,
    description: &'static str,
    handler: fn(Route) -> Route,
) -> Endpoint {
    Endpoint {
        verb: Verb::Post,
        path,
        summary,
        description,
        params: &[CAMPAIGN_ID],
        errors: &[ErrorCode::Id],
        answer: Answer::Nothing,
        handler,
    }
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
    let Some(id) = call.params.positive_id(CAMPAIGN_ID.name).map(CampaignId) else {
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
