//! Prometheus metrics: one recorder per process, and what is read at
//! scrape time (pool state, bots by status).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::warn;
use usher_domain::BotStatus;
use usher_http::metrics::MetricsSource;
use usher_store::PgStore;

/// Latency buckets, in seconds, for every histogram.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use (servers started in one
/// process, as in tests, share it).
pub fn handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut slot = HANDLE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(handle) = slot.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| anyhow::anyhow!("another metrics recorder is installed"))?;
    *slot = Some(handle.clone());
    Ok(handle)
}

/// How often, at most, a server reads its figures from the database (bots
/// by status, the outbox's depth) for `/metrics`, whatever the scrape rate.
pub const STORE_FIGURES_REFRESH: Duration = Duration::from_secs(2);

/// Metrics of one server: the recorder plus the store's live figures.
///
/// The store's figures cost a query each; they are read at most once every
/// [`STORE_FIGURES_REFRESH`], by one task at a time, and a scrape never
/// waits for that read once a first one has finished: it shows the last
/// figures read. So scrapers, however many and however fast, add at most
/// one pair of queries every two seconds, and a slow or locked database
/// never holds a scrape.
pub struct ServerMetrics {
    handle: PrometheusHandle,
    store: PgStore,
    refresh: Arc<Refresh>,
}

#[derive(Default)]
struct Refresh {
    /// When the last read of the store's figures ended.
    last: Mutex<Option<Instant>>,
    /// Whether a read is under way.
    running: AtomicBool,
}

impl ServerMetrics {
    /// Metrics rendered by `handle`, with the figures of `store`.
    pub fn new(handle: PrometheusHandle, store: PgStore) -> Self {
        Self {
            handle,
            store,
            refresh: Arc::default(),
        }
    }
}

/// Reads the store's figures into their gauges.
async fn read_store_figures(store: PgStore, refresh: Arc<Refresh>) {
    match store.bot_status_counts().await {
        Ok(counts) => {
            for (status, count) in counts {
                let label = match status {
                    BotStatus::Active => "active",
                    BotStatus::Warning => "warning",
                    BotStatus::Deleted => "deleted",
                };
                metrics::gauge!("bots", "status" => label).set(count as f64);
            }
        }
        Err(err) => warn!(error = %format!("{:#}", err.0), "cannot count bots for metrics"),
    }
    match store.outbox_depth().await {
        Ok((pending, oldest_s)) => {
            metrics::gauge!("outbox_pending").set(pending as f64);
            metrics::gauge!("outbox_oldest_pending_seconds").set(oldest_s as f64);
        }
        Err(err) => warn!(error = %format!("{:#}", err.0), "cannot measure the outbox"),
    }
    *refresh.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    refresh.running.store(false, Ordering::Release);
}

#[async_trait]
impl MetricsSource for ServerMetrics {
    async fn render(&self) -> String {
        let pool = self.store.pool().status();
        let in_use = pool.size.saturating_sub(pool.available);
        metrics::gauge!("db_pool_connections", "state" => "in_use").set(in_use as f64);
        metrics::gauge!("db_pool_connections", "state" => "idle").set(pool.available as f64);
        metrics::gauge!("db_pool_max_connections").set(pool.max_size as f64);
        metrics::gauge!("db_pool_waiting").set(pool.waiting as f64);
        let outbox = self.store.outbox_pool().status();
        let in_use = outbox.size.saturating_sub(outbox.available);
        metrics::gauge!("db_outbox_pool_connections", "state" => "in_use").set(in_use as f64);
        metrics::gauge!("db_outbox_pool_connections", "state" => "idle")
            .set(outbox.available as f64);
        metrics::gauge!("db_outbox_pool_waiting").set(outbox.waiting as f64);
        let last = *self.refresh.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= STORE_FIGURES_REFRESH);
        if due && !self.refresh.running.swap(true, Ordering::AcqRel) {
            let read = tokio::spawn(read_store_figures(self.store.clone(), self.refresh.clone()));
            // The very first scrape has no figures to show yet: it waits.
            if last.is_none() {
                let _ = read.await;
            }
        }
        self.handle.render()
    }
}
