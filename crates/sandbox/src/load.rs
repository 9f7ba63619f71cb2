//! Open-loop load, as Telegram makes it: member updates produced at a fixed
//! rate whatever the webhook does, delivered by the ordinary delivery loop
//! (so queued and retried like any other update), and timed from the moment
//! each was produced to the webhook's 2xx. A slow webhook makes the queue
//! and the times grow; it never slows the producer, so the times include
//! the waiting that a closed-loop tool (wrk) leaves out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::events::{SandboxChat, SandboxEvent, SandboxUser};
use crate::state::State;

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

/// The `n`th update of a run: `(bot, event)`. Nine in ten are members
/// joining or leaving a channel (a join, then the same person leaving);
/// one in ten the bot promoted or demoted in one, as `bench/intake.lua`
/// mixes them.
pub(crate) fn event_at(spec: &LoadSpec, n: u64) -> (i64, SandboxEvent) {
    let pair = n / 2;
    let bot = spec.bots[(pair % spec.bots.len() as u64) as usize];
    let chat_n = pair % u64::from(spec.chats.max(1));
    let chat = SandboxChat {
        id: -1_001_000_000_000 - chat_n as i64,
        title: format!("Load channel {chat_n}"),
        kind: "channel".into(),
    };
    let owner = SandboxUser::new(1, "Owner");
    let event = if n.is_multiple_of(10) {
        if n.is_multiple_of(20) {
            SandboxEvent::Promote {
                chat,
                by: owner,
                date: None,
            }
        } else {
            SandboxEvent::Demote {
                chat,
                by: owner,
                date: None,
            }
        }
    } else {
        let user =
            SandboxUser::new(100_000 + pair as i64, "User").with_username(&format!("user{pair}"));
        if n % 2 == 1 {
            SandboxEvent::Join {
                chat,
                user,
                invite_link: None,
                via_join_request: false,
                date: None,
            }
        } else {
            SandboxEvent::Leave {
                chat,
                user,
                date: None,
            }
        }
    };
    (bot, event)
}

/// Produces run `id`'s updates at its rate: every few milliseconds as many
/// as the time since the start calls for, so a late wake catches up
/// instead of lowering the rate.
pub(crate) async fn run(state: Arc<State>, id: u64, spec: LoadSpec) {
    let total = (f64::from(spec.rate) * spec.seconds).round() as u64;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut made = 0u64;
    while made < total && !state.is_stopped() {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * f64::from(spec.rate)) as u64).min(total);
        while made < due {
            let (bot, event) = event_at(&spec, made);
            event.happen_for(&state, bot, Some(id));
            made += 1;
        }
        state.load_progress(id, made, false);
    }
    state.load_progress(id, made, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(bots: Vec<i64>) -> LoadSpec {
        LoadSpec {
            bots,
            rate: 100,
            seconds: 1.0,
            chats: 3,
        }
    }

    #[test]
    fn a_join_and_the_leave_after_it_are_one_person_of_one_bot() {
        let spec = spec(vec![7, 8]);
        let (bot_join, join) = event_at(&spec, 3);
        let (bot_leave, leave) = event_at(&spec, 2);
        assert_eq!(bot_join, bot_leave);
        match (join, leave) {
            (
                SandboxEvent::Join {
                    user: a, chat: c, ..
                },
                SandboxEvent::Leave {
                    user: b, chat: d, ..
                },
            ) => {
                assert_eq!(a.id, b.id);
                assert_eq!(c.id, d.id);
            }
            other => panic!("expected a join and a leave, got {other:?}"),
        }
        assert_ne!(
            event_at(&spec, 4).0,
            bot_join,
            "the next pair goes to the other bot"
        );
    }

    #[test]
    fn one_update_in_ten_changes_the_bot_itself() {
        let spec = spec(vec![7]);
        let bot_changes = (0..1000)
            .filter(|&n| {
                matches!(
                    event_at(&spec, n).1,
                    SandboxEvent::Promote { .. } | SandboxEvent::Demote { .. }
                )
            })
            .count();
        assert_eq!(bot_changes, 100);
    }

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
