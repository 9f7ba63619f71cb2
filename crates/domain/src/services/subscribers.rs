//! Reading leads, the journal and stats, with the parameter rules of
//! `subscribers.md` (checked in the documented order).

use std::sync::Arc;

use crate::AccountId;
use crate::ports::{JournalFilter, LeadFilter, PostbackFilter, StoreError, SubscriberReads};
use crate::services::Given;
use crate::subscribers::LeadStatus;
use crate::subscribers::views::{
    DayView, JournalView, LeadDetailView, LeadView, POSTBACK_STATES, Page, PostbackView,
    QueryError, seconds, stats_range, window,
};

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A parameter is wrong.
    #[error("bad parameter: {0:?}")]
    Bad(QueryError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<QueryError> for ReadError {
    fn from(err: QueryError) -> Self {
        ReadError::Bad(err)
    }
}

/// The journal's actions.
pub const ACTIONS: [&str; 6] = ["join", "leave", "kick", "request", "start", "block"];

/// The parameters of `journal/list.json`, as given.
#[derive(Debug, Clone, Copy)]
pub struct JournalQuery<'a> {
    /// `bot`.
    pub bot: Given<i64>,
    /// `chat`.
    pub chat: Given<i64>,
    /// `action`.
    pub action: Given<&'a str>,
    /// `paid`.
    pub paid: Given<i64>,
    /// `from`.
    pub from: Given<i64>,
    /// `to`.
    pub to: Given<i64>,
    /// `limit`.
    pub limit: Given<i64>,
    /// `offset`.
    pub offset: Given<i64>,
}

/// The parameters of `leads/list.json`, as given.
#[derive(Debug, Clone, Copy)]
pub struct LeadQuery {
    /// `campaign`.
    pub campaign: Given<i64>,
    /// `status`.
    pub status: Given<i64>,
    /// `from`.
    pub from: Given<i64>,
    /// `to`.
    pub to: Given<i64>,
    /// `limit`.
    pub limit: Given<i64>,
    /// `offset`.
    pub offset: Given<i64>,
}

/// The parameters of `postbacks/list.json`, as given.
#[derive(Debug, Clone, Copy)]
pub struct PostbackQuery<'a> {
    /// `campaign`.
    pub campaign: Given<i64>,
    /// `lead`.
    pub lead: Given<i64>,
    /// `state`.
    pub state: Given<&'a str>,
    /// `limit`.
    pub limit: Given<i64>,
    /// `offset`.
    pub offset: Given<i64>,
}

/// Leads, the journal and stats of an account.
#[derive(Clone)]
pub struct SubscriberService {
    reads: Arc<dyn SubscriberReads>,
}

impl SubscriberService {
    /// A service over `reads`.
    pub fn new(reads: Arc<dyn SubscriberReads>) -> Self {
        Self { reads }
    }

    async fn campaign(
        &self,
        account: AccountId,
        given: Given<i64>,
    ) -> Result<Option<i64>, ReadError> {
        match given {
            Given::Absent => Ok(None),
            Given::Value(id) if id > 0 && self.reads.owns_campaign(account, id).await? => {
                Ok(Some(id))
            }
            _ => Err(QueryError::Owner.into()),
        }
    }

    /// `leads/list.json`.
    pub async fn leads(
        &self,
        account: AccountId,
        q: LeadQuery,
    ) -> Result<Page<LeadView>, ReadError> {
        let campaign = match q.campaign {
            Given::Absent => None,
            Given::Value(id) if id > 0 => Some(id),
            _ => return Err(QueryError::Owner.into()),
        };
        let rest = (|| {
            let status = match q.status {
                Given::Absent => None,
                Given::Value(code) => Some(LeadStatus::from_code(code).ok_or(QueryError::Kind)?),
                Given::Invalid => return Err(QueryError::Kind),
            };
            let from = seconds(q.from, QueryError::From)?;
            let to = seconds(q.to, QueryError::To)?;
            Ok((status, from, to, window(q.limit, q.offset)?))
        })();
        let (status, from, to, window) = match rest {
            Ok(checked) => checked,
            Err(later) => {
                // `campaign` is checked first: an unknown one wins over a
                // later bad parameter. Only this error path asks separately.
                if let Some(id) = campaign
                    && !self.reads.owns_campaign(account, id).await?
                {
                    return Err(QueryError::Owner.into());
                }
                return Err(later.into());
            }
        };
        let filter = LeadFilter {
            campaign,
            status,
            from,
            to,
            window,
        };
        self.reads
            .list_leads(account, &filter)
            .await?
            .ok_or(QueryError::Owner.into())
    }

    /// `leads/get.json`: `None` for a missing, malformed, unknown or another
    /// account's id.
    pub async fn lead(
        &self,
        account: AccountId,
        id: Option<i64>,
    ) -> Result<Option<LeadDetailView>, StoreError> {
        match id {
            Some(id) if id > 0 => self.reads.get_lead(account, id).await,
            _ => Ok(None),
        }
    }

    /// `postbacks/list.json`: parameters checked in order (`campaign`,
    /// `lead`, `state`, `limit`, `offset`).
    pub async fn postbacks(
        &self,
        account: AccountId,
        q: PostbackQuery<'_>,
    ) -> Result<Page<PostbackView>, ReadError> {
        let campaign = self.campaign(account, q.campaign).await?;
        let lead = match q.lead {
            Given::Absent => None,
            Given::Value(id) if id > 0 && self.reads.owns_lead(account, id).await? => Some(id),
            _ => return Err(QueryError::Lead.into()),
        };
        let state = match q.state {
            Given::Absent => None,
            Given::Value(s) if POSTBACK_STATES.contains(&s) => Some(s.to_owned()),
            _ => return Err(QueryError::Kind.into()),
        };
        let window = window(q.limit, q.offset)?;
        let filter = PostbackFilter {
            campaign,
            lead,
            state,
            window,
        };
        Ok(self.reads.list_postbacks(account, &filter).await?)
    }

    /// `journal/list.json`.
    pub async fn journal(
        &self,
        account: AccountId,
        q: JournalQuery<'_>,
    ) -> Result<Page<JournalView>, ReadError> {
        let bot = match q.bot {
            Given::Absent => None,
            Given::Value(id) if id > 0 && self.reads.owns_bot(account, id).await? => Some(id),
            _ => return Err(QueryError::Owner.into()),
        };
        let chat = match q.chat {
            Given::Absent => None,
            Given::Value(id) if id != 0 => Some(id),
            _ => return Err(QueryError::Chat.into()),
        };
        let action = match q.action {
            Given::Absent => None,
            Given::Value(a) if ACTIONS.contains(&a) => Some(a.to_owned()),
            _ => return Err(QueryError::Kind.into()),
        };
        let paid = match q.paid {
            Given::Absent => None,
            Given::Value(0) => Some(false),
            Given::Value(1) => Some(true),
            _ => return Err(QueryError::Paid.into()),
        };
        let from = seconds(q.from, QueryError::From)?;
        let to = seconds(q.to, QueryError::To)?;
        let window = window(q.limit, q.offset)?;
        let filter = JournalFilter {
            bot,
            chat,
            action,
            paid,
            from,
            to,
            window,
        };
        Ok(self.reads.list_journal(account, &filter).await?)
    }

    /// `stats/days.json`.
    pub async fn days(
        &self,
        account: AccountId,
        campaign: Given<i64>,
        from: Given<i64>,
        to: Given<i64>,
        now: i64,
    ) -> Result<Vec<DayView>, ReadError> {
        let campaign = self.campaign(account, campaign).await?;
        let (from, to) = stats_range(from, to, now)?;
        Ok(self.reads.stats_days(account, campaign, from, to).await?)
    }
}
