//! Whether intake still consults `updates`, the table of raw updates from
//! before partitioning (migration 14).
//!
//! Instances of the earlier version write `updates` during a rolling
//! deploy, so an update stored there is not new. Probing it costs intake
//! about a quarter of its batch insert even when it is empty
//! (docs/benchmarks.md), so once the upkeep has dropped it (its newest row
//! past the retention: no earlier instance is left), intake stops. The
//! switch only goes one way, from "probe" to "gone", and only after the
//! catalog says the table is gone, so it opens no exactly-once window: an
//! instance that has not noticed yet keeps probing, its batch fails once on
//! the missing table, and it checks, notices and applies the batch again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel::QueryableByName;
use diesel::sql_query;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use tracing::info;

use crate::database::DbPool;

/// One store's knowledge of whether `updates` is gone; shared by its intake
/// paths.
#[derive(Debug, Clone, Default)]
pub(crate) struct LegacyUpdates(Arc<AtomicBool>);

#[derive(QueryableByName)]
struct Gone {
    #[diesel(sql_type = Bool)]
    gone: bool,
}

impl LegacyUpdates {
    /// Whether intake must still probe `updates`.
    pub(crate) fn probe(&self) -> bool {
        !AtomicBool::load(&self.0, Ordering::Acquire)
    }

    /// Asks the catalog whether `updates` is gone and remembers a yes;
    /// answers whether it is. A failed question answers no (keep probing).
    pub(crate) async fn check(&self, pool: &DbPool) -> bool {
        if !self.probe() {
            return true;
        }
        let Ok(mut conn) = pool.get().await else {
            return false;
        };
        let gone = sql_query("SELECT to_regclass('public.updates') IS NULL AS gone")
            .get_result::<Gone>(&mut conn)
            .await
            .is_ok_and(|row| row.gone);
        if gone && !self.0.swap(true, Ordering::AcqRel) {
            info!(
                "the raw updates table from before partitioning is gone; intake stops consulting it"
            );
        }
        gone
    }
}
