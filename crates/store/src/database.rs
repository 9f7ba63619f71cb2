//! Creating the database and its connection pool.

use std::time::Duration;

use anyhow::Context;
use diesel::sql_types::Text;
use diesel::{QueryableByName, sql_query};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tracing::info;
use url::Url;

/// The shared pool of Postgres connections.
pub type DbPool = Pool<AsyncPgConnection>;

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// Longest wait for a free connection, for opening one, or for checking
    /// one on reuse; past it the caller gets a database failure (`db`).
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A pool for `url`. Connections are opened lazily, so this succeeds while
/// the database is down; requests then fail with `db` until it is back.
pub fn pool(url: &str, settings: &PoolSettings) -> anyhow::Result<DbPool> {
    // `Fast`: no test query on every checkout (that doubled the round trips
    // of an API read). A connection the server closed is still discarded on
    // checkout (diesel-async sees its socket closed), and one that fails
    // mid-query is dropped as broken, so an outage heals by itself.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.timeout))
        .create_timeout(Some(settings.timeout))
        .recycle_timeout(Some(settings.timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// `url` with `application_name=name` added, so that `pg_stat_activity`
/// tells each pool's connections apart; a URL that names its application
/// already, or that does not parse, is kept as it is.
pub fn with_application_name(url: &str, name: &str) -> String {
    with_parameter(url, "application_name", name)
}

/// `url` with its connections told to plan every execution of a prepared
/// statement for its own parameters (`plan_cache_mode=force_custom_plan`),
/// unless the URL passes server options of its own. For the outbox pool: a
/// queue's pending part swings from none to thousands in seconds, and a
/// generic plan that PostgreSQL settled on while it was nearly empty (a
/// sequential scan joined to every claimed id) stays until the next
/// `ANALYZE`: the mixed bench saw claims and outcome writes take 0.5 to
/// 1 s each with such plans. Parsing is still done once per connection.
/// Bitmap scans are off too: with statistics taken while postbacks were
/// rare, a claim read every due postback of a tracker through a bitmap and
/// sorted them for the first 32, where the queue index gives them in order
/// (155 ms against 38 ms for a 1,700-deep backlog per tracker).
pub fn with_custom_plans(url: &str) -> String {
    with_parameter(
        url,
        "options",
        "-cplan_cache_mode=force_custom_plan -cenable_bitmapscan=off",
    )
}

/// `url` with the connection parameter `key=value` added, unless the URL
/// sets `key` already or does not parse (then it is kept as it is).
fn with_parameter(url: &str, key: &str, value: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    if parsed.query_pairs().any(|(k, _)| k == key) {
        return url.to_owned();
    }
    // Encoded by hand: tokio-postgres reads a space only as `%20`, never as
    // form encoding's `+` (which `byte_serialize` writes; a literal `+`
    // comes out as `%2B`, so the swap is exact).
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let pair = format!("{key}={encoded}");
    let query = match parsed.query() {
        Some(query) if !query.is_empty() => format!("{query}&{pair}"),
        _ => pair,
    };
    parsed.set_query(Some(&query));
    parsed.into()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// Creates the database named in `url` if it does not exist yet, through
/// the server's `postgres` database. Safe when several processes race.
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    if AsyncPgConnection::establish(url).await.is_ok() {
        return Ok(());
    }
    let parsed = Url::parse(url).context("database.url is not a URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "database.url names no database");
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut admin = AsyncPgConnection::establish(admin_url.as_str())
        .await
        .with_context(|| format!("connecting to the server of database {name:?}"))?;
    let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    if let Err(err) = sql_query(create).execute(&mut admin).await {
        // Another instance may have created it in the meantime.
        let found: Vec<Name> = sql_query("SELECT datname FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&name)
            .load(&mut admin)
            .await
            .context("looking for the database")?;
        if !found.iter().any(|row| row.datname == name) {
            return Err(err).with_context(|| format!("creating database {name:?}"));
        }
    } else {
        info!(database = %name, "created database");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_application_name;

    #[test]
    fn a_pool_names_its_connections_unless_the_url_does() {
        assert_eq!(
            with_application_name("postgres://u@h:5432/db", "usher"),
            "postgres://u@h:5432/db?application_name=usher"
        );
        assert_eq!(
            with_application_name("postgres://h/db?sslmode=disable", "usher-outbox"),
            "postgres://h/db?sslmode=disable&application_name=usher-outbox"
        );
        let named = "postgres://h/db?application_name=mine";
        assert_eq!(with_application_name(named, "usher"), named);
        assert_eq!(with_application_name("not a url", "usher"), "not a url");
        // A space as `%20` (tokio-postgres reads no `+`), a `+` as `%2B`.
        assert_eq!(
            with_application_name("postgres://h/db", "a b+c"),
            "postgres://h/db?application_name=a%20b%2Bc"
        );
    }

    #[test]
    fn the_outbox_pool_plans_for_its_parameters_unless_the_url_sets_options() {
        assert_eq!(
            super::with_custom_plans("postgres://h/db"),
            "postgres://h/db?options=-cplan_cache_mode%3Dforce_custom_plan%20-cenable_bitmapscan%3Doff"
        );
        let own = "postgres://h/db?options=-c%20work_mem%3D4MB";
        assert_eq!(super::with_custom_plans(own), own);
    }
}
