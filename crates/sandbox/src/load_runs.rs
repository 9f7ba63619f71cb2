//! What a load run is asked to produce, and the record of how each run
//! went: what `/_sandbox/load` takes and reports.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What a load run produces (`POST /_sandbox/load`).
#[derive(Debug, Clone, Deserialize)]
pub struct LoadSpec {
    /// The bots whose webhooks get the updates, in turn.
    pub bots: Vec<i64>,
    /// Updates a second, over all the bots.
    pub rate: u32,
    /// For how long.
    pub seconds: f64,
    /// Channels the members join and leave, per bot.
    #[serde(default = "default_chats")]
    pub chats: u32,
}

fn default_chats() -> u32 {
    5_000
}

/// How a load run went (`GET /_sandbox/load/{id}`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadReport {
    /// Updates produced so far.
    pub produced: u64,
    /// Updates the webhook answered with a 2xx.
    pub delivered: u64,
    /// Deliveries answered otherwise, or not at all (each retried).
    pub failed_attempts: u64,
    /// Whether the producer still runs.
    pub producing: bool,
    /// Updates produced a second, from the first to the last.
    pub rate: f64,
    /// Production to 2xx, in milliseconds, of the delivered updates.
    pub p50_ms: f64,
    /// The 90th percentile of the same.
    pub p90_ms: f64,
    /// The 99th percentile of the same.
    pub p99_ms: f64,
    /// The longest of the same.
    pub max_ms: f64,
}

#[derive(Debug, Default)]
struct Record {
    started: Option<Instant>,
    ended: Option<Instant>,
    produced: u64,
    failed_attempts: u64,
    latencies_us: Vec<u32>,
}

/// The records of every load run of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Loads {
    last_id: u64,
    runs: HashMap<u64, Record>,
}

impl Loads {
    pub(crate) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    pub(crate) fn start(&mut self, id: u64) {
        self.runs.entry(id).or_default().started = Some(Instant::now());
    }

    pub(crate) fn progress(&mut self, id: u64, produced: u64, done: bool) {
        let run = self.runs.entry(id).or_default();
        run.produced = produced;
        if done {
            run.ended = Some(Instant::now());
        }
    }

    /// One delivery of run `id` finished: `delivered` (a 2xx) after
    /// `since_produced`, or failed (to be retried).
    pub(crate) fn record(&mut self, id: u64, delivered: bool, since_produced: Duration) {
        let run = self.runs.entry(id).or_default();
        if delivered {
            let us = u32::try_from(since_produced.as_micros()).unwrap_or(u32::MAX);
            run.latencies_us.push(us);
        } else {
            run.failed_attempts += 1;
        }
    }

    pub(crate) fn report(&self, id: u64) -> Option<LoadReport> {
        let run = self.runs.get(&id)?;
        let mut sorted = run.latencies_us.clone();
        sorted.sort_unstable();
        let at = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let i = ((sorted.len() as f64) * p) as usize;
            f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
        };
        let span = match (run.started, run.ended) {
            (Some(start), Some(end)) => end.duration_since(start),
            (Some(start), None) => start.elapsed(),
            _ => Duration::ZERO,
        };
        let rate = if span.is_zero() {
            0.0
        } else {
            run.produced as f64 / span.as_secs_f64()
        };
        Some(LoadReport {
            produced: run.produced,
            delivered: sorted.len() as u64,
            failed_attempts: run.failed_attempts,
            producing: run.ended.is_none(),
            rate,
            p50_ms: at(0.5),
            p90_ms: at(0.9),
            p99_ms: at(0.99),
            max_ms: sorted.last().map_or(0.0, |&us| f64::from(us) / 1000.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_orders_the_delivered_times_and_counts_failures_apart() {
        let mut loads = Loads::default();
        let id = loads.next_id();
        loads.start(id);
        for ms in [30u64, 10, 20, 40] {
            loads.record(id, true, Duration::from_millis(ms));
        }
        loads.record(id, false, Duration::from_millis(5));
        loads.progress(id, 4, true);
        let report = loads.report(id).expect("a known run");
        assert_eq!(report.delivered, 4);
        assert_eq!(report.failed_attempts, 1);
        assert_eq!(report.p50_ms, 30.0);
        assert_eq!(report.max_ms, 40.0);
        assert!(!report.producing);
        assert_eq!(loads.report(id + 1), None);
    }
}
