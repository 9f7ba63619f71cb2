//! The upkeep loop of raw updates' day partitions: a round at start, then
//! one every `retention.upkeep_interval_s`, in every instance (a round that
//! finds the work done does nothing; two racing rounds are safe, the loser
//! reports a failure and the next round finds it done).

use std::time::Duration;

use tracing::{info, warn};
use usher_domain::services::RetentionService;

/// Runs upkeep rounds until the runtime stops.
pub async fn run(service: RetentionService, interval: Duration) {
    let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let report = service.upkeep(chrono::Utc::now()).await;
        if !report.created.is_empty() || !report.dropped.is_empty() || report.emptied_legacy {
            info!(
                created = ?report.created,
                dropped = ?report.dropped,
                emptied_legacy = report.emptied_legacy,
                "raw update partitions kept up"
            );
        }
        for failure in &report.failed {
            warn!(%failure, "a partition upkeep step failed; the next round tries again");
        }
    }
}
