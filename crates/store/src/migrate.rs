//! Embedded migrations, applied under a Postgres advisory lock so that
//! several instances starting at once migrate one after another.

use anyhow::Context;
use diesel::sql_query;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tracing::info;

/// The SQL migrations of `migrations/`, built into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The advisory lock key (two-int form, apart from the bigint keys of bots).
const LOCK: &str = "SELECT pg_advisory_lock(21845, 1)";
const UNLOCK: &str = "SELECT pg_advisory_unlock(21845, 1)";

/// Creates the database if needed, then applies pending migrations while
/// holding the migration lock. Returns the versions it applied.
pub async fn run(url: &str) -> anyhow::Result<Vec<String>> {
    crate::database::ensure_database(url).await?;
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("connecting to the database to migrate")?;
    sql_query(LOCK)
        .execute(&mut conn)
        .await
        .context("taking the migration lock")?;
    // The harness drives async diesel from blocking code; give it a
    // blocking thread so any runtime flavour can call this.
    let (conn, applied) = tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        let applied = harness
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>())
            .map_err(|err| anyhow::anyhow!("applying migrations: {err}"));
        (harness.into_inner(), applied)
    })
    .await
    .context("migration task")?;
    let mut conn = conn;
    // Closing the connection would release the lock too; unlock anyway.
    sql_query(UNLOCK).execute(&mut conn).await.ok();
    let applied = applied?;
    if applied.is_empty() {
        info!("database schema is up to date");
    } else {
        info!(migrations = ?applied, "applied migrations");
    }
    Ok(applied)
}

/// Whether every embedded migration has been applied to the database.
pub async fn is_current(url: &str) -> anyhow::Result<bool> {
    let conn = AsyncPgConnection::establish(url).await?;
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .has_pending_migration(MIGRATIONS)
            .map(|pending| !pending)
            .map_err(|err| anyhow::anyhow!("checking migrations: {err}"))
    })
    .await?
}

/// Whether the database behind `pool` answers and has every embedded
/// migration applied (for readiness probes; uses a pooled connection).
pub async fn check(pool: &crate::database::DbPool) -> Result<(), &'static str> {
    use diesel::migration::MigrationSource;
    use diesel::pg::Pg;

    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let mut conn = pool.get().await.map_err(|_| "db")?;
    let applied: Vec<Version> = sql_query("SELECT version FROM __diesel_schema_migrations")
        .load(&mut conn)
        .await
        .map_err(|_| "db")?;
    let embedded = MigrationSource::<Pg>::migrations(&MIGRATIONS).map_err(|_| "migrations")?;
    let current = embedded.iter().all(|m| {
        let version = m.name().version().to_string();
        applied.iter().any(|a| a.version == version)
    });
    if current { Ok(()) } else { Err("migrations") }
}
