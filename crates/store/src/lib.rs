//! The PostgreSQL adapter of usher's storage ports (diesel + diesel-async,
//! deadpool). No libpq: connections are tokio-postgres underneath.
//!
//! - [`database`]: creating the database and connection pools.
//! - [`migrate`]: embedded migrations under an advisory lock.
//! - [`PgStore`]: the [`usher_domain::ports`] implementations.

mod accounts;
mod batch_queue;
mod bot_lock;
mod bots;
mod cached_sql;
mod campaigns;
mod cipher;
pub mod database;
mod intake;
mod intake_batch;
mod key_cache;
mod key_check;
pub mod migrate;
mod outbox;
mod outcome_batch;
mod postback_reads;
mod profile;
mod rows;
mod schema;
mod subscriber_intake;
mod subscriber_reads;

use std::sync::Arc;

pub use cipher::{TokenCipher, TokenKeyError};
pub use database::{DbPool, PoolSettings};
pub use intake_batch::BatchSettings;
pub use key_check::{KeyMismatch, verify_token_key};

/// The Postgres implementation of usher's stores.
#[derive(Clone)]
pub struct PgStore {
    pool: DbPool,
    /// The outbox workers' connections (claims, outcomes, pauses): the same
    /// pool as `pool` until [`PgStore::with_outbox_pool`] gives them their
    /// own, so that a burst of finished sends cannot starve intake and the
    /// API, nor they the workers.
    outbox_pool: DbPool,
    /// Batches outcome records, once the workers have their own pool.
    recorder: Option<Arc<outcome_batch::OutcomeRecorder>>,
    cipher: Arc<TokenCipher>,
    batcher: Option<Arc<intake_batch::Batcher>>,
    /// Woken when the outbox may have new work (`LISTEN`).
    outbox_wake: Arc<outbox::OutboxWake>,
    /// API-key credentials, live only while the listener listens.
    keys: Arc<key_cache::KeyCache>,
}

impl PgStore {
    /// A store over `pool`, encrypting tokens with `cipher`. Each update is
    /// applied in a transaction of its own until
    /// [`PgStore::with_group_commit`] is called.
    pub fn new(pool: DbPool, cipher: TokenCipher) -> Self {
        Self {
            outbox_pool: pool.clone(),
            recorder: None,
            pool,
            cipher: Arc::new(cipher),
            batcher: None,
            outbox_wake: Arc::new(outbox::OutboxWake::default()),
            keys: Arc::new(key_cache::KeyCache::default()),
        }
    }

    /// Listens on a connection of its own to `url` (kept open, reconnected
    /// when lost) for outbox notifications, so that idle outbox workers wake
    /// as soon as work is queued, and for key changes, so that API-key
    /// checks can be served from memory while it listens.
    pub fn with_outbox_listener(self, url: &str) -> Self {
        tokio::spawn(outbox::listen(
            url.to_owned(),
            self.outbox_wake.clone(),
            self.keys.clone(),
        ));
        self
    }

    /// Applies webhook updates in groups (see `intake_batch`): starts the
    /// batch workers on the current tokio runtime.
    pub fn with_group_commit(mut self, settings: &BatchSettings) -> Self {
        self.batcher = Some(Arc::new(intake_batch::Batcher::start(
            self.pool.clone(),
            settings,
        )));
        self
    }

    /// Gives the outbox workers `pool` for their claims, outcomes and pauses,
    /// and records outcomes in batches over it (see `outcome_batch`): starts
    /// the recorder on the current tokio runtime.
    pub fn with_outbox_pool(mut self, pool: DbPool) -> Self {
        self.recorder = Some(Arc::new(outcome_batch::OutcomeRecorder::start(
            pool.clone(),
        )));
        self.outbox_pool = pool;
        self
    }

    /// The pool, for health checks and metrics.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The outbox workers' pool (the main pool until
    /// [`PgStore::with_outbox_pool`]), for metrics.
    pub fn outbox_pool(&self) -> &DbPool {
        &self.outbox_pool
    }
}

/// Turns any error into the domain's database failure.
pub(crate) fn db_err(err: impl Into<anyhow::Error>) -> usher_domain::ports::StoreError {
    usher_domain::ports::StoreError::new(err)
}
