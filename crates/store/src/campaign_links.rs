//! The statements of a campaign's invite links (`campaign_links`), for
//! [`CampaignStore`](usher_domain::ports::CampaignStore): the store
//! records what Telegram made or revoked; it never calls Telegram.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::invite_links::{InviteLink, LinkId, NewInviteLink};
use usher_domain::{AccountId, CampaignId, CampaignStatus};

use crate::schema::{campaign_links, campaigns};

type LinkRow = (
    i64,
    i64,
    String,
    String,
    bool,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

#[diesel::dsl::auto_type]
fn link_columns() -> _ {
    (
        campaign_links::id,
        campaign_links::campaign,
        campaign_links::url,
        campaign_links::name,
        campaign_links::creates_join_request,
        campaign_links::is_primary,
        campaign_links::created,
        campaign_links::revoked,
    )
}

fn link(
    (id, campaign, url, name, creates_join_request, primary, created, revoked): LinkRow,
) -> InviteLink {
    InviteLink {
        id: LinkId(id),
        campaign: CampaignId(campaign),
        url,
        name,
        creates_join_request,
        primary,
        created,
        revoked,
    }
}

/// The database's clock, as `created` has it.
fn db_now() -> diesel::expression::SqlLiteral<Nullable<Timestamptz>> {
    diesel::dsl::sql::<Nullable<Timestamptz>>("now()")
}

/// Records `new` as a link of campaign `id` of `account`.
pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: CampaignId,
    new: &NewInviteLink,
) -> Result<InviteLink, DieselError> {
    diesel::insert_into(campaign_links::table)
        .values((
            campaign_links::account_id.eq(account.0),
            campaign_links::campaign.eq(id.0),
            campaign_links::url.eq(&new.url),
            campaign_links::name.eq(&new.name),
            campaign_links::creates_join_request.eq(new.creates_join_request),
            campaign_links::is_primary.eq(new.primary),
        ))
        .returning(link_columns())
        .get_result::<LinkRow>(conn)
        .await
        .map(link)
}

/// Records an extra link of campaign `id` if the campaign is the
/// account's and not deleted, in one statement; `None` otherwise.
pub(crate) async fn insert_extra(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: CampaignId,
    new: &NewInviteLink,
) -> Result<Option<InviteLink>, DieselError> {
    let live = campaigns::table
        .filter(campaigns::id.eq(id.0))
        .filter(campaigns::account_id.eq(account.0))
        .filter(campaigns::status.ne(CampaignStatus::Deleted.code()))
        .select((
            campaigns::account_id,
            campaigns::id,
            new.url.as_str().into_sql::<diesel::sql_types::Text>(),
            new.name.as_str().into_sql::<diesel::sql_types::Text>(),
            new.creates_join_request
                .into_sql::<diesel::sql_types::Bool>(),
            false.into_sql::<diesel::sql_types::Bool>(),
        ));
    diesel::insert_into(campaign_links::table)
        .values(live)
        .into_columns((
            campaign_links::account_id,
            campaign_links::campaign,
            campaign_links::url,
            campaign_links::name,
            campaign_links::creates_join_request,
            campaign_links::is_primary,
        ))
        .returning(link_columns())
        .get_result::<LinkRow>(conn)
        .await
        .optional()
        .map(|row| row.map(link))
}

/// Marks campaign `id`'s live primary link revoked (its mode changed).
pub(crate) async fn retire_primary(
    conn: &mut AsyncPgConnection,
    id: CampaignId,
) -> Result<usize, DieselError> {
    diesel::update(campaign_links::table)
        .filter(campaign_links::campaign.eq(id.0))
        .filter(campaign_links::is_primary)
        .filter(campaign_links::revoked.is_null())
        .set(campaign_links::revoked.eq(db_now()))
        .execute(conn)
        .await
}

/// Every link of campaign `id` of `account`, oldest first.
pub(crate) async fn of_campaign(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: CampaignId,
) -> Result<Vec<InviteLink>, DieselError> {
    let rows: Vec<LinkRow> = campaign_links::table
        .filter(campaign_links::campaign.eq(id.0))
        .filter(campaign_links::account_id.eq(account.0))
        .order(campaign_links::id)
        .select(link_columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(link).collect())
}

/// Marks link `link` of campaign `id` of `account` revoked unless it is;
/// the link as it is now, `None` when there is no such link.
pub(crate) async fn mark_revoked(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    id: CampaignId,
    link_id: LinkId,
) -> Result<Option<InviteLink>, DieselError> {
    let mine = campaign_links::table
        .filter(campaign_links::id.eq(link_id.0))
        .filter(campaign_links::campaign.eq(id.0))
        .filter(campaign_links::account_id.eq(account.0));
    diesel::update(mine.filter(campaign_links::revoked.is_null()))
        .set(campaign_links::revoked.eq(db_now()))
        .execute(conn)
        .await?;
    mine.select(link_columns())
        .first::<LinkRow>(conn)
        .await
        .optional()
        .map(|row| row.map(link))
}
