//! `/api/profile/*.json`: the account itself.

pub mod apikey;
pub mod info;
pub mod postbacks;

use serde::Serialize;
use usher_domain::ports::Profile;
use usher_domain::subscribers::LeadStatus;
use utoipa::ToSchema;

/// The account as `profile/info.json` and `profile/postbacks.json` show it.
#[derive(Serialize, ToSchema)]
pub struct ProfileDetail<'a> {
    /// The account id (the part of the API key before `-`).
    #[schema(minimum = 1)]
    id: i64,
    /// The account's name, `""` if none.
    name: &'a str,
    /// Connected bots.
    #[schema(minimum = 0)]
    bots: i64,
    /// Campaigns that are not deleted.
    #[schema(minimum = 0)]
    campaigns: i64,
    /// Global postback template for wait, `""` for none.
    pb_wait: &'a str,
    /// Global postback template for hold.
    pb_hold: &'a str,
    /// Global postback template for approve.
    pb_approve: &'a str,
    /// Global postback template for cancel.
    pb_cancel: &'a str,
    /// Global postback template for trash.
    pb_trash: &'a str,
}

impl<'a> From<&'a Profile> for ProfileDetail<'a> {
    fn from(p: &'a Profile) -> Self {
        Self {
            id: p.id.0,
            name: &p.name,
            bots: p.bots,
            campaigns: p.campaigns,
            pb_wait: p.postbacks.of(LeadStatus::Wait),
            pb_hold: p.postbacks.of(LeadStatus::Hold),
            pb_approve: p.postbacks.of(LeadStatus::Approve),
            pb_cancel: p.postbacks.of(LeadStatus::Cancel),
            pb_trash: p.postbacks.of(LeadStatus::Trash),
        }
    }
}
