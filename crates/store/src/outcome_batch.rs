//! Group commit for outbox outcomes: the records of welcomes and postbacks
//! finished together are written by one `UPDATE ... FROM unnest(...)` in one
//! transaction, and each caller is answered once it has committed. At a
//! thousand finishes a second, one transaction each held the pool's
//! connections and starved intake and the API (the mixed benchmark); batched,
//! they take a few transactions a second. Batches form by themselves: while
//! one is written, the next outcomes queue up behind it.

use std::time::Duration;

use crate::cached_sql::sql_query;
use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use usher_domain::ports::StoreError;

use crate::database::DbPool;
use crate::error::db_err;
use crate::group_commit::{GroupCommit, Grouping};

/// Most outcomes in one statement.
const MAX_BATCH: usize = 512;

/// Statements in flight at once (each holds one connection).
const WRITERS: usize = 2;

/// How long a writer lets outcomes gather after the first before it
/// writes: at a thousand finishes a second, a writer that wrote whatever
/// was queued wrote one or two a statement, hundreds of statements a
/// second. Nothing waits on a record but the sender's own task.
const GATHER: Duration = Duration::from_millis(5);

/// What one finished try leaves on an outbox item.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The item.
    pub(crate) id: i64,
    /// The claim's try (its fencing token): the record lands only while
    /// the item's `attempts` are still this, so a worker whose lease ran
    /// out and was claimed again cannot overwrite the new claim.
    pub(crate) attempt: i32,
    /// `pending` (to retry), `sent`, `failed` or `dropped`.
    pub(crate) state: &'static str,
    /// `last_error`.
    pub(crate) error: String,
    /// For a retry: not due again before this many milliseconds.
    pub(crate) delay_ms: i64,
    /// A postback's HTTP status; `None` keeps the column (welcomes).
    pub(crate) http_code: Option<i32>,
    /// A postback's error word; `None` keeps the column (welcomes).
    pub(crate) error_kind: Option<&'static str>,
}

/// Writes `outcomes` in one statement, leaving alone any item that is no
/// longer pending or was claimed again since its outcome's try. Committed without waiting for its WAL flush
/// (`synchronous_commit` off for this transaction only): a crash can lose
/// the records of the last moment (at most three `wal_writer_delay`s, 0.6 s
/// by default), and those items are sent again, the crash window a record
/// already has between the send and the write. A retry is never due sooner
/// than the item's `run_at` (a bot's flood-control pause moves it later).
pub(crate) async fn write(
    conn: &mut AsyncPgConnection,
    outcomes: &[Outcome],
) -> QueryResult<usize> {
    let mut sorted: Vec<&Outcome> = outcomes.iter().collect();
    // One lock order for every writer, and for `pause_bot`'s sweep as far
    // as it can be: fewer deadlocks to retry.
    sorted.sort_by_key(|o| o.id);
    sql_query(
        "UPDATE outbox o SET state = r.state, last_error = r.last_error, leased_until = NULL, \
           http_code = coalesce(r.http_code, o.http_code), \
           error_kind = coalesce(r.error_kind, o.error_kind), \
           run_at = CASE WHEN r.state = 'pending' \
                         THEN greatest(o.run_at, now() + r.delay_ms * interval '1 millisecond') \
                         ELSE o.run_at END, \
           done_at = CASE WHEN r.state = 'pending' THEN NULL ELSE now() END \
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], \
                     $7::int[]) \
                AS r(id, state, last_error, delay_ms, http_code, error_kind, attempt), \
              (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
         WHERE o.id = ANY($1::bigint[]) AND o.id = r.id AND o.state = 'pending' \
           AND o.attempts = r.attempt",
    )
    .bind::<Array<BigInt>, _>(sorted.iter().map(|o| o.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(sorted.iter().map(|o| o.state).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(sorted.iter().map(|o| o.error.as_str()).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(sorted.iter().map(|o| o.delay_ms).collect::<Vec<_>>())
    .bind::<Array<Nullable<Integer>>, _>(sorted.iter().map(|o| o.http_code).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(sorted.iter().map(|o| o.error_kind).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(sorted.iter().map(|o| o.attempt).collect::<Vec<_>>())
    .execute(conn)
    .await
}

/// The queue in front of the outcome writers.
pub(crate) struct OutcomeRecorder {
    group: GroupCommit<Outcome, ()>,
}

impl OutcomeRecorder {
    /// Starts the writers on the current tokio runtime, over `pool`.
    pub(crate) fn start(pool: DbPool) -> Self {
        let grouping = Grouping {
            workers: WRITERS,
            max_batch: MAX_BATCH,
            gather: GATHER,
            capacity: MAX_BATCH * WRITERS * 4,
        };
        let group = GroupCommit::start("outcome recorder", grouping, move |outcomes| {
            let pool = pool.clone();
            async move {
                let written = match pool.get().await {
                    Ok(mut conn) => write(&mut conn, &outcomes)
                        .await
                        .map_err(|e| format!("{e:#}")),
                    Err(err) => Err(format!("{err:#}")),
                };
                outcomes
                    .iter()
                    .map(|_| {
                        written
                            .as_ref()
                            .map(|_| ())
                            .map_err(|e| db_err(anyhow::anyhow!("recording outbox outcomes: {e}")))
                    })
                    .collect()
            }
        });
        Self { group }
    }

    /// Records `outcome` as part of a batch; answers once it is committed,
    /// or with the batch's failure (the caller may try again).
    pub(crate) async fn record(&self, outcome: Outcome) -> Result<(), StoreError> {
        self.group.submit(outcome).await
    }
}
