//! The PostgreSQL adapter of usher's storage ports (diesel + diesel-async,
//! deadpool). No libpq: connections are tokio-postgres underneath.
//!
//! - [`database`]: creating the database and connection pools.
//! - [`migrate`]: embedded migrations under an advisory lock.
//! - [`PgStore`]: the [`usher_domain::ports`] implementations.

mod accounts;
mod bot_lock;
mod bots;
mod campaigns;
mod cipher;
pub mod database;
mod intake;
pub mod migrate;
mod rows;
mod schema;

use std::sync::Arc;

pub use cipher::{TokenCipher, TokenKeyError};
pub use database::{DbPool, PoolSettings};

/// The Postgres implementation of the account and bot stores.
#[derive(Clone)]
pub struct PgStore {
    pool: DbPool,
    cipher: Arc<TokenCipher>,
}

impl PgStore {
    /// A store over `pool`, encrypting tokens with `cipher`.
    pub fn new(pool: DbPool, cipher: TokenCipher) -> Self {
        Self {
            pool,
            cipher: Arc::new(cipher),
        }
    }

    /// The pool, for health checks and metrics.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }
}

/// Turns any error into the domain's database failure.
pub(crate) fn db_err(err: impl Into<anyhow::Error>) -> usher_domain::ports::StoreError {
    usher_domain::ports::StoreError::new(err)
}
