//! [`OutboxStore`] on Postgres: claims with `FOR UPDATE SKIP LOCKED` and a
//! lease, outcomes, per-bot pauses, and `LISTEN usher_outbox` to wake idle
//! workers when an intake transaction queues work.

use std::sync::Arc;
use std::time::Duration;

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use tokio::sync::Notify;
use tracing::warn;
use usher_domain::TgBotId;
use usher_domain::ports::{
    JobOutcome, OutboxKind, OutboxStore, PostbackJob, PostbackOutcome, StoreError, WelcomeJob,
};
use usher_domain::postbacks::Verdict;
use usher_domain::subscribers::{LeadStatus, WelcomeParts};

use crate::key_cache::{ACCOUNTS_CHANNEL, KeyCache};
use crate::subscriber_intake::OUTBOX_CHANNEL;
use crate::{PgStore, db_err};

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    bot_id: i64,
    #[diesel(sql_type = BigInt)]
    tg: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    token_enc: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    recipient: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    cancelled: bool,
    #[diesel(sql_type = Text)]
    welcome: String,
    #[diesel(sql_type = Text)]
    button_text: String,
    #[diesel(sql_type = Text)]
    button_url: String,
    #[diesel(sql_type = Text)]
    chat_title: String,
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    lead_id: i64,
    #[diesel(sql_type = Text)]
    click: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    updated: Option<DateTime<Utc>>,
}

/// One pass over the pending welcomes: each bot's items leased anywhere
/// rank first, so a due item's rank counts them too, and `rn <= $1` keeps
/// the bot within its cap. No join: with a young table's row estimates (1
/// where 30,000 welcomes were pending) the planner ran the join of the due
/// items with a per-bot count as a nested loop, 1.2 million comparisons and
/// over a second a claim.
const CLAIM: &str = "\
WITH ranked AS (
    SELECT id, coalesce(leased_until > now(), false) AS leased,
           row_number() OVER (PARTITION BY bot_id
                              ORDER BY coalesce(leased_until > now(), false) DESC, run_at, id) AS rn
    FROM outbox
    WHERE state = 'pending' AND kind = 'welcome' AND (leased_until > now() OR run_at <= now())
), chosen AS (
    SELECT id FROM ranked WHERE NOT leased AND rn <= $1
    ORDER BY rn, id LIMIT $2
), locked AS (
    SELECT id FROM outbox
    WHERE id IN (SELECT id FROM chosen) AND state = 'pending'
      AND (leased_until IS NULL OR leased_until <= now())
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o
SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
FROM locked, leads l, campaigns c, bots b
WHERE o.id = locked.id AND l.id = o.lead_id AND c.id = o.campaign_id AND b.id = o.bot_id
RETURNING o.id, o.bot_id, b.tg, b.token_enc, o.recipient, o.attempts, o.created_at,
    (c.status = 2 OR b.deleted_at IS NOT NULL) AS cancelled,
    c.welcome, c.button_text, c.button_url, c.chat_title, c.chat_id, c.code, o.account_id,
    o.lead_id, l.click, l.name, l.username, l.status, l.updated";

impl Claimed {
    fn into_job(self, store: &PgStore) -> Result<WelcomeJob, StoreError> {
        let token = store
            .cipher
            .decrypt(TgBotId(self.tg), &self.token_enc)
            .map_err(db_err)?;
        let first_name = self.name.split(' ').next().unwrap_or_default().to_owned();
        let status = LeadStatus::from_code(i64::from(self.status)).unwrap_or(LeadStatus::Wait);
        Ok(WelcomeJob {
            id: self.id,
            bot: self.bot_id,
            token,
            recipient: self.recipient,
            attempts: u32::try_from(self.attempts).unwrap_or(1),
            created: self.created_at,
            cancelled: self.cancelled,
            parts: WelcomeParts {
                template: self.welcome,
                button_text: self.button_text,
                button_url: self.button_url,
                first_name,
                title: self.chat_title,
                code: self.code,
                click: self.click,
                account: self.account_id,
                lead: self.lead_id,
                subscriber: self.recipient,
                username: self.username,
                chat: self.chat_id,
                status,
                time: self.updated.unwrap_or(self.created_at).timestamp(),
            },
        })
    }
}

#[derive(QueryableByName)]
struct ClaimedPostback {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// Due postbacks, each the oldest pending one of its lead, at most `$1` of
/// one target counting those leased anywhere, `$2` in all, in two passes
/// over the pending postbacks and no join. "Oldest of its lead" is a window
/// (in the order of `outbox_pending_postbacks_by_lead`), not a correlated
/// NOT EXISTS: with the statistics of a young table (a backlog grown from
/// nothing faster than autovacuum analyzes) the planner ran that as a nested
/// loop over every pending postback for each one, 30 s a claim at 30,000
/// pending. Leased postbacks rank first within their target, so the cap
/// needs no per-target count joined in (see `CLAIM`).
const CLAIM_POSTBACKS: &str = "\
WITH pending AS (
    SELECT id, target, run_at, coalesce(leased_until > now(), false) AS leased,
           row_number() OVER (PARTITION BY lead_id ORDER BY id) AS of_lead
    FROM outbox
    WHERE state = 'pending' AND kind = 'postback'
), ranked AS (
    SELECT id, leased, row_number() OVER (PARTITION BY target ORDER BY leased DESC, run_at, id) AS rn
    FROM pending
    WHERE leased OR (of_lead = 1 AND run_at <= now())
), chosen AS (
    SELECT id FROM ranked WHERE NOT leased AND rn <= $1
    ORDER BY rn, id LIMIT $2
), locked AS (
    SELECT id FROM outbox
    WHERE id IN (SELECT id FROM chosen) AND state = 'pending'
      AND (leased_until IS NULL OR leased_until <= now())
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o
SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
FROM locked
WHERE o.id = locked.id
RETURNING o.id, o.url, o.attempts, o.created_at";

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
    ) -> Result<Vec<R>, StoreError>
    where
        R: QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        sql_query(statement)
            .bind::<BigInt, _>(i64::from(cap))
            .bind::<BigInt, _>(i64::from(limit))
            .bind::<BigInt, _>(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
            .load(&mut conn)
            .await
            .map_err(db_err)
    }

    /// Pending outbox items and the age in seconds of the oldest, for the
    /// metrics.
    pub async fn outbox_depth(&self) -> Result<(i64, i64), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let depth: Depth = sql_query(
            "SELECT count(*) AS pending, \
               coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint AS oldest_s \
             FROM outbox WHERE state = 'pending'",
        )
        .get_result(&mut conn)
        .await
        .map_err(db_err)?;
        Ok((depth.pending, depth.oldest_s))
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
        let rows: Vec<Claimed> = self.claim(CLAIM, per_bot, limit, lease).await?;
        rows.into_iter().map(|row| row.into_job(self)).collect()
    }

    /// The record commits without waiting for its WAL flush
    /// (`synchronous_commit` off for this statement's transaction only): a
    /// thousand records a second each waiting for an fsync of its own held
    /// the pool's connections and stalled intake and the API in the mixed
    /// benchmark. A crash can lose a record from the last moment (at most
    /// three `wal_writer_delay`s, 0.6 s by default); that item is then sent
    /// again, which is the crash window this record already had (a crash
    /// between the send and the record). The change that queued the item is
    /// committed synchronously, so nothing is lost.
    async fn finish(&self, id: i64, outcome: &JobOutcome) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let (state, error, delay_ms) = match outcome {
            JobOutcome::Sent => ("sent", "", 0),
            JobOutcome::Failed(reason) => ("failed", reason.as_str(), 0),
            JobOutcome::Dropped(reason) => ("dropped", reason.as_str(), 0),
            JobOutcome::Retry(wait, reason) => (
                "pending",
                reason.as_str(),
                i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            ),
        };
        sql_query(
            "UPDATE outbox SET state = $2, last_error = $3, leased_until = NULL, \
               run_at = CASE WHEN $2 = 'pending' THEN greatest(run_at, now() + $4 * interval '1 millisecond') ELSE run_at END, \
               done_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END \
             FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(state)
        .bind::<Text, _>(error)
        .bind::<BigInt, _>(delay_ms)
        .execute(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn pause_bot(&self, bot: i64, wait: Duration) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        sql_query(
            "UPDATE outbox SET run_at = greatest(run_at, now() + $2 * interval '1 millisecond') \
             WHERE bot_id = $1 AND state = 'pending' AND kind = 'welcome'",
        )
        .bind::<BigInt, _>(bot)
        .bind::<BigInt, _>(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
        .execute(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn claim_postbacks(
        &self,
        per_target: u32,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<PostbackJob>, StoreError> {
        let rows: Vec<ClaimedPostback> = self
            .claim(CLAIM_POSTBACKS, per_target, limit, lease)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| PostbackJob {
                id: row.id,
                url: row.url,
                attempts: u32::try_from(row.attempts).unwrap_or(1),
                created: row.created_at,
            })
            .collect())
    }

    /// Committed without waiting for its WAL flush, as [`Self::finish`].
    async fn finish_postback(&self, id: i64, outcome: &PostbackOutcome) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(db_err)?;
        let (state, delay_ms) = match outcome.verdict {
            Verdict::Delivered => ("sent", 0),
            Verdict::Failed => ("failed", 0),
            Verdict::Retry(wait) => (
                "pending",
                i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            ),
        };
        sql_query(
            "UPDATE outbox SET state = $2, http_code = $3, error_kind = $4, last_error = $5, \
               leased_until = NULL, \
               run_at = CASE WHEN $2 = 'pending' THEN now() + $6 * interval '1 millisecond' ELSE run_at END, \
               done_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END \
             FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(state)
        .bind::<Integer, _>(i32::from(outcome.code))
        .bind::<Text, _>(outcome.error)
        .bind::<Text, _>(&outcome.detail)
        .bind::<BigInt, _>(delay_ms)
        .execute(&mut conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn wait_for_work(&self, kind: OutboxKind, timeout: Duration) {
        let wake = match kind {
            OutboxKind::Welcome => &self.outbox_wake.welcome,
            OutboxKind::Postback => &self.outbox_wake.postback,
        };
        let _ = tokio::time::timeout(timeout, wake.notified()).await;
    }
}

/// What wakes idle outbox workers, one per kind of work.
#[derive(Default)]
pub(crate) struct OutboxWake {
    welcome: Notify,
    postback: Notify,
}

impl OutboxWake {
    /// Wakes a worker of each kind (or the next one to wait).
    fn notify_all(&self) {
        self.welcome.notify_one();
        self.postback.notify_one();
    }
}

/// Keeps a connection that `LISTEN`s on the outbox and accounts channels:
/// wakes `wake` on each outbox notification and evicts an account from
/// `keys` on each key change; reconnects when the connection is lost, and
/// keeps `keys` bypassed while it is not listening.
pub(crate) async fn listen(url: String, wake: Arc<OutboxWake>, keys: Arc<KeyCache>) {
    loop {
        match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let (notified, evicted) = (wake.clone(), keys.clone());
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(n))
                                if n.channel() == ACCOUNTS_CHANNEL =>
                            {
                                evicted.notified(n.payload());
                            }
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                notified.notify_all();
                            }
                            Ok(_) => {}
                            Err(err) => {
                                warn!(error = %err, "outbox listener lost its connection");
                                break;
                            }
                        }
                    }
                    // Key changes may be missed from here on.
                    evicted.set_listening(false);
                });
                match client
                    .batch_execute(&format!(
                        "LISTEN {OUTBOX_CHANNEL}; LISTEN {ACCOUNTS_CHANNEL}"
                    ))
                    .await
                {
                    Ok(()) => {
                        keys.set_listening(true);
                        // Work queued while no one listened is found now.
                        wake.notify_all();
                        let _ = driver.await;
                    }
                    Err(err) => {
                        warn!(error = %err, "outbox LISTEN failed");
                        driver.abort();
                    }
                }
                keys.set_listening(false);
            }
            Err(err) => warn!(error = %err, "outbox listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
