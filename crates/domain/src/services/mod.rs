//! The services that apply the lifecycle rules through the ports.

mod accounts;
mod bots;
mod campaign_links;
mod campaigns;
mod intake;
mod lead_decisions;
mod profile;
mod retention;
mod subscribers;
mod webhook_gate;

pub use accounts::{AccountService, AuthError};
pub use bots::{
    ALLOWED_UPDATES, AddBotError, AddedBot, BotService, ChatsError, DeleteBotError,
    WEBHOOK_PATH_PREFIX,
};
pub use campaign_links::LinkError;
pub use campaigns::{
    AddCampaignError, CampaignIdError, CampaignService, EditCampaignError, Given, LinkFailure,
    SettingsError, SettingsInput,
};
pub use intake::{IntakeError, IntakeService, Received};
pub use lead_decisions::{DecideError, LeadDecisionService};
pub use profile::{ProfileError, ProfileService};
pub use retention::{Partition, RetentionService, UpkeepReport};
pub use subscribers::{
    ACTIONS, JournalQuery, LeadQuery, PostbackQuery, ReadError, SubscriberService,
};
pub use webhook_gate::{Gate, WebhookGate};
