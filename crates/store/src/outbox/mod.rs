//! [`OutboxStore`] on Postgres: claims with `FOR UPDATE SKIP LOCKED` and a
//! lease (the statements in [`claims`]), outcomes and per-bot pauses. Idle
//! workers are woken by the store's listener (`crate::listener`).

mod claims;

use std::time::Duration;

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt};
use diesel_async::RunQueryDsl;
use usher_domain::ports::{
    AnswerJob, JobOutcome, OutboxKind, OutboxStore, PostbackJob, PostbackOutcome, StoreError,
    WelcomeJob,
};
use usher_domain::postbacks::Verdict;

use claims::{CLAIM, CLAIM_ANSWERS, CLAIM_POSTBACKS, Claimed, ClaimedAnswer, ClaimedPostback};

use crate::error::db_err;
use crate::outcome_batch::Outcome;
use crate::pg_store::PgStore;

#[derive(QueryableByName)]
struct Depth {
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    oldest_s: i64,
}

impl PgStore {
    /// Runs a claim statement: `$1` the cap per bot or target, `$2` the most
    /// in all, `$3` the lease in milliseconds.
    async fn claim<R>(
        &self,
        statement: &'static str,
        cap: u32,
        limit: u32,
        lease: Duration,
        per_account: u32,
        rooms: &[(i64, u32)],
    ) -> Result<Vec<R>, StoreError>
    where
        R: QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let mut conn = self.outbox_pool.get().await.map_err(db_err)?;
        sql_query(statement)
            .bind::<BigInt, _>(i64::from(cap))
            .bind::<BigInt, _>(i64::from(limit))
            .bind::<BigInt, _>(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
            .bind::<Array<BigInt>, _>(rooms.iter().map(|r| r.0).collect::<Vec<_>>())
            .bind::<BigInt, _>(i64::from(per_account))
            .bind::<Array<BigInt>, _>(rooms.iter().map(|r| i64::from(r.1)).collect::<Vec<_>>())
            .load(&mut conn)
            .await
            .map_err(db_err)
    }

    /// Records one outcome: through the batching recorder when the outbox
    /// workers' pool has one, else in a statement of its own.
    async fn record_outcome(&self, outcome: Outcome) -> Result<(), StoreError> {
        if let Some(recorder) = &self.recorder {
            return recorder.record(outcome).await;
        }
        let mut conn = self.outbox_pool.get().await.map_err(db_err)?;
        crate::outcome_batch::write(&mut conn, std::slice::from_ref(&outcome))
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Pending outbox items and the age in seconds of the oldest, for the
    /// metrics.
    pub async fn outbox_depth(&self) -> Result<(i64, i64), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let depth: Depth = sql_query(
            "SELECT count(*) AS pending, \
               coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint AS oldest_s \
             FROM (SELECT created_at FROM outbox WHERE state = 'pending' AND kind = 'welcome' \
                   UNION ALL \
                   SELECT created_at FROM outbox WHERE state = 'pending' AND kind = 'postback') AS p",
        )
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok((depth.pending, depth.oldest_s))
    }
}

/// An outcome as the outbox stores it: the state, the error, and the delay
/// in milliseconds before a retry.
fn outcome_columns(outcome: &JobOutcome) -> (&'static str, &str, i64) {
    match outcome {
        JobOutcome::Sent => ("sent", "", 0),
        JobOutcome::Failed(reason) => ("failed", reason.as_str(), 0),
        JobOutcome::Dropped(reason) => ("dropped", reason.as_str(), 0),
        JobOutcome::Retry(wait, reason) => (
            "pending",
            reason.as_str(),
            i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
        ),
    }
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_welcomes(
        &self,
        per_bot: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WelcomeJob>, StoreError> {
        let rows: Vec<Claimed> = self.claim(CLAIM, per_bot, limit, lease, limit, &[]).await?;
        Ok(rows.into_iter().map(|row| row.into_job(self)).collect())
    }

    async fn claim_answers(
        &self,
        per_bot: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<AnswerJob>, StoreError> {
        let rows: Vec<ClaimedAnswer> = self
            .claim(CLAIM_ANSWERS, per_bot, limit, lease, limit, &[])
            .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, attempts) = (row.id(), row.attempts());
            match row.into_job(self) {
                Some(job) => jobs.push(job),
                // Not an answer this build knows: never guessed, never
                // taken again.
                None => {
                    let dropped = JobOutcome::Dropped("unknown answer".into());
                    self.finish_answer(id, attempts, &dropped).await?;
                }
            }
        }
        Ok(jobs)
    }

    /// One statement of its own, committed as usual: the outcome and the
    /// day's count of a sent answer are written together.
    async fn finish_answer(
        &self,
        id: i64,
        attempt: u32,
        outcome: &JobOutcome,
    ) -> Result<(), StoreError> {
        let (state, error, delay_ms) = outcome_columns(outcome);
        let mut conn = self.outbox_pool.get().await.map_err(db_err)?;
        sql_query(
            "WITH done AS ( \
               UPDATE outbox o SET state = $3, last_error = $4, leased_until = NULL, \
                 run_at = CASE WHEN $3 = 'pending' \
                               THEN greatest(o.run_at, now() + $5 * interval '1 millisecond') \
                               ELSE o.run_at END, \
                 done_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END \
               WHERE o.id = $1 AND o.kind = 'answer' AND o.state = 'pending' AND o.attempts = $2 \
               RETURNING o.campaign_id, o.account_id, o.answer, o.state, o.done_at) \
             INSERT INTO stats_days (campaign_id, day, account_id, approvals, declines) \
             SELECT campaign_id, (done_at AT TIME ZONE 'UTC')::date, account_id, \
                    (answer = 1)::int, (answer = 2)::int \
             FROM done WHERE state = 'sent' \
             ON CONFLICT (campaign_id, day) DO UPDATE SET \
               approvals = stats_days.approvals + EXCLUDED.approvals, \
               declines = stats_days.declines + EXCLUDED.declines",
        )
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Integer, _>(i32::try_from(attempt).unwrap_or(i32::MAX))
        .bind::<diesel::sql_types::Text, _>(state)
        .bind::<diesel::sql_types::Text, _>(error)
        .bind::<BigInt, _>(delay_ms)
        .execute(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Written with the other outcomes of the moment, in one statement
    /// committed without waiting for its WAL flush (see
    /// `outcome_batch::write` for the crash window that leaves).
    async fn finish(&self, id: i64, attempt: u32, outcome: &JobOutcome) -> Result<(), StoreError> {
        let (state, error, delay_ms) = outcome_columns(outcome);
        self.record_outcome(Outcome {
            id,
            attempt: i32::try_from(attempt).unwrap_or(i32::MAX),
            state,
            error: error.to_owned(),
            delay_ms,
            http_code: None,
            error_kind: None,
        })
        .await
    }

    /// Welcomes and answers alike: both count against the bot's rate.
    async fn pause_bot(&self, bot: i64, wait: Duration) -> Result<(), StoreError> {
        let mut conn = self.outbox_pool.get().await.map_err(db_err)?;
        let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        // One statement per kind, each matching its kind's partial index.
        for statement in [
            "UPDATE outbox SET run_at = greatest(run_at, now() + $2 * interval '1 millisecond') \
             WHERE bot_id = $1 AND state = 'pending' AND kind = 'welcome'",
            "UPDATE outbox SET run_at = greatest(run_at, now() + $2 * interval '1 millisecond') \
             WHERE bot_id = $1 AND state = 'pending' AND kind = 'answer' AND leased_until IS NULL",
        ] {
            sql_query(statement)
                .bind::<BigInt, _>(bot)
                .bind::<BigInt, _>(wait_ms)
                .execute(&mut conn)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    async fn claim_postbacks(
        &self,
        per_target: u32,
        limit: u32,
        lease: Duration,
        per_account: u32,
        rooms: &[(i64, u32)],
    ) -> Result<Vec<PostbackJob>, StoreError> {
        let rows: Vec<ClaimedPostback> = self
            .claim(
                CLAIM_POSTBACKS,
                per_target,
                limit,
                lease,
                per_account,
                rooms,
            )
            .await?;
        Ok(rows.into_iter().map(ClaimedPostback::into_job).collect())
    }

    /// Written with the other outcomes of the moment, as [`Self::finish`].
    async fn finish_postback(
        &self,
        id: i64,
        attempt: u32,
        outcome: &PostbackOutcome,
    ) -> Result<(), StoreError> {
        let (state, delay_ms) = match outcome.verdict {
            Verdict::Delivered => ("sent", 0),
            Verdict::Failed => ("failed", 0),
            Verdict::Retry(wait) => (
                "pending",
                i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            ),
        };
        self.record_outcome(Outcome {
            id,
            attempt: i32::try_from(attempt).unwrap_or(i32::MAX),
            state,
            error: outcome.detail.clone(),
            delay_ms,
            http_code: Some(i32::from(outcome.code)),
            error_kind: Some(outcome.error),
        })
        .await
    }

    async fn wait_for_work(&self, kind: OutboxKind, timeout: Duration) {
        let wake = match kind {
            OutboxKind::Welcome => &self.outbox_wake.welcome,
            OutboxKind::Postback => &self.outbox_wake.postback,
        };
        let _ = tokio::time::timeout(timeout, wake.notified()).await;
    }
}
