//! Open-loop load, as Telegram makes it: member updates produced at a fixed
//! rate whatever the webhook does, delivered by the ordinary delivery loop
//! (so queued and retried like any other update), and timed from the moment
//! each was produced to the webhook's 2xx. A slow webhook makes the queue
//! and the times grow; it never slows the producer, so the times include
//! the waiting that a closed-loop tool (wrk) leaves out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::events::{SandboxChat, SandboxEvent, SandboxUser};
use crate::load_runs::LoadSpec;
use crate::state::State;

/// Starts a load run on the sandbox's runtime; returns its id.
pub(crate) fn spawn(state: &Arc<State>, spec: LoadSpec) -> u64 {
    let id = state.start_load();
    state.spawn(run(state.clone(), id, spec));
    id
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
}
