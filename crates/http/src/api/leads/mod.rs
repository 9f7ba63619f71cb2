//! `/api/leads/*.json`: the account's leads.

pub mod decide;
pub mod get;
pub mod list;

use serde::Serialize;
use usher_domain::subscribers::views::{LIMIT_MAX, LeadView, OFFSET_MAX};
use utoipa::ToSchema;

use super::endpoint::{Param, ParamKind};
use crate::api::schema;

pub(crate) use super::times::{NEVER, time};

/// A lead as `leads/list.json` shows it.
#[derive(Serialize, ToSchema)]
pub struct LeadItem<'a> {
    /// Our id of the lead.
    #[schema(minimum = 1)]
    id: i64,
    /// Its campaign.
    #[schema(minimum = 1)]
    campaign: i64,
    /// The subscriber's Telegram user id.
    subscriber: i64,
    /// The subscriber's username, `""` if none.
    username: &'a str,
    /// The subscriber's name.
    name: &'a str,
    /// The tracker's click id of the last link that brought them, `""` if none.
    click: &'a str,
    /// The lead's status.
    #[schema(schema_with = schema::lead_status)]
    status: i16,
    /// When they first started the bot.
    #[schema(schema_with = schema::date_time)]
    start_time: String,
    /// When they last joined; `0000-00-00 00:00:00` until the first join.
    #[schema(schema_with = schema::date_time)]
    join_time: String,
    /// The last status change.
    #[schema(schema_with = schema::date_time)]
    updated: String,
}

impl<'a> From<&'a LeadView> for LeadItem<'a> {
    fn from(lead: &'a LeadView) -> Self {
        Self {
            id: lead.id,
            campaign: lead.campaign,
            subscriber: lead.subscriber,
            username: &lead.username,
            name: &lead.name,
            click: &lead.click,
            status: lead.status.code(),
            start_time: time(&lead.start_time),
            join_time: lead
                .join_time
                .as_ref()
                .map_or_else(|| NEVER.to_owned(), time),
            updated: time(&lead.updated),
        }
    }
}

/// `limit` of the lists.
pub(crate) const LIMIT: Param = Param {
    name: "limit",
    kind: ParamKind::Integer {
        min: 1,
        max: LIMIT_MAX,
    },
    description: "Rows per page, 1 to 200 (default 50). Otherwise `limit`.",
    required: false,
};

/// `offset` of the lists.
pub(crate) const OFFSET: Param = Param {
    name: "offset",
    kind: ParamKind::Integer {
        min: 0,
        max: OFFSET_MAX,
    },
    description: "Rows to skip, 0 to 10000 (default 0): every page's work stays bounded. \
                  Older rows are reached by narrowing `from` and `to`. Otherwise `offset`.",
    required: false,
};

/// `from` of the lists and stats.
pub(crate) const FROM: Param = Param {
    name: "from",
    kind: ParamKind::Integer {
        min: 0,
        max: 253_402_300_799,
    },
    description: "Unix seconds, inclusive. Otherwise `from`.",
    required: false,
};

/// `to` of the lists and stats.
pub(crate) const TO: Param = Param {
    name: "to",
    kind: ParamKind::Integer {
        min: 0,
        max: 253_402_300_799,
    },
    description: "Unix seconds, inclusive. Otherwise `to`.",
    required: false,
};

/// `campaign` filter of `leads/list.json` and `stats/days.json`.
pub(crate) const CAMPAIGN: Param = Param {
    name: "campaign",
    kind: ParamKind::PositiveId,
    description: "Only this campaign of your account. Not a positive integer, unknown, or \
                  another account's campaign is `campaign`.",
    required: false,
};
