//! A database of its own for each test, dropped at the end.

use rand::Rng;

/// The server the tests use; `USHER_TEST_PG` overrides it.
pub fn server_url() -> String {
    std::env::var("USHER_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database name reserved for one test. usher creates it (its own
/// `migrate` path does); dropping this value drops it.
pub struct TestDb {
    /// The database's name.
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

impl TestDb {
    /// A fresh random name; nothing is created yet.
    pub fn new() -> Self {
        let name = format!("usher_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        let url = format!("{}/{}", server_url(), name);
        Self { name, url }
    }

    /// Whether the database exists on the server yet.
    pub async fn exists(&self) -> bool {
        let admin = format!("{}/postgres", server_url());
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let found: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&self.name],
            )
            .await
            .unwrap()
            .get(0);
        found == 1
    }

    /// A connection for inspecting what usher stored.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let admin = format!("{}/postgres", server_url());
                if let Ok((client, conn)) =
                    tokio_postgres::connect(&admin, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = client
                        .execute(
                            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                            &[],
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

impl TestDb {
    /// Cuts this database off, as an outage would: no new connections are
    /// accepted (superusers included) and every open one is terminated.
    /// Other tests' databases on the same server are untouched.
    pub async fn cut_off(&self) {
        let admin = admin().await;
        admin
            .execute(
                &format!(
                    "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS false",
                    self.name
                ),
                &[],
            )
            .await
            .unwrap();
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                &[&self.name],
            )
            .await
            .unwrap();
    }

    /// Ends an outage begun by [`TestDb::cut_off`].
    pub async fn restore(&self) {
        admin()
            .await
            .execute(
                &format!(
                    "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS true",
                    self.name
                ),
                &[],
            )
            .await
            .unwrap();
    }
}

async fn admin() -> tokio_postgres::Client {
    let url = format!("{}/postgres", server_url());
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}
