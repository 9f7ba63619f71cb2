//! `leads/approve.json` and `leads/decline.json`: a customer answers a held
//! lead's join request from the API, through the outbox like every answer.

use std::sync::Arc;

use crate::AccountId;
use crate::ports::{LeadDecision, LeadDecisionStore, StoreError};
use crate::subscribers::join_requests::{DecideRefusal, RequestAnswer, may_decide};

/// Why a request could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// `id`: missing, not a positive integer, unknown, or another
    /// account's lead.
    #[error("unknown lead")]
    Unknown,
    /// The lead is not held, or an answer to its request is queued already.
    #[error(transparent)]
    Refused(#[from] DecideRefusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Answers to held leads' join requests, queued for the answer sender.
#[derive(Clone)]
pub struct LeadDecisionService {
    store: Arc<dyn LeadDecisionStore>,
}

impl LeadDecisionService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn LeadDecisionStore>) -> Self {
        Self { store }
    }

    /// Queues `answer` to the join request of lead `id` of `account`, when
    /// [`may_decide`] allows it. Telegram's answer comes later: an approval
    /// makes the lead approve when the join arrives (rule 3); a request
    /// Telegram no longer has fails the answer with Telegram's reason.
    pub async fn decide(
        &self,
        account: AccountId,
        id: Option<i64>,
        answer: RequestAnswer,
    ) -> Result<(), DecideError> {
        let id = id.filter(|id| *id > 0).ok_or(DecideError::Unknown)?;
        match self
            .store
            .decide_lead(account, id, answer, may_decide)
            .await?
        {
            LeadDecision::Queued => Ok(()),
            LeadDecision::Unknown => Err(DecideError::Unknown),
            LeadDecision::Refused(why) => Err(why.into()),
        }
    }
}
