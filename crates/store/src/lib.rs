//! The PostgreSQL adapter of usher's storage ports (diesel + diesel-async,
//! deadpool). No libpq: connections are tokio-postgres underneath.
//!
//! - [`database`]: creating the database and connection pools.
//! - [`migrate`]: embedded migrations under an advisory lock.
//! - [`PgStore`]: the [`usher_domain::ports`] implementations.

mod accounts;
mod bot_lock;
mod bots;
mod cached_sql;
mod campaign_links;
mod campaigns;
mod cipher;
pub mod database;
mod error;
mod group_commit;
mod intake;
mod key_cache;
mod key_check;
mod lead_decisions;
mod listener;
pub mod migrate;
mod outbox;
mod outcome_batch;
mod pg_store;
mod profile;
mod reads;
mod retention;
mod rows;
mod schema;

pub use cipher::{TokenCipher, TokenKeyError};
pub use database::{DbPool, PoolSettings};
pub use intake::batch::BatchSettings;
pub use key_check::{KeyMismatch, verify_token_key};
pub use pg_store::PgStore;
