//! The outbox: durable outgoing work, claimed by workers in every instance.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::postbacks::Verdict;
use crate::subscribers::WelcomeParts;
use crate::subscribers::join_requests::RequestAnswer;
use crate::{BotToken, ChatId};

/// A welcome message claimed for sending.
#[derive(Debug, Clone)]
pub struct WelcomeJob {
    /// The outbox item.
    pub id: i64,
    /// Our bot id (the key of its send rate).
    pub bot: i64,
    /// The bot's token, to send with; `Err` with the reason when the stored
    /// token cannot be read here (a corrupt row, another key): that item
    /// alone fails, by the retry rules, and every other is sent.
    pub token: Result<BotToken, String>,
    /// The person it goes to (their private chat's id).
    pub recipient: i64,
    /// Which try this is (1 for the first). It is also the claim's fencing
    /// token: an outcome is recorded only while the item's latest claim is
    /// this one.
    pub attempts: u32,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// The campaign is deleted, or its bot is: the welcome is dropped.
    pub cancelled: bool,
    /// What the message is made of.
    pub parts: WelcomeParts,
    /// For a greeting of a join request through its `user_chat_id`: the
    /// request's date. It may go only inside the window
    /// ([`crate::subscribers::join_requests::greeting`]).
    pub requested: Option<DateTime<Utc>>,
    /// Whether the lead's request has been decided since (the lead is no
    /// longer held, or an answer to it went): a greeting then no longer goes.
    pub decided: bool,
}

/// An answer to a join request claimed for sending.
#[derive(Debug, Clone)]
pub struct AnswerJob {
    /// The outbox item.
    pub id: i64,
    /// Our bot id (the key of its send rate).
    pub bot: i64,
    /// The bot's token, as [`WelcomeJob::token`].
    pub token: Result<BotToken, String>,
    /// The chat the request is for (the campaign's).
    pub chat: ChatId,
    /// The person who asked.
    pub user: i64,
    /// Approve or decline.
    pub answer: RequestAnswer,
    /// Which try this is (1 for the first); the claim's fencing token.
    pub attempts: u32,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// The campaign is deleted, or its bot is: the answer is dropped.
    pub cancelled: bool,
}

/// A postback claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackJob {
    /// The outbox item.
    pub id: i64,
    /// The URL, macros filled.
    pub url: String,
    /// Which try this is (1 for the first).
    pub attempts: u32,
    /// When it was queued (with the status change).
    pub created: DateTime<Utc>,
    /// The account it is sent for.
    pub account: i64,
}

/// What a try of a postback leaves on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackOutcome {
    /// Delivered, to retry after a while, or failed.
    pub verdict: Verdict,
    /// The HTTP status, 0 without an answer.
    pub code: u16,
    /// The `error` word, `""` when delivered.
    pub error: &'static str,
    /// A line for the operator.
    pub detail: String,
}

/// Which kind of outbox work a worker waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// Welcome messages.
    Welcome,
    /// Postbacks.
    Postback,
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

    /// Claims due answers to join requests as [`OutboxStore::claim_welcomes`]
    /// claims welcomes (`per_bot` counts answers only), and only an answer
    /// whose lead has no welcome pending: a greeting goes, or fails, before
    /// the answer to its request.
    async fn claim_answers(
        &self,
        per_bot: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<AnswerJob>, StoreError>;

    /// Records how answer `id`, claimed as try `attempt`, ended, as
    /// [`OutboxStore::finish`]; a sent one is counted in its campaign's
    /// day (`approvals` or `declines` of `stats/days.json`) in the same
    /// statement.
    async fn finish_answer(
        &self,
        id: i64,
        attempt: u32,
        outcome: &JobOutcome,
    ) -> Result<(), StoreError>;

    /// Records how item `id`, claimed as try `attempt`, ended (or when to
    /// retry it). MUST change nothing if the item is no longer pending or
    /// was claimed again since (its attempts are not `attempt`): a late
    /// outcome never clears another worker's lease.
    async fn finish(&self, id: i64, attempt: u32, outcome: &JobOutcome) -> Result<(), StoreError>;

    /// Telegram asked bot `bot` to wait: none of its pending welcomes and answers is
    /// due before `wait` has passed, in any instance.
    async fn pause_bot(&self, bot: i64, wait: Duration) -> Result<(), StoreError>;

    /// Claims due postbacks: only a lead's oldest pending one (a lead's
    /// postbacks go out in order), at most `per_target` of one target
    /// (`host:port`) counting those claimed anywhere and not finished, at
    /// most `limit` in all, for `lease` (as [`OutboxStore::claim_welcomes`]),
    /// and of one account at most its room: the room paired with it in
    /// `rooms` (`(account, room)`; 0 claims none of it), or `per_account`
    /// for an account not listed. So a claim never hands an account more
    /// than the caller has room for, however many of its postbacks are due.
    async fn claim_postbacks(
        &self,
        per_target: u32,
        limit: u32,
        lease: Duration,
        per_account: u32,
        rooms: &[(i64, u32)],
    ) -> Result<Vec<PostbackJob>, StoreError>;

    /// Records try `attempt` of postback `id`. MUST change nothing if the
    /// item is no longer pending or was claimed again since (as
    /// [`OutboxStore::finish`]).
    async fn finish_postback(
        &self,
        id: i64,
        attempt: u32,
        outcome: &PostbackOutcome,
    ) -> Result<(), StoreError>;

    /// Waits until new work of `kind` may have been queued (a
    /// notification), or at most `timeout`.
    async fn wait_for_work(&self, kind: OutboxKind, timeout: Duration);
}
