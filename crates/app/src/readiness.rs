//! Readiness of the service: the database answers and its schema is current.

use async_trait::async_trait;
use usher_http::health::Readiness;
use usher_store::DbPool;

/// Readiness backed by the store's connection pool.
pub struct DatabaseReadiness {
    /// The pool requests use.
    pub pool: DbPool,
}

#[async_trait]
impl Readiness for DatabaseReadiness {
    async fn ready(&self) -> Result<(), &'static str> {
        usher_store::migrate::check(&self.pool).await
    }
}
