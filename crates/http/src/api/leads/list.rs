//! `GET /api/leads/list.json`: the account's leads, newest first.

use actix_web::{HttpResponse, web};
use usher_domain::services::{LeadQuery, ReadError};
use usher_domain::subscribers::views::QueryError;

use super::{CAMPAIGN, FROM, LIMIT, LeadItem, OFFSET, TO};
use crate::api::endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};
use crate::call::ApiCall;
use crate::{AppState, ErrorCode, envelope};

const STATUS: Param = Param {
    name: "status",
    kind: ParamKind::Integer { min: 0, max: 4 },
    description: "Only leads with this status (0 to 4). Otherwise `status`.",
    required: false,
};

/// `GET /api/leads/list.json`.
pub const ENDPOINT: Endpoint = Endpoint {
    verb: Verb::Get,
    path: "/api/leads/list.json",
    summary: "List leads",
    description: "Your account's leads, newest first (by `id`), filtered by campaign, status \
                  and start time; `total` counts every lead matching the filters (from counters; filtered by time at most 10000, then `total_capped`).",
    params: &[CAMPAIGN, STATUS, FROM, TO, LIMIT, OFFSET],
    errors: &[
        ErrorCode::Campaign,
        ErrorCode::Status,
        ErrorCode::From,
        ErrorCode::To,
        ErrorCode::Limit,
        ErrorCode::Offset,
    ],
    answer: Answer::Page(Named::of::<LeadItem<'static>>()),
    handler: |route| route.to(handle),
};

/// The error code of a failed list read.
pub(crate) fn code(err: ReadError, owner: ErrorCode, kind: ErrorCode) -> ErrorCode {
    match err {
        ReadError::Bad(QueryError::Owner) => owner,
        ReadError::Bad(QueryError::Lead) => ErrorCode::Lead,
        ReadError::Bad(QueryError::Kind) => kind,
        ReadError::Bad(QueryError::Chat) => ErrorCode::Chat,
        ReadError::Bad(QueryError::Paid) => ErrorCode::Paid,
        ReadError::Bad(QueryError::From) => ErrorCode::From,
        ReadError::Bad(QueryError::To) => ErrorCode::To,
        ReadError::Bad(QueryError::Limit) => ErrorCode::Limit,
        ReadError::Bad(QueryError::Offset) => ErrorCode::Offset,
        ReadError::Store(store) => store.into(),
    }
}

/// Handles the call.
pub async fn handle(call: ApiCall, state: web::Data<AppState>) -> Result<HttpResponse, ErrorCode> {
    let p = &call.params;
    let query = LeadQuery {
        campaign: p.given_integer(CAMPAIGN.name),
        status: p.given_integer(STATUS.name),
        from: p.given_integer(FROM.name),
        to: p.given_integer(TO.name),
        limit: p.given_integer(LIMIT.name),
        offset: p.given_integer(OFFSET.name),
    };
    let page = state
        .subscribers
        .leads(call.account, query)
        .await
        .map_err(|err| code(err, ErrorCode::Campaign, ErrorCode::Status))?;
    Ok(envelope::ok_page(&page, LeadItem::from))
}
