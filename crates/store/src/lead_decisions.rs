//! [`LeadDecisionStore`] on Postgres: a customer's answer to a held lead's
//! join request, checked and queued in one transaction with the lead
//! locked, so two racing calls queue one answer.

use async_trait::async_trait;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, SmallInt, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use usher_domain::AccountId;
use usher_domain::ports::{LeadDecision, LeadDecisionStore, StoreError};
use usher_domain::subscribers::join_requests::{DecideRefusal, RequestAnswer};

use crate::cached_sql::sql_query;
use crate::error::db_err;
use crate::intake::subscribers::OUTBOX_CHANNEL;
use crate::pg_store::PgStore;

#[derive(QueryableByName)]
struct LeadState {
    #[diesel(sql_type = Bool)]
    held: bool,
    #[diesel(sql_type = Bool)]
    deciding: bool,
}

#[async_trait]
impl LeadDecisionStore for PgStore {
    async fn decide_lead(
        &self,
        account: AccountId,
        lead: i64,
        answer: RequestAnswer,
        rule: fn(bool, bool) -> Result<(), DecideRefusal>,
    ) -> Result<LeadDecision, StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let state: Option<LeadState> = sql_query(
                    "SELECT l.status = 1 AS held, \
                       EXISTS (SELECT 1 FROM outbox p WHERE p.lead_id = l.id \
                                 AND p.state = 'pending' AND p.kind = 'answer') AS deciding \
                     FROM leads l WHERE l.id = $1 AND l.account_id = $2 FOR UPDATE OF l",
                )
                .bind::<BigInt, _>(lead)
                .bind::<BigInt, _>(account.0)
                .get_result(conn)
                .await
                .map(Some)
                .or_else(|e| match e {
                    diesel::result::Error::NotFound => Ok(None),
                    e => Err(e),
                })?;
                let Some(state) = state else {
                    return Ok(LeadDecision::Unknown);
                };
                if let Err(why) = rule(state.held, state.deciding) {
                    return Ok(LeadDecision::Refused(why));
                }
                sql_query(
                    "WITH queued AS (INSERT INTO outbox (kind, account_id, bot_id, campaign_id, lead_id, \
                         recipient, answer) \
                       SELECT 'answer', l.account_id, c.bot_id, l.campaign_id, l.id, l.subscriber, $2 \
                       FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1 \
                       RETURNING 1) \
                     SELECT pg_notify($3, '') FROM queued",
                )
                .bind::<BigInt, _>(lead)
                .bind::<SmallInt, _>(answer.code())
                .bind::<Text, _>(OUTBOX_CHANNEL)
                .execute(conn)
                .await?;
                Ok(LeadDecision::Queued)
        })
        .await
        .map_err(db_err)
    }
}
