//! What every handler is given: the domain services and the public URL.

use usher_domain::services::{
    AccountService, BotService, CampaignService, IntakeService, LeadDecisionService,
    ProfileService, SubscriberService,
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
    /// Answers to held leads' join requests.
    pub decisions: LeadDecisionService,
    /// The account's profile and global postback templates.
    pub profile: ProfileService,
    /// The public base URL of the service (`http.public_url`): the
    /// document's `servers`.
    pub public_url: String,
}
