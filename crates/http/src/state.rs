//! What every handler is given: the domain services and the public URL.

use usher_domain::services::{
    AccountService, BotService, CampaignService, IntakeService, ProfileService, SubscriberService,
};

/// What the handlers share: the domain services.
#[derive(Clone)]
pub struct AppState {
    /// Accounts and authentication.
    pub accounts: AccountService,
    /// The bot lifecycle.
    pub bots: BotService,
    /// Webhook intake.
    pub intake: IntakeService,
    /// Campaigns.
    pub campaigns: CampaignService,
    /// Leads, the journal and stats.
    pub subscribers: SubscriberService,
    /// The account's profile and global postback templates.
    pub profile: ProfileService,
    /// The public base URL of the service (`http.public_url`): the
    /// document's `servers`.
    pub public_url: String,
}
