//! [`OutboxStore`] on Postgres: claims with `FOR UPDATE SKIP LOCKED` and a
//! lease, outcomes, per-bot pauses, and `LISTEN usher_outbox` to wake idle
//! workers when an intake transaction queues work.

use std::time::Duration;

use crate::cached_sql::sql_query;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use usher_domain::TgBotId;
use usher_domain::ports::{
    JobOutcome, OutboxKind, OutboxStore, PostbackJob, PostbackOutcome, StoreError, WelcomeJob,
};
use usher_domain::postbacks::Verdict;
use usher_domain::subscribers::{LeadStatus, WelcomeParts};

use crate::error::db_err;
use crate::outcome_batch::Outcome;
use crate::pg_store::PgStore;

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

/// A claim of the heads of one kind's queues, keyed by `$key` (`bot_id` or
/// `target`), written once for both kinds. The keys with work are found by
/// skipping through the kind's partial index of unleased pending items one
/// key at a time (a recursive scan, a probe per key), plus the keys holding
/// only expired leases; for each, its leased items and at most `$1` of its
/// due unleased ones (each also passing `$head`), oldest first. Leased items
/// rank first within their key, so `rn <= $1` keeps the key within its cap
/// counting what is in flight anywhere; at most `$2` in all are locked
/// (`SKIP LOCKED`) and handed to `$then`, the statement that leases them
/// for `$3` milliseconds and returns what the sender needs. Of one account
/// at most its room is chosen: the room paired with it in `$4` / `$6`
/// (accounts / rooms), or `$5` for an account not listed (the sender's
/// share per account, less what it has in flight). The literals
/// repeat the partial indexes' predicates word for word, which is how
/// PostgreSQL matches a statement to a partial index.
// Kept as written: rustfmt would put every piece of the statement on a
// line of its own.
#[rustfmt::skip]
macro_rules! claim_heads {
    (key: $key:literal, kind: $kind:literal, head: $head:literal, then: $then:literal $(,)?) => {
        concat!("\
WITH RECURSIVE queued(", $key, ") AS (
    (SELECT ", $key, " FROM outbox
     WHERE state = 'pending' AND kind = '", $kind, "' AND leased_until IS NULL
     ORDER BY ", $key, " LIMIT 1)
    UNION ALL
    SELECT (SELECT o.", $key, " FROM outbox o
            WHERE o.state = 'pending' AND o.kind = '", $kind, "' AND o.leased_until IS NULL
              AND o.", $key, " > q.", $key, "
            ORDER BY o.", $key, " LIMIT 1)
    FROM queued q WHERE q.", $key, " IS NOT NULL
), with_work AS (
    SELECT ", $key, " FROM queued WHERE ", $key, " IS NOT NULL
    UNION
    SELECT ", $key, " FROM outbox
    WHERE state = 'pending' AND kind = '", $kind, "' AND leased_until IS NOT NULL
      AND leased_until <= now()
), heads AS (
    SELECT h.id, h.live, h.run_at, h.account_id,
           row_number() OVER (PARTITION BY w.", $key, " ORDER BY h.live DESC, h.run_at, h.id) AS rn
    FROM with_work w CROSS JOIN LATERAL (
        (SELECT id, leased_until > now() AS live, run_at, account_id FROM outbox
         WHERE ", $key, " = w.", $key, " AND state = 'pending' AND kind = '", $kind, "'
           AND leased_until IS NOT NULL)
        UNION ALL
        (SELECT o.id, false, o.run_at, o.account_id FROM outbox o
         WHERE o.", $key, " = w.", $key, " AND o.state = 'pending' AND o.kind = '", $kind, "'
           AND o.leased_until IS NULL AND o.run_at <= now()", $head, "
         ORDER BY o.run_at, o.id LIMIT $1)
    ) h
), chosen AS (
    SELECT id FROM (
        SELECT h.id, h.rn, coalesce(f.room, $5) AS room,
               row_number() OVER (PARTITION BY h.account_id ORDER BY h.rn, h.id) AS nth
        FROM heads h LEFT JOIN unnest($4::bigint[], $6::bigint[]) AS f(account, room)
          ON f.account = h.account_id
        WHERE NOT h.live AND h.run_at <= now() AND h.rn <= $1
    ) ranked
    WHERE nth <= room
    ORDER BY rn, id LIMIT $2
), locked AS (
    SELECT id FROM outbox
    WHERE id = ANY(ARRAY(SELECT id FROM chosen)) AND state = 'pending'
      AND (leased_until IS NULL OR leased_until <= now())
    FOR UPDATE SKIP LOCKED
)
", $then)
    };
}

/// The heads of the bots' welcome queues (see `claim_heads`), leased, with
/// everything the welcome needs: its campaign's texts, its lead, its bot's
/// token. A claim reads a few index entries per bot however long the queues
/// are; ranking every pending welcome took over a second a claim at 30,000
/// pending.
const CLAIM: &str = claim_heads!(
    key: "bot_id",
    kind: "welcome",
    head: "",
    then: "UPDATE outbox o
SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
FROM locked, leads l, campaigns c, bots b
WHERE o.id = locked.id AND l.id = o.lead_id AND c.id = o.campaign_id AND b.id = o.bot_id
RETURNING o.id, o.bot_id, b.tg, b.token_enc, o.recipient, o.attempts, o.created_at,
    (c.status = 2 OR b.deleted_at IS NOT NULL) AS cancelled,
    c.welcome, c.button_text, c.button_url, c.chat_title, c.chat_id, c.code, o.account_id,
    o.lead_id, l.click, l.name, l.username, l.status, l.updated",
);

impl Claimed {
    /// The job of this row. A token that does not decrypt fails this job
    /// alone, never the claim: one bad row must not stall every bot.
    fn into_job(self, store: &PgStore) -> WelcomeJob {
        let token = store
            .cipher
            .decrypt(TgBotId(self.tg), &self.token_enc)
            .map_err(|_| {
                "the bot's stored token cannot be decrypted with this instance's \
                 secrets.token_key"
                    .to_owned()
            });
        let first_name = self.name.split(' ').next().unwrap_or_default().to_owned();
        let status = LeadStatus::from_code(i64::from(self.status)).unwrap_or(LeadStatus::Wait);
        WelcomeJob {
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
        }
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
    #[diesel(sql_type = BigInt)]
    account_id: i64,
}

/// Due postbacks, each the oldest pending one of its lead, at most `$1` of
/// one target counting those leased anywhere, `$2` in all: the heads of the
/// targets' queues (see `claim_heads`). "Oldest of its lead" is a
/// correlated `min`, a probe of `outbox_pending_postbacks_by_lead` per
/// candidate that no estimate can turn into a join (as `NOT EXISTS` was,
/// with a young table's estimates: a scan of every pending postback per
/// candidate). So a claim reads only the head of each queue (and, behind a
/// tracker whose leads wait on retries, the due postbacks those leads hold
/// back).
const CLAIM_POSTBACKS: &str = claim_heads!(
    key: "target",
    kind: "postback",
    head: "
           AND o.id = (SELECT min(p.id) FROM outbox p
                       WHERE p.lead_id = o.lead_id AND p.state = 'pending'
                         AND p.kind = 'postback')",
    then: "UPDATE outbox o
SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
FROM locked
WHERE o.id = locked.id
RETURNING o.id, o.url, o.attempts, o.created_at, o.account_id",
);

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

    /// Written with the other outcomes of the moment, in one statement
    /// committed without waiting for its WAL flush (see
    /// `outcome_batch::write` for the crash window that leaves).
    async fn finish(&self, id: i64, attempt: u32, outcome: &JobOutcome) -> Result<(), StoreError> {
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

    async fn pause_bot(&self, bot: i64, wait: Duration) -> Result<(), StoreError> {
        let mut conn = self.outbox_pool.get().await.map_err(db_err)?;
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
        Ok(rows
            .into_iter()
            .map(|row| PostbackJob {
                id: row.id,
                url: row.url,
                attempts: u32::try_from(row.attempts).unwrap_or(1),
                created: row.created_at,
                account: row.account_id,
            })
            .collect())
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

#[cfg(test)]
mod tests {
    use super::{CLAIM, CLAIM_POSTBACKS};

    /// Each claim reads its own kind's queues only, keyed by its own column,
    /// and the postback claim alone holds a lead's later postbacks back.
    #[test]
    fn each_claim_is_the_template_filled_with_its_own_kind_and_key() {
        // Five reads of the queues; the postback claim adds its lead probe.
        assert_eq!(CLAIM.matches("kind = 'welcome'").count(), 5);
        assert!(!CLAIM.contains("postback") && !CLAIM.contains("target"));
        assert!(!CLAIM.contains("min(p.id)"));
        assert_eq!(CLAIM_POSTBACKS.matches("kind = 'postback'").count(), 6);
        assert!(!CLAIM_POSTBACKS.contains("welcome") && !CLAIM_POSTBACKS.contains("bot_id"));
        assert!(CLAIM_POSTBACKS.contains("o.id = (SELECT min(p.id) FROM outbox p"));
        for claim in [CLAIM, CLAIM_POSTBACKS] {
            assert_eq!(claim.matches("FOR UPDATE SKIP LOCKED").count(), 1);
        }
        assert!(CLAIM.ends_with("l.status, l.updated"));
        assert!(CLAIM_POSTBACKS.ends_with("o.attempts, o.created_at, o.account_id"));
    }
}
