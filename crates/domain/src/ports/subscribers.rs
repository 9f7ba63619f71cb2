//! The storage ports of the subscriber reads and of a customer's answers
//! to join requests.

use async_trait::async_trait;

use super::StoreError;
use crate::AccountId;
use crate::subscribers::LeadStatus;
use crate::subscribers::join_requests::{DecideRefusal, RequestAnswer};
use crate::subscribers::views::{
    DayView, JournalView, LeadDetailView, LeadView, Page, PostbackView, Window,
};

/// Filters of `leads/list.json`.
#[derive(Debug, Clone, Copy)]
pub struct LeadFilter {
    /// One campaign of the account.
    pub campaign: Option<i64>,
    /// One status.
    pub status: Option<LeadStatus>,
    /// `start_time` at or after (Unix seconds).
    pub from: Option<i64>,
    /// `start_time` at or before.
    pub to: Option<i64>,
    /// The page.
    pub window: Window,
}

/// Filters of `journal/list.json`.
#[derive(Debug, Clone)]
pub struct JournalFilter {
    /// One bot of the account.
    pub bot: Option<i64>,
    /// One chat.
    pub chat: Option<i64>,
    /// One action.
    pub action: Option<String>,
    /// Only entries that belong to a lead (true) or only those that do not.
    pub paid: Option<bool>,
    /// At or after (Unix seconds).
    pub from: Option<i64>,
    /// At or before.
    pub to: Option<i64>,
    /// The page.
    pub window: Window,
}

/// Filters of `postbacks/list.json`.
#[derive(Debug, Clone)]
pub struct PostbackFilter {
    /// One campaign of the account.
    pub campaign: Option<i64>,
    /// One lead of the account.
    pub lead: Option<i64>,
    /// `pending`, `sent` or `failed`.
    pub state: Option<String>,
    /// The page.
    pub window: Window,
}

/// Reads of leads, the journal and stats, always within one account.
#[async_trait]
pub trait SubscriberReads: Send + Sync {
    /// Whether campaign `id` is the account's (deleted ones included).
    async fn owns_campaign(&self, account: AccountId, id: i64) -> Result<bool, StoreError>;

    /// Whether lead `id` is the account's.
    async fn owns_lead(&self, account: AccountId, id: i64) -> Result<bool, StoreError>;

    /// The account's postbacks matching `filter`, newest first.
    async fn list_postbacks(
        &self,
        account: AccountId,
        filter: &PostbackFilter,
    ) -> Result<Page<PostbackView>, StoreError>;

    /// Whether bot `id` is the account's (deleted ones included).
    async fn owns_bot(&self, account: AccountId, id: i64) -> Result<bool, StoreError>;

    /// The account's leads matching `filter`, newest first (by id). MUST
    /// answer `None` when `filter.campaign` is not the account's.
    async fn list_leads(
        &self,
        account: AccountId,
        filter: &LeadFilter,
    ) -> Result<Option<Page<LeadView>>, StoreError>;

    /// Lead `id` of the account, with its history and last welcome; `None`
    /// for an unknown id and another account's lead alike.
    async fn get_lead(
        &self,
        account: AccountId,
        id: i64,
    ) -> Result<Option<LeadDetailView>, StoreError>;

    /// The account's journal entries matching `filter`, newest first.
    async fn list_journal(
        &self,
        account: AccountId,
        filter: &JournalFilter,
    ) -> Result<Page<JournalView>, StoreError>;

    /// One row per UTC day from the day of `from` to the day of `to`, for
    /// one campaign or all the account's.
    async fn stats_days(
        &self,
        account: AccountId,
        campaign: Option<i64>,
        from: i64,
        to: i64,
    ) -> Result<Vec<DayView>, StoreError>;
}

/// What [`LeadDecisionStore::decide_lead`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadDecision {
    /// The answer is queued.
    Queued,
    /// No such lead in the account.
    Unknown,
    /// The rule refused.
    Refused(DecideRefusal),
}

/// A customer's answer to a held lead's join request
/// (`leads/approve.json`, `leads/decline.json`).
#[async_trait]
pub trait LeadDecisionStore: Send + Sync {
    /// In one transaction, with lead `lead` of `account` locked: reads
    /// whether it is held and whether an answer to its request is pending,
    /// asks `rule` with those two, and when it agrees queues `answer` in
    /// the outbox (sent to the lead's campaign's chat by its bot). MUST
    /// answer `Unknown` for another account's lead, and queue nothing
    /// unless `rule` agreed.
    async fn decide_lead(
        &self,
        account: AccountId,
        lead: i64,
        answer: RequestAnswer,
        rule: fn(bool, bool) -> Result<(), DecideRefusal>,
    ) -> Result<LeadDecision, StoreError>;
}
