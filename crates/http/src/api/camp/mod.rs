//! `/api/camp/*.json`: campaigns.

pub mod add;
pub mod del;
pub mod edit;
pub mod get;
pub mod links;
pub mod list;
pub mod pause;
pub mod resume;

use actix_web::{HttpResponse, Route, web};
use serde::Serialize;
use usher_domain::{Campaign, CampaignId};
use utoipa::ToSchema;

use usher_domain::campaign::{BUTTON_TEXT_MAX_CHARS, BUTTON_URL_MAX, WELCOME_MAX_CHARS};
use usher_domain::invite_links::LinkMode;
use usher_domain::services::SettingsInput;
use usher_domain::subscribers::campaign_link;
use usher_domain::subscribers::join_requests::JoinRequestPolicy;

use super::endpoint::{Answer, Endpoint, Param, ParamKind, Verb};
use super::params::{CAMPAIGN_ID, given_templates};
use crate::api::schema;
use crate::call::ApiCall;
use crate::params::Params;
use crate::{AppState, ErrorCode, envelope};
use usher_domain::subscribers::LeadStatus;

/// `welcome` of `camp/add.json` (required) and `camp/edit.json`.
pub(crate) const WELCOME: Param = Param {
    name: "welcome",
    kind: ParamKind::Text(WELCOME_MAX_CHARS),
    description: "The welcome text, 1 to 4096 characters (counted as Telegram counts them), \
                  not blank, in Telegram's legacy Markdown (`*bold*`, `_italic_`, `[text](url)`, \
                  `` `code` ``; write `my\\_channel` for a literal underscore). Macros `{name}`, \
                  `{title}`, `{campaign}`, `{click}` are filled and escaped when it is sent. \
                  Markdown Telegram would refuse is `welcome`.",
    required: true,
};

/// `button_text`.
pub(crate) const BUTTON_TEXT: Param = Param {
    name: "button_text",
    kind: ParamKind::MaybeEmpty(BUTTON_TEXT_MAX_CHARS),
    description: "The text of the welcome's inline button, at most 64 characters; with \
                  `button_url`, both or neither. `\"\"` removes the button. Otherwise `button`.",
    required: false,
};

/// `button_url`.
pub(crate) const BUTTON_URL: Param = Param {
    name: "button_url",
    kind: ParamKind::MaybeEmpty(BUTTON_URL_MAX),
    description: "The button's http or https URL; the postback macros (`{click}`, `{lead}`, \
                  ...) are filled, percent-encoded. Otherwise `button`.",
    required: false,
};

/// `unsub_window`.
pub(crate) const UNSUB_WINDOW: Param = Param {
    name: "unsub_window",
    kind: ParamKind::Integer {
        min: 0,
        max: i64::MAX,
    },
    description: "Seconds after a join within which a leave or kick still sends its \
                  postback; 0 (the default) means always. Not an integer >= 0 is `unsub`.",
    required: false,
};

/// `link_mode`.
pub(crate) const LINK_MODE: Param = Param {
    name: "link_mode",
    kind: ParamKind::Choice(&LinkMode::NAMES),
    description: "Whether usher makes an invite link for the campaign with Telegram's \
                  `createChatInviteLink`, named by the campaign's code: `none` (the default: \
                  the deep link alone), `join` (a link that admits at once) or `request` (a link \
                  that creates join requests). Changing it revokes the old link and makes the \
                  new one. Anything else is `mode`; a bot that may not invite users in the chat \
                  is `rights`; Telegram down is `unreachable`, with nothing changed.",
    required: false,
};

/// `join_requests`.
pub(crate) const JOIN_REQUESTS: Param = Param {
    name: "join_requests",
    kind: ParamKind::Choice(&JoinRequestPolicy::NAMES),
    description: "What usher does with a join request of one of the campaign's leads for its \
                  chat: `manual` (the default: the lead is held until a person approves in \
                  Telegram, or the customer through `leads/approve.json`), `approve` (at once), \
                  `after_welcome` (the welcome goes to the requester through the request's \
                  `user_chat_id`, then the request is approved) or `decline`. Within the \
                  bot's send rate, through the outbox. A paused campaign answers nothing. \
                  Anything else is `policy`.",
    required: false,
};

/// The settings parameters of a call.
pub(crate) fn settings_input(params: &Params) -> SettingsInput<'_> {
    SettingsInput {
        welcome: params.given_text(WELCOME.name),
        button_text: params.given_text(BUTTON_TEXT.name),
        button_url: params.given_text(BUTTON_URL.name),
        unsub_window: params.given_integer(UNSUB_WINDOW.name),
        postbacks: given_templates(params),
        link_mode: params.given_text(LINK_MODE.name),
        join_requests: params.given_text(JOIN_REQUESTS.name),
    }
}

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
    /// Its leads: people who started the bot through its link.
    #[schema(minimum = 0)]
    starts: i64,
    /// Leads that reached approve (joined) at least once.
    #[schema(minimum = 0)]
    confirms: i64,
    /// Leads now cancel or trash.
    #[schema(minimum = 0)]
    unsubs: i64,
}

/// A campaign as `camp/get.json`, `camp/add.json` and `camp/edit.json`
/// show it: the summary, its settings and its deep link.
#[derive(Serialize, ToSchema)]
pub struct CampaignDetail<'a> {
    #[serde(flatten)]
    summary: CampaignSummary<'a>,
    /// The welcome text, up to 4096 characters.
    welcome: &'a str,
    /// The welcome's button text, `""` for none.
    button_text: &'a str,
    /// The button's URL, `""` for none.
    button_url: &'a str,
    /// Seconds after a join within which a leave still posts back; 0: always.
    #[schema(minimum = 0)]
    unsub_window: i64,
    /// Postback template for wait, `""` for none. If all five are empty the
    /// account's global templates apply.
    pb_wait: &'a str,
    /// Postback template for hold.
    pb_hold: &'a str,
    /// Postback template for approve.
    pb_approve: &'a str,
    /// Postback template for cancel.
    pb_cancel: &'a str,
    /// Postback template for trash.
    pb_trash: &'a str,
    /// The deep link with `{click}` in place of the click, for the tracker.
    #[schema(example = "https://t.me/mytrackbot?start=Ab12Cd34-{click}")]
    link: String,
    /// `none`, `join` or `request`: whether usher made an invite link for
    /// the campaign, and which kind.
    #[schema(schema_with = schema::link_mode)]
    link_mode: &'static str,
    /// The invite link of that mode (`https://t.me/+...`), `""` for none.
    invite_link: &'a str,
    /// `manual`, `approve`, `after_welcome` or `decline`: what usher does
    /// with a lead's join request.
    #[schema(schema_with = schema::join_requests)]
    join_requests: &'static str,
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
            created: crate::api::times::time(&campaign.created),
            starts: campaign.counters.starts,
            confirms: campaign.counters.confirms,
            unsubs: campaign.counters.unsubs,
        }
    }
}

impl<'a> From<&'a Campaign> for CampaignDetail<'a> {
    fn from(campaign: &'a Campaign) -> Self {
        Self {
            summary: campaign.into(),
            welcome: &campaign.welcome,
            button_text: &campaign.button_text,
            button_url: &campaign.button_url,
            unsub_window: campaign.unsub_window,
            pb_wait: campaign.postbacks.of(LeadStatus::Wait),
            pb_hold: campaign.postbacks.of(LeadStatus::Hold),
            pb_approve: campaign.postbacks.of(LeadStatus::Approve),
            pb_cancel: campaign.postbacks.of(LeadStatus::Cancel),
            pb_trash: campaign.postbacks.of(LeadStatus::Trash),
            link: campaign_link(&campaign.bot_username, &campaign.code),
            link_mode: campaign.link_mode.as_str(),
            invite_link: &campaign.invite_link,
            join_requests: campaign.join_requests.as_str(),
        }
    }
}

/// The description of pause, resume and del: `POST`, param `id`, the
/// errors given, answer `{"status":"ok"}`.
pub(crate) const fn change_endpoint(
    path: &'static str,
    summary: &'static str,
    description: &'static str,
    errors: &'static [ErrorCode],
    handler: fn(Route) -> Route,
) -> Endpoint {
    Endpoint {
        verb: Verb::Post,
        path,
        summary,
        description,
        params: &[CAMPAIGN_ID],
        errors,
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
    call: ApiCall,
    state: web::Data<AppState>,
    change: Change,
) -> Result<HttpResponse, ErrorCode> {
    let id = call
        .params
        .positive_id(CAMPAIGN_ID.name)
        .ok_or(ErrorCode::Id)?;
    let id = CampaignId(id);
    let campaigns = &state.campaigns;
    match change {
        Change::Pause => campaigns.pause(call.account, id).await?,
        Change::Resume => campaigns.resume(call.account, id).await?,
        Change::Delete => campaigns.delete(call.account, id).await?,
    }
    Ok(envelope::ok_empty())
}
