//! The upkeep loop of the time partitions (days of raw updates, months of
//! member events): a round at start, then
//! one every `retention.upkeep_interval_s`, in every instance (a round that
//! finds the work done does nothing; two racing rounds are safe, the loser
//! reports a failure and the next round finds it done).

use std::time::Duration;

use tracing::{info, warn};
use usher_domain::services::{Partition, RetentionService};

/// Runs upkeep rounds until the runtime stops.
pub async fn run(service: RetentionService, interval: Duration) {
    let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let report = service.upkeep(chrono::Utc::now()).await;
        if report.changed() {
            let names = |partitions: &[Partition]| -> Vec<String> {
                partitions
                    .iter()
                    .map(|p| format!("{} {}", p.series.name(), p.start))
                    .collect()
            };
            let emptied: Vec<&str> = report.emptied_legacy.iter().map(|s| s.name()).collect();
            info!(
                created = ?names(&report.created),
                dropped = ?names(&report.dropped),
                emptied_legacy = ?emptied,
                "time partitions kept up"
            );
        }
        for failure in &report.failed {
            warn!(%failure, "a partition upkeep step failed; the next round tries again");
        }
    }
}
