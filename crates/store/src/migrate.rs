//! Embedded migrations: applied by `usher migrate` (its own deploy step),
//! never by a serving instance unless asked (`serve --migrate`).
//!
//! Migrations run beside older instances that still serve, so the runner
//! keeps its own waiting short: each statement gives up on a lock it cannot
//! have within [`LOCK_TIMEOUT`] (rather than queueing every writer of the
//! table behind it), and the runner tries again after a pause. An index
//! build that such a give-up interrupted (`CREATE INDEX CONCURRENTLY` leaves
//! an invalid index behind) is dropped before the next try, so it starts
//! over instead of being taken as done.

use std::time::Duration;

use anyhow::Context;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_query;
use diesel::sql_types::Text;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tracing::{info, warn};

/// The SQL migrations of `migrations/`, built into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The advisory lock key (two-int form, apart from the bigint keys of bots).
/// Tried, not waited for: a runner blocked in `pg_advisory_lock` is a
/// transaction that the holder's `CREATE INDEX CONCURRENTLY` waits for, a
/// deadlock.
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock(21845, 1) AS got";
const UNLOCK: &str = "SELECT pg_advisory_unlock(21845, 1)";

/// Longest a migration statement waits for a table lock before it gives up
/// (and the runner tries again): the longest that writers of the table can
/// queue behind it.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// How many times the runner tries a migration that gave up on a lock.
const ATTEMPTS: u32 = 30;

/// Pause between two tries.
const PAUSE: Duration = Duration::from_secs(1);

/// Creates the database if needed, then applies pending migrations while
/// holding the migration lock (instances migrating at once go one after
/// another). A migration that cannot have a lock within [`LOCK_TIMEOUT`] is
/// rolled back and tried again, up to 30 times. Returns the versions it
/// applied.
pub async fn run(url: &str) -> anyhow::Result<Vec<String>> {
    crate::database::ensure_database(url).await?;
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("connecting to the database to migrate")?;
    take_lock(&mut conn).await?;
    conn.batch_execute(&format!(
        "SET lock_timeout = {}; SET statement_timeout = 0",
        LOCK_TIMEOUT.as_millis()
    ))
    .await
    .context("setting the migration session's timeouts")?;
    let mut applied = Vec::new();
    let mut attempt = 1;
    let outcome = loop {
        drop_invalid_indexes(&mut conn).await?;
        let (back, result) = apply_pending(conn).await?;
        conn = back;
        match result {
            Ok(versions) => {
                applied.extend(versions);
                break Ok(());
            }
            Err(err) if is_lock_timeout(&err) && attempt < ATTEMPTS => {
                warn!(attempt, error = %err, "a migration gave up on a lock; trying again");
                attempt += 1;
                tokio::time::sleep(PAUSE).await;
            }
            Err(err) => break Err(anyhow::anyhow!("applying migrations: {err}")),
        }
    };
    // Closing the connection would release the lock too; unlock anyway.
    sql_query(UNLOCK).execute(&mut conn).await.ok();
    outcome?;
    if applied.is_empty() {
        info!("database schema is up to date");
    } else {
        info!(migrations = ?applied, "applied migrations");
    }
    Ok(applied)
}

#[derive(diesel::QueryableByName)]
struct Got {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    got: bool,
}

/// Takes the migration lock, trying every 100 ms while another runner
/// holds it.
async fn take_lock(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    loop {
        let taken: Got = sql_query(TRY_LOCK)
            .get_result(conn)
            .await
            .context("taking the migration lock")?;
        if taken.got {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

type Applied = Result<Vec<String>, String>;

/// Applies what is pending on `conn` (each migration in its own
/// transaction unless its metadata says otherwise); gives the connection
/// back with the versions applied, or the first error.
async fn apply_pending(conn: AsyncPgConnection) -> anyhow::Result<(AsyncPgConnection, Applied)> {
    // The harness drives async diesel from blocking code; give it a
    // blocking thread so any runtime flavour can call this.
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        let applied = harness
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|err| err.to_string());
        (harness.into_inner(), applied)
    })
    .await
    .context("migration task")
}

fn is_lock_timeout(message: &str) -> bool {
    message.contains("lock timeout")
}

#[derive(diesel::QueryableByName)]
struct IndexName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Drops the indexes an interrupted `CREATE INDEX CONCURRENTLY` left invalid.
async fn drop_invalid_indexes(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let invalid: Vec<IndexName> = sql_query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = current_schema()",
    )
    .load(conn)
    .await
    .context("looking for invalid indexes")?;
    for index in invalid {
        warn!(index = %index.name, "dropping an index whose build was interrupted");
        sql_query(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index.name))
            .execute(conn)
            .await
            .with_context(|| format!("dropping invalid index {}", index.name))?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The names of the embedded migrations that `conn`'s database has not
/// applied, oldest first. Only reads: it fails on a database that was never
/// migrated rather than create diesel's table there.
async fn not_applied(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<String>> {
    let applied: Vec<Version> = sql_query("SELECT version FROM __diesel_schema_migrations")
        .load(conn)
        .await
        .context("reading the applied migrations")?;
    let embedded = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|err| anyhow::anyhow!("reading the embedded migrations: {err}"))?;
    Ok(embedded
        .iter()
        .filter(|m| {
            let version = m.name().version().to_string();
            !applied.iter().any(|a| a.version == version)
        })
        .map(|m| m.name().to_string())
        .collect())
}

/// The embedded migrations not yet applied to the database at `url`, oldest
/// first (empty when the schema is current). Fails when the database is
/// missing, unreachable or never migrated; takes no lock and changes
/// nothing.
pub async fn pending(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("connecting to the database")?;
    not_applied(&mut conn).await
}

/// Fails with a message that says what to run when the database at `url`
/// lacks any embedded migration: a serving instance never migrates by itself.
pub async fn require_current(url: &str) -> anyhow::Result<()> {
    let pending = pending(url)
        .await
        .context("checking the database schema (run `usher migrate` first on a new database)")?;
    anyhow::ensure!(
        pending.is_empty(),
        "the database schema is behind this build ({} pending: {}); run `usher migrate` \
         first, or `usher serve --migrate` for a single instance",
        pending.len(),
        pending.join(", ")
    );
    Ok(())
}

/// Whether the database behind `pool` answers and has every embedded
/// migration applied (for readiness probes; uses a pooled connection).
pub async fn check(pool: &crate::database::DbPool) -> Result<(), &'static str> {
    let mut conn = pool.get().await.map_err(|_| "db")?;
    match not_applied(&mut conn).await {
        Ok(missing) if missing.is_empty() => Ok(()),
        Ok(_) => Err("migrations"),
        Err(_) => Err("db"),
    }
}
