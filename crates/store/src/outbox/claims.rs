//! The outbox's two claim statements, written once as a template
//! (`claim_heads!`), and the rows they return turned into jobs.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text, Timestamptz};
use usher_domain::ports::{AnswerJob, PostbackJob, WelcomeJob};
use usher_domain::subscribers::join_requests::RequestAnswer;
use usher_domain::subscribers::{LeadStatus, WelcomeParts};
use usher_domain::{BotToken, ChatId, TgBotId};

use crate::pg_store::PgStore;

#[derive(QueryableByName)]
pub(super) struct Claimed {
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
    #[diesel(sql_type = Nullable<Timestamptz>)]
    requested_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    decided: bool,
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
pub(super) const CLAIM: &str = claim_heads!(
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
    o.lead_id, l.click, l.name, l.username, l.status, l.updated, o.requested_at,
    l.status <> 1 AS decided",
);

/// The heads of the bots' queues of answers to join requests (see
/// `claim_heads`), leased, with the chat, the requester and the bot's
/// token. An answer whose lead still has a welcome pending waits for it:
/// the greeting of `after_welcome` goes, or fails, before the approval,
/// and the probe reads the few outbox rows of one lead (`outbox_by_lead`).
pub(super) const CLAIM_ANSWERS: &str = claim_heads!(
    key: "bot_id",
    kind: "answer",
    head: "
           AND NOT EXISTS (SELECT 1 FROM outbox w
                           WHERE w.lead_id = o.lead_id AND w.state = 'pending'
                             AND w.kind = 'welcome')",
    then: "UPDATE outbox o
SET leased_until = now() + $3 * interval '1 millisecond', attempts = o.attempts + 1
FROM locked, leads l, campaigns c, bots b
WHERE o.id = locked.id AND l.id = o.lead_id AND c.id = o.campaign_id AND b.id = o.bot_id
RETURNING o.id, o.bot_id, b.tg, b.token_enc, l.subscriber AS recipient, o.attempts, o.created_at,
    (c.status = 2 OR b.deleted_at IS NOT NULL) AS cancelled, c.chat_id, coalesce(o.answer, 0::smallint) AS answer",
);

/// A claimed row's bot token, decrypted; `Err` with a reason that names no
/// secret when it does not decrypt here, which fails that job alone.
fn token_of(store: &PgStore, tg: i64, token_enc: &[u8]) -> Result<BotToken, String> {
    store.cipher.decrypt(TgBotId(tg), token_enc).map_err(|_| {
        "the bot's stored token cannot be decrypted with this instance's secrets.token_key"
            .to_owned()
    })
}

impl Claimed {
    /// The job of this row. A token that does not decrypt fails this job
    /// alone, never the claim: one bad row must not stall every bot.
    pub(super) fn into_job(self, store: &PgStore) -> WelcomeJob {
        let token = token_of(store, self.tg, &self.token_enc);
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
            requested: self.requested_at,
            decided: self.decided,
        }
    }
}

#[derive(QueryableByName)]
pub(super) struct ClaimedAnswer {
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
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = SmallInt)]
    answer: i16,
}

impl ClaimedAnswer {
    /// The outbox item.
    pub(super) fn id(&self) -> i64 {
        self.id
    }

    /// Which try this claim is.
    pub(super) fn attempts(&self) -> u32 {
        u32::try_from(self.attempts).unwrap_or(1)
    }

    /// The job of this row; a token that does not decrypt fails this job
    /// alone, as a welcome's. A row without a known answer (a newer
    /// instance's code) is dropped by the sender, never guessed.
    pub(super) fn into_job(self, store: &PgStore) -> Option<AnswerJob> {
        let token = token_of(store, self.tg, &self.token_enc);
        Some(AnswerJob {
            id: self.id,
            bot: self.bot_id,
            token,
            chat: ChatId(self.chat_id),
            user: self.recipient,
            answer: RequestAnswer::from_code(self.answer)?,
            attempts: u32::try_from(self.attempts).unwrap_or(1),
            created: self.created_at,
            cancelled: self.cancelled,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct ClaimedPostback {
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
pub(super) const CLAIM_POSTBACKS: &str = claim_heads!(
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

impl ClaimedPostback {
    /// The job of this row.
    pub(super) fn into_job(self) -> PostbackJob {
        PostbackJob {
            id: self.id,
            url: self.url,
            attempts: u32::try_from(self.attempts).unwrap_or(1),
            created: self.created_at,
            account: self.account_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CLAIM, CLAIM_ANSWERS, CLAIM_POSTBACKS};

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
        // The answer claim: its own kind's five reads, and a probe of the
        // lead's pending welcome.
        assert_eq!(CLAIM_ANSWERS.matches("kind = 'answer'").count(), 5);
        assert_eq!(CLAIM_ANSWERS.matches("w.kind = 'welcome'").count(), 1);
        assert!(!CLAIM_ANSWERS.contains("postback") && !CLAIM_ANSWERS.contains("target"));
        for claim in [CLAIM, CLAIM_POSTBACKS, CLAIM_ANSWERS] {
            assert_eq!(claim.matches("FOR UPDATE SKIP LOCKED").count(), 1);
        }
        assert!(CLAIM.ends_with("l.status <> 1 AS decided"));
        assert!(CLAIM_POSTBACKS.ends_with("o.attempts, o.created_at, o.account_id"));
    }
}
