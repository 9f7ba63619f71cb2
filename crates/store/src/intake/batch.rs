//! Group commit for webhook intake: updates arriving together are applied
//! in one transaction with a few multi-row statements, and each delivery is
//! answered only after that transaction commits. Batches form by themselves:
//! while one batch commits, the next deliveries queue up behind it.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cached_sql::sql_query;
use diesel::sql_types::{Array, BigInt, Bool, Text};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;
use tracing::warn;
use usher_domain::BotId;
use usher_domain::intake::{Admission, Effect, IncomingUpdate, MemberEvent};
use usher_domain::ports::{Applied, StoreError};

use super::membership::{Newest, insert_events, upsert_memberships};
use crate::database::DbPool;
use crate::error::db_err;
use crate::group_commit::{GroupCommit, Grouping};
use usher_domain::AccountId;
use usher_domain::subscribers::batch::{CampaignLookup, FreshUpdate};

/// How updates are grouped.
#[derive(Debug, Clone)]
pub struct BatchSettings {
    /// Most updates in one transaction.
    pub max_batch: usize,
    /// Transactions in flight at once (each holds one connection).
    pub workers: usize,
    /// Most updates held at once, waiting for a batch or in one; past it
    /// (three quarters of it for all but `/start`) a delivery is answered
    /// [`Applied::Shed`] at once. See [`Admission`].
    pub max_held: usize,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            max_batch: 128,
            workers: 4,
            max_held: 1024,
        }
    }
}

/// One delivery to apply: the bot, the digest of the presented secret, the
/// update and its raw JSON.
pub(crate) struct Item {
    pub(crate) bot: BotId,
    pub(crate) secret_digest: [u8; 32],
    pub(crate) update: IncomingUpdate,
    pub(crate) raw: String,
}

/// The queue in front of the batch workers.
pub(crate) struct Batcher {
    group: GroupCommit<Item, Applied>,
    admission: Admission,
    held: Arc<AtomicUsize>,
}

/// One admitted update, counted out of `held` when its answer is in.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("intake_held").decrement(1.0);
    }
}

impl Batcher {
    /// Starts the workers on the current tokio runtime.
    pub(crate) fn start(pool: DbPool, settings: &BatchSettings) -> Self {
        let admission = Admission::new(settings.max_held);
        let grouping = Grouping {
            workers: settings.workers,
            max_batch: settings.max_batch,
            gather: Duration::ZERO,
            // Never full: admission turns deliveries away first.
            capacity: admission.limit(),
        };
        let group = GroupCommit::start("intake batcher", grouping, move |items| {
            let pool = pool.clone();
            async move { run(&pool, items).await }
        });
        Self {
            group,
            admission,
            held: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Applies one update as part of a batch; answers once it is committed.
    pub(crate) async fn submit(
        &self,
        bot: BotId,
        secret_digest: &[u8; 32],
        update: &IncomingUpdate,
        raw: &str,
    ) -> Result<Applied, StoreError> {
        let before = self.held.fetch_add(1, Ordering::AcqRel);
        let _held = Held(self.held.clone());
        metrics::gauge!("intake_held").increment(1.0);
        if !self.admission.admits(before, update.priority()) {
            return Ok(Applied::Shed);
        }
        let item = Item {
            bot,
            secret_digest: *secret_digest,
            update: update.clone(),
            raw: raw.to_owned(),
        };
        self.group.submit(item).await
    }
}

/// Commits one batch: one result per item, in order.
async fn run(pool: &DbPool, items: Vec<Item>) -> Vec<Result<Applied, StoreError>> {
    match apply_in_transaction(pool, &items).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(err) if items.len() > 1 => {
            // One bad update must not fail the others: apply them one by one.
            warn!(batch = items.len(), error = %format!("{:#}", err.0), "batch failed; applying its updates one by one");
            let mut results = Vec::with_capacity(items.len());
            for item in &items {
                results.push(apply_one(pool, item).await);
            }
            results
        }
        Err(err) => items
            .iter()
            .map(|_| Err(StoreError(anyhow::anyhow!("{:#}", err.0))))
            .collect(),
    }
}

async fn apply_in_transaction(pool: &DbPool, items: &[Item]) -> Result<Vec<Applied>, StoreError> {
    let mut conn = pool.get().await.map_err(db_err)?;
    let (outcomes, changes) = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| apply_batch(conn, items).await)
        .await
        .map_err(db_err)?;
    // Counted once committed, so a rolled-back batch counts nothing.
    changes.record();
    Ok(outcomes)
}

/// Applies one delivery in a transaction of its own (a batch of one).
pub(crate) async fn apply_one(pool: &DbPool, item: &Item) -> Result<Applied, StoreError> {
    let mut outcomes = apply_in_transaction(pool, std::slice::from_ref(item)).await?;
    outcomes
        .pop()
        .ok_or_else(|| db_err(anyhow::anyhow!("a batch of one gave no outcome")))
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = BigInt)]
    bot_id: i64,
    #[diesel(sql_type = BigInt)]
    update_id: i64,
}

#[derive(QueryableByName)]
struct Target {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    secret_digest: Vec<u8>,
    #[diesel(sql_type = Bool)]
    deleted: bool,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
}

/// Applies `jobs` in the current transaction; one outcome per job, in order.
async fn apply_batch(
    conn: &mut AsyncPgConnection,
    jobs: &[Item],
) -> QueryResult<(Vec<Applied>, super::subscribers::StatusChanges)> {
    // The bots' shared intake locks, in id order; a bot being added or
    // deleted right now is not waited for (its deliveries are retried).
    let mut bot_ids: Vec<i64> = jobs.iter().map(|j| j.bot.0).collect();
    bot_ids.sort_unstable();
    bot_ids.dedup();
    let locked: HashSet<i64> = super::locks::try_intake_locks(conn, &bot_ids)
        .await?
        .into_iter()
        .collect();
    let locked_ids: Vec<i64> = bot_ids
        .iter()
        .copied()
        .filter(|id| locked.contains(id))
        .collect();
    // Read after the locks are held: a delete that committed first is seen.
    // The campaigns the batch may concern come in the same round trip
    // (pipelined: the two reads are independent).
    let mut shared: &AsyncPgConnection = conn;
    let lookup = CampaignLookup::of(
        jobs.iter()
            .filter(|j| locked.contains(&j.bot.0))
            .map(|j| (j.bot, &j.update.effect)),
    );
    let (targets, campaigns) = futures_util::future::join(
        sql_query(
            "SELECT id, secret_digest, deleted_at IS NOT NULL AS deleted, account_id FROM bots WHERE id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(&locked_ids)
        .load::<Target>(&mut shared),
        super::subscribers::load_campaigns(shared, &lookup),
    )
    .await;
    let targets: HashMap<i64, Target> = targets?.into_iter().map(|row| (row.id, row)).collect();
    let campaigns = campaigns?;
    let mut outcomes = vec![Applied::Duplicate; jobs.len()];
    let mut order = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        if !locked.contains(&job.bot.0) {
            outcomes[i] = Applied::Busy;
            continue;
        }
        let target = targets
            .get(&job.bot.0)
            .map(|t| (t.secret_digest.as_slice(), t.deleted));
        match super::locks::verdict(target, &job.secret_digest) {
            Some(refused) => outcomes[i] = refused,
            None => order.push(i),
        }
    }

    // Record the updates, in key order; RETURNING says which are new. The
    // day partition is the update's own date (0 without one: the catch-all
    // partition), which a redelivery repeats. One that an instance of the
    // version before partitioning stored in `updates` is not new either.
    order.sort_by_key(|&i| (jobs[i].bot.0, jobs[i].update.update_id));
    let inserted: HashSet<(i64, i64)> = sql_query(
        "INSERT INTO raw_updates (bot_id, update_id, date, kind, payload) \
         SELECT b, u, to_timestamp(d), k, p::json \
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS t(b, u, d, k, p) \
         WHERE NOT EXISTS (SELECT 1 FROM updates o WHERE o.bot_id = t.b AND o.update_id = t.u) \
         ON CONFLICT (bot_id, update_id, date) DO NOTHING RETURNING bot_id, update_id",
    )
    .bind::<Array<BigInt>, _>(order.iter().map(|&i| jobs[i].bot.0).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(order.iter().map(|&i| jobs[i].update.update_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(order.iter().map(|&i| jobs[i].update.date.unwrap_or(0)).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(order.iter().map(|&i| jobs[i].update.kind.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(order.iter().map(|&i| jobs[i].raw.as_str()).collect::<Vec<_>>())
    .load::<Key>(&mut shared)
    .await?
    .into_iter()
    .map(|k| (k.bot_id, k.update_id))
    .collect();

    let mut claimed = HashSet::new();
    let mut fresh = Vec::new();
    for &i in &order {
        let key = (jobs[i].bot.0, jobs[i].update.update_id);
        // The same update twice in one batch: the first one is the new one.
        if inserted.contains(&key) && claimed.insert(key) {
            outcomes[i] = Applied::New;
            fresh.push(i);
        } else {
            outcomes[i] = Applied::Duplicate;
        }
    }

    let mut memberships: Newest = HashMap::new();
    let mut events: Vec<(i64, i64, &MemberEvent)> = Vec::new();
    let mut migrations = Vec::new();
    for &i in &fresh {
        let (bot, update_id) = (jobs[i].bot.0, jobs[i].update.update_id);
        match &jobs[i].update.effect {
            Effect::BotMembership(change) => {
                // Only the newest state per chat can win; keep that one.
                let key = (bot, change.chat.id.0);
                let newer = memberships
                    .get(&key)
                    .is_none_or(|(u, m)| (change.at, update_id) > (m.at, *u));
                if newer {
                    memberships.insert(key, (update_id, change));
                }
            }
            Effect::Member(event) => events.push((bot, update_id, event)),
            Effect::ChatMigrated { from, to } => {
                migrations.push((update_id, BotId(bot), *from, *to))
            }
            // The subscriber flow's own effects: applied below.
            Effect::Start(_) | Effect::Blocked { .. } | Effect::None => {}
        }
    }
    let subscriber_updates: Vec<FreshUpdate<'_>> = fresh
        .iter()
        .map(|&i| FreshUpdate {
            bot: jobs[i].bot,
            account: AccountId(targets.get(&jobs[i].bot.0).map_or(0, |t| t.account_id)),
            update_id: jobs[i].update.update_id,
            effect: &jobs[i].update.effect,
        })
        .collect();
    // Independent writes, pipelined on the connection.
    let (memberships, events, changes) = futures_util::future::join3(
        upsert_memberships(shared, memberships),
        insert_events(shared, &events),
        super::subscribers::apply_batch(shared, &subscriber_updates, &campaigns),
    )
    .await;
    memberships?;
    events?;
    let changes = changes?;
    migrations.sort_by_key(|m| m.0);
    for (_, bot, from, to) in migrations {
        super::locks::move_chat(conn, bot, from, to).await?;
    }
    Ok((outcomes, changes))
}
