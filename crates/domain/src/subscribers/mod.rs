//! The subscriber flow of `subscribers.md`: deep links, leads and their
//! statuses, the rules that move a lead on each event, and the welcome
//! message's legacy Markdown. Pure code: the store applies what the rules
//! decide in the transaction that records the update.

pub mod batch;
pub mod deep_link;
pub mod join_requests;
pub mod lead;
pub mod markdown;
pub mod rules;
pub mod views;
pub mod welcome;

pub use deep_link::{CLICK_MAX_LEN, StartPayload, campaign_link};
pub use lead::{EventOrder, Lead, LeadStatus};
pub use rules::{CampaignState, Decision, LeadChange, SubscriberEvent, apply};
pub use welcome::{AfterFailure, OutgoingMessage, SendFailure, WelcomeParts, WelcomeRetry};
