//! The subscriber flow of one intake batch, decided as a pure plan.
//!
//! A batch's new updates become *happenings* (a `/start`, a join request, a
//! join, a leave, a kick, a block), each with the campaign it concerns. The
//! store locks and reads the leads of [`Happenings::lead_keys`], then
//! [`Happenings::plan`] runs the rules of [`super::rules`] event by event in
//! `(date, update_id)` order and returns everything the batch must write:
//! the leads, their history, the journal, the welcomes and postbacks to
//! queue, the blockers whose pending welcomes are dropped (rule 7), and the
//! rollups (`stats/days.json`, the lists' totals, the confirms). The store
//! writes the plan as it is; it decides nothing.
//!
//! - [`types`]: what goes in (the fresh updates, the campaigns, the stored
//!   leads) and what comes out (the plan);
//! - `happenings`: the happenings and the rules run over them;
//! - `rollups`: the counting rule.

mod happenings;
mod rollups;
pub mod types;

pub use happenings::Happenings;
pub use types::{
    BatchPlan, CampaignFacts, CampaignLookup, FreshUpdate, JournalAction, JournalEntry, LeadKey,
    LeadWrite, QueuedAnswer, QueuedPostback, QueuedWelcome, Rollups, StatusChange, StoredLead,
    full_name,
};
