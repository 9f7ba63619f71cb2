//! [`PgStore`]: the pools, the token cipher and the background parts (group
//! commit, outcome recorder, listener) every port implementation shares.

use std::sync::Arc;

use crate::cipher::TokenCipher;
use crate::database::DbPool;
use crate::intake::batch::{self, BatchSettings};
use crate::key_cache::KeyCache;
use crate::listener;
use crate::outcome_batch::OutcomeRecorder;

/// The Postgres implementation of usher's stores.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: DbPool,
    /// The outbox workers' connections (claims, outcomes, pauses): the same
    /// pool as `pool` until [`PgStore::with_outbox_pool`] gives them their
    /// own, so that a burst of finished sends cannot starve intake and the
    /// API, nor they the workers.
    pub(crate) outbox_pool: DbPool,
    /// Batches outcome records, once the workers have their own pool.
    pub(crate) recorder: Option<Arc<OutcomeRecorder>>,
    pub(crate) cipher: Arc<TokenCipher>,
    pub(crate) batcher: Option<Arc<batch::Batcher>>,
    /// Woken when the outbox may have new work (`LISTEN`).
    pub(crate) outbox_wake: Arc<listener::OutboxWake>,
    /// API-key credentials, live only while the listener listens.
    pub(crate) keys: Arc<KeyCache>,
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
            outbox_wake: Arc::new(listener::OutboxWake::default()),
            keys: Arc::new(KeyCache::default()),
        }
    }

    /// Listens on a connection of its own to `url` (kept open, reconnected
    /// when lost) for outbox notifications, so that idle outbox workers wake
    /// as soon as work is queued, and for key changes, so that API-key
    /// checks can be served from memory while it listens.
    pub fn with_outbox_listener(self, url: &str) -> Self {
        tokio::spawn(listener::listen(
            url.to_owned(),
            self.outbox_wake.clone(),
            self.keys.clone(),
        ));
        self
    }

    /// Applies webhook updates in groups (see `intake::batch`): starts the
    /// batch workers on the current tokio runtime.
    pub fn with_group_commit(mut self, settings: &BatchSettings) -> Self {
        self.batcher = Some(Arc::new(batch::Batcher::start(self.pool.clone(), settings)));
        self
    }

    /// Gives the outbox workers `pool` for their claims, outcomes and pauses,
    /// and records outcomes in batches over it (see `outcome_batch`): starts
    /// the recorder on the current tokio runtime.
    pub fn with_outbox_pool(mut self, pool: DbPool) -> Self {
        self.recorder = Some(Arc::new(OutcomeRecorder::start(pool.clone())));
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
