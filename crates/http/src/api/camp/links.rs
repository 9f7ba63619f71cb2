//! `/api/camp/links.json`: a campaign's invite links. `GET` lists them;
//! `POST` makes an extra named link (one per ad, say) or, with `revoke`,
//! revokes one.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use usher_domain::CampaignId;
use usher_domain::invite_links::{self, LINK_NAME_MAX_CHARS, LinkId};
use utoipa::ToSchema;

use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::api::params::CAMPAIGN_ID;
use crate::api::schema;
use crate::api::times::{NEVER, time};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const PATH: &str = "/api/camp/links.json";

const NAME: Param = Param {
    name: "name",
    kind: ParamKind::Text(LINK_NAME_MAX_CHARS),
    description: "Making a link: its name, 1 to 32 characters, not blank (Telegram shows it \
                  to the chat's administrators). The link admits the way the campaign's \
                  `link_mode` does: through join requests under `request`, at once otherwise. \
                  Otherwise `name`.",
    required: false,
};

const REVOKE: Param = Param {
    name: "revoke",
    kind: ParamKind::PositiveId,
    description: "Revoking a link instead: the `id` of one of the campaign's extra links. \
                  Revoking a revoked link answers it as it is. The link of the campaign's \
                  mode changes through `link_mode` of `camp/edit.json`. Otherwise `link`.",
    required: false,
};

/// `GET /api/camp/links.json`.
pub const LIST: Endpoint = Endpoint {
    verb: Verb::Get,
    path: PATH,
    summary: "List a campaign's invite links",
    description: "Every invite link usher made for one campaign of your account, oldest \
                  first: the link of its `link_mode` (`primary`), then extra ones, revoked \
                  ones included (a late join through a revoked link still counts for it). A \
                  deleted campaign still answers.",
    params: &[CAMPAIGN_ID],
    errors: &[ErrorCode::Id],
    answer: Answer::List(Named::of::<InviteLink<'static>>()),
    handler: |route| route.to(list),
};

/// `POST /api/camp/links.json`.
pub const CHANGE: Endpoint = Endpoint {
    verb: Verb::Post,
    path: PATH,
    summary: "Make or revoke an invite link of a campaign",
    description: "With `name`: makes an extra invite link for a campaign that is not \
                  deleted, through Telegram's `createChatInviteLink`. With `revoke`: revokes \
                  one through `revokeChatInviteLink`. Answers the link. Telegram is asked \
                  first; what it refuses or cannot answer changes nothing.",
    params: &[CAMPAIGN_ID, REVOKE, NAME],
    errors: &[
        ErrorCode::Id,
        ErrorCode::Link,
        ErrorCode::Name,
        ErrorCode::Rights,
        ErrorCode::Unreachable,
    ],
    answer: Answer::Object(Named::of::<InviteLink<'static>>()),
    handler: |route| route.to(change),
};

/// An invite link as `camp/links.json` shows it.
#[derive(Serialize, ToSchema)]
pub struct InviteLink<'a> {
    /// Our id of the link (`revoke` takes it).
    #[schema(minimum = 1)]
    id: i64,
    /// The campaign it belongs to.
    #[schema(minimum = 1)]
    campaign: i64,
    /// The link, as Telegram made it.
    #[schema(example = "https://t.me/+AbCdEf012345")]
    url: &'a str,
    /// Its name: the campaign's code for the link of its mode.
    name: &'a str,
    /// Whether it creates join requests instead of admitting at once.
    join_request: bool,
    /// Whether it is the link of the campaign's `link_mode`.
    primary: bool,
    /// When usher made it.
    #[schema(schema_with = schema::date_time)]
    created: String,
    /// When usher revoked it; `0000-00-00 00:00:00` while it admits.
    #[schema(schema_with = schema::date_time)]
    revoked: String,
}

impl<'a> From<&'a invite_links::InviteLink> for InviteLink<'a> {
    fn from(link: &'a invite_links::InviteLink) -> Self {
        Self {
            id: link.id.0,
            campaign: link.campaign.0,
            url: &link.url,
            name: &link.name,
            join_request: link.creates_join_request,
            primary: link.primary,
            created: time(&link.created),
            revoked: link.revoked.as_ref().map_or_else(|| NEVER.to_owned(), time),
        }
    }
}

/// Lists the links.
pub async fn list(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let id = call
        .params
        .positive_id(CAMPAIGN_ID.name)
        .ok_or(ErrorCode::Id)?;
    let links = state.campaigns.links(call.account, CampaignId(id)).await?;
    Ok(envelope::ok(
        links.iter().map(InviteLink::from).collect::<Vec<_>>(),
    ))
}

/// Makes or revokes a link.
pub async fn change(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let id = call.params.positive_id(CAMPAIGN_ID.name).map(CampaignId);
    let campaigns = &state.campaigns;
    let link = if call.params.single(REVOKE.name).is_some() {
        let link = call.params.positive_id(REVOKE.name).map(LinkId);
        campaigns.revoke_link(call.account, id, link).await?
    } else {
        let name = call.params.given_text(NAME.name);
        campaigns.add_link(call.account, id, name).await?
    };
    Ok(envelope::ok(InviteLink::from(&link)))
}
