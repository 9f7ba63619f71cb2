//! The outbox: durable outgoing work, claimed by workers in every instance.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::BotToken;
use crate::subscribers::WelcomeParts;

/// A welcome message claimed for sending.
#[derive(Debug, Clone)]
pub struct WelcomeJob {
    /// The outbox item.
    pub id: i64,
    /// Our bot id (the key of its send rate).
    pub bot: i64,
    /// The bot's token, to send with.
    pub token: BotToken,
    /// The person it goes to (their private chat's id).
    pub recipient: i64,
    /// Which try this is (1 for the first).
    pub attempts: u32,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// The campaign is deleted, or its bot is: the welcome is dropped.
    pub cancelled: bool,
    /// What the message is made of.
    pub parts: WelcomeParts,
}

/// How a claimed item ended, or when to try it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Delivered.
    Sent,
    /// Given up, with the reason.
    Failed(String),
    /// Not to be sent any more (campaign or bot deleted, person blocked).
    Dropped(String),
    /// To be tried again after this long; the reason of this failure.
    Retry(Duration, String),
}

/// The outbox's storage.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims due welcomes, at most `per_bot` of one bot counting those
    /// already claimed anywhere and not finished, at most `limit` in all,
    /// for `lease`: until it ends no other worker of any instance takes
    /// them (`FOR UPDATE SKIP LOCKED`), after it they are due again (a dead
    /// worker's item is taken again). Each claim counts one attempt.
    async fn claim_welcomes(
        &self,
        per_bot: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WelcomeJob>, StoreError>;

    /// Records how item `id` ended (or when to retry it). MUST change
    /// nothing if the item is no longer pending.
    async fn finish(&self, id: i64, outcome: &JobOutcome) -> Result<(), StoreError>;

    /// Telegram asked bot `bot` to wait: none of its pending welcomes is
    /// due before `wait` has passed, in any instance.
    async fn pause_bot(&self, bot: i64, wait: Duration) -> Result<(), StoreError>;

    /// Waits until new work may have been queued (a notification), or at
    /// most `timeout`.
    async fn wait_for_work(&self, timeout: Duration);
}
