//! A bot's pending updates, kept as the official server keeps them
//! (`Client.cpp` `webhook_queue_id`, `WebhookActor.cpp`): one delivery
//! queue per chat for messages and for the bot's own status, one per user
//! for members and join requests, one per update for everything else.
//! Within a queue updates go one at a time, in order, and a failing one
//! holds back only its own queue. Updates expire 24 hours after their date.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

/// How long Telegram keeps an update: a day from its date.
pub(crate) const UPDATE_LIFETIME_S: i64 = 86_400;

/// Which queue an update waits in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum QueueKey {
    /// Messages (and edits, posts) of one chat.
    Chat(i64),
    /// The bot's own status (`my_chat_member`) in one chat.
    BotStatus(i64),
    /// `chat_member` and `chat_join_request` of one user, across chats.
    User(i64),
    /// Anything else: a queue of its own.
    Alone(i64),
}

impl QueueKey {
    /// The queue for `update` (kind `kind`, id `update_id`).
    pub(crate) fn of(kind: &str, update: &Value, update_id: i64) -> Self {
        let body = &update[kind];
        let id = |v: &Value| v.as_i64();
        match kind {
            "message" | "edited_message" | "channel_post" | "edited_channel_post" => {
                id(&body["chat"]["id"]).map_or(QueueKey::Alone(update_id), QueueKey::Chat)
            }
            "my_chat_member" => {
                id(&body["chat"]["id"]).map_or(QueueKey::Alone(update_id), QueueKey::BotStatus)
            }
            "chat_member" => id(&body["new_chat_member"]["user"]["id"])
                .map_or(QueueKey::Alone(update_id), QueueKey::User),
            "chat_join_request" => {
                id(&body["from"]["id"]).map_or(QueueKey::Alone(update_id), QueueKey::User)
            }
            _ => QueueKey::Alone(update_id),
        }
    }
}

/// One update waiting for delivery.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub update_id: i64,
    pub body: Value,
    /// Unix time after which it is dropped.
    pub expires_at: i64,
    /// When it was produced: a load run's latencies count from here.
    pub produced: Instant,
    /// The load run that produced it, if one did.
    pub load: Option<u64>,
}

#[derive(Debug)]
struct Queue {
    updates: VecDeque<Pending>,
    /// An attempt to deliver the head is under way.
    busy: bool,
    /// The head may not be sent before this.
    wake_at: Instant,
    /// The head's current backoff delay and failure count.
    delay: Duration,
    fails: u32,
}

/// Retry timing, scaled for tests.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    /// The delay the doubling starts from (Telegram: 1 s).
    pub initial: Duration,
    /// The lower end of the random cap (Telegram: 60 s; the cap is drawn
    /// between this and twice this).
    pub max: Duration,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// A 2xx.
    Delivered,
    /// Anything else; `retry_after` from the webhook's `Retry-After`.
    Failed { retry_after: Option<u64> },
}

/// A bot's queues.
#[derive(Debug, Default)]
pub(crate) struct Updates {
    queues: HashMap<QueueKey, Queue>,
    in_flight: usize,
}

impl Updates {
    /// Adds an update at the end of its queue, unless it is already expired.
    pub(crate) fn push(&mut self, key: QueueKey, pending: Pending, now_unix: i64) -> bool {
        if pending.expires_at <= now_unix {
            return false;
        }
        let queue = self.queues.entry(key).or_insert_with(|| Queue {
            updates: VecDeque::new(),
            busy: false,
            wake_at: Instant::now(),
            delay: Duration::ZERO,
            fails: 0,
        });
        queue.updates.push_back(pending);
        true
    }

    /// How many updates wait, the ones being delivered included.
    pub(crate) fn len(&self) -> usize {
        self.queues.values().map(|q| q.updates.len()).sum()
    }

    /// How many deliveries are under way.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether nothing waits and nothing is being delivered.
    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.queues.is_empty()
    }

    /// Drops every waiting update (`drop_pending_updates`). Attempts under
    /// way finish, but their updates are gone.
    pub(crate) fn clear(&mut self) {
        self.queues.clear();
    }

    /// Every waiting update, by `update_id` (for `getUpdates`).
    pub(crate) fn all(&self) -> Vec<Pending> {
        let mut all: Vec<Pending> = self
            .queues
            .values()
            .flat_map(|q| q.updates.iter().cloned())
            .collect();
        all.sort_by_key(|p| p.update_id);
        all
    }

    /// Forgets every update below `offset` (`getUpdates` confirms them).
    pub(crate) fn confirm_below(&mut self, offset: i64) {
        for queue in self.queues.values_mut() {
            queue.updates.retain(|p| p.update_id >= offset);
        }
        self.queues.retain(|_, q| !q.updates.is_empty() || q.busy);
    }

    /// Takes up to `room` queue heads that are due, marking their queues
    /// busy, and drops expired heads. Returns them with the earliest time a
    /// queue that is not due yet will be.
    pub(crate) fn take_due(
        &mut self,
        room: usize,
        now: Instant,
        now_unix: i64,
    ) -> (Vec<(QueueKey, Pending)>, Option<Instant>) {
        let mut due = Vec::new();
        let mut next_wake: Option<Instant> = None;
        let mut keys: Vec<QueueKey> = self.queues.keys().cloned().collect();
        // Oldest heads first, as the server's queue set is ordered by time.
        keys.sort_by_key(|k| self.queues[k].updates.front().map(|p| p.update_id));
        for key in keys {
            let Some(queue) = self.queues.get_mut(&key) else {
                continue;
            };
            if queue.busy {
                continue;
            }
            while queue
                .updates
                .front()
                .is_some_and(|p| p.expires_at <= now_unix)
            {
                queue.updates.pop_front();
                queue.delay = Duration::ZERO;
                queue.fails = 0;
            }
            let Some(head) = queue.updates.front() else {
                self.queues.remove(&key);
                continue;
            };
            if queue.wake_at > now {
                next_wake = Some(next_wake.map_or(queue.wake_at, |w| w.min(queue.wake_at)));
                continue;
            }
            if due.len() >= room {
                continue;
            }
            queue.busy = true;
            due.push((key, head.clone()));
        }
        self.in_flight += due.len();
        (due, next_wake)
    }

    /// Records the outcome of delivering `update_id` from `key`'s queue:
    /// the head goes on a 2xx; otherwise it is retried at once the first
    /// time, then after a delay that doubles up to a random cap, or after
    /// the webhook's `Retry-After`, unless that would pass its expiry.
    pub(crate) fn finish(
        &mut self,
        key: &QueueKey,
        update_id: i64,
        outcome: Outcome,
        backoff: &Backoff,
        now_unix: i64,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(queue) = self.queues.get_mut(key) else {
            return;
        };
        queue.busy = false;
        if queue
            .updates
            .front()
            .is_none_or(|p| p.update_id != update_id)
        {
            // Dropped meanwhile (drop_pending_updates).
            return;
        }
        match outcome {
            Outcome::Delivered => {
                queue.updates.pop_front();
                queue.delay = Duration::ZERO;
                queue.fails = 0;
            }
            Outcome::Failed { retry_after } => {
                if queue.delay.is_zero() {
                    queue.delay = backoff.initial;
                }
                let mut wait = Duration::from_secs(retry_after.unwrap_or(0).min(3600));
                if retry_after.is_none() && queue.fails > 0 {
                    let cap = rand::thread_rng().gen_range(backoff.max..=backoff.max * 2);
                    queue.delay = (queue.delay * 2).min(cap);
                    wait = queue.delay;
                }
                let expires = queue.updates.front().map_or(0, |p| p.expires_at);
                if now_unix + wait.as_secs() as i64 > expires {
                    queue.updates.pop_front();
                    queue.delay = Duration::ZERO;
                    queue.fails = 0;
                } else {
                    queue.fails += 1;
                    queue.wake_at = Instant::now() + wait;
                }
            }
        }
        if queue.updates.is_empty() {
            self.queues.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending(id: i64) -> Pending {
        Pending {
            update_id: id,
            body: json!({}),
            expires_at: i64::MAX,
            produced: Instant::now(),
            load: None,
        }
    }

    const BACKOFF: Backoff = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
    };

    #[test]
    fn queues_follow_the_official_server() {
        let msg = json!({"message": {"chat": {"id": 7}}});
        assert_eq!(QueueKey::of("message", &msg, 1), QueueKey::Chat(7));
        let member =
            json!({"chat_member": {"chat": {"id": -1}, "new_chat_member": {"user": {"id": 42}}}});
        assert_eq!(QueueKey::of("chat_member", &member, 1), QueueKey::User(42));
        let request = json!({"chat_join_request": {"chat": {"id": -1}, "from": {"id": 42}}});
        assert_eq!(
            QueueKey::of("chat_join_request", &request, 1),
            QueueKey::User(42)
        );
        let mine = json!({"my_chat_member": {"chat": {"id": -5}}});
        assert_eq!(
            QueueKey::of("my_chat_member", &mine, 1),
            QueueKey::BotStatus(-5)
        );
        assert_eq!(
            QueueKey::of("poll", &json!({"poll": {}}), 9),
            QueueKey::Alone(9)
        );
    }

    #[test]
    fn a_failing_queue_holds_back_only_itself() {
        let mut u = Updates::default();
        u.push(QueueKey::Chat(1), pending(1), 0);
        u.push(QueueKey::Chat(1), pending(2), 0);
        u.push(QueueKey::Chat(2), pending(3), 0);
        let (due, _) = u.take_due(10, Instant::now(), 0);
        let ids: Vec<i64> = due.iter().map(|(_, p)| p.update_id).collect();
        assert_eq!(ids, vec![1, 3], "one head per queue");
        u.finish(
            &QueueKey::Chat(1),
            1,
            Outcome::Failed {
                retry_after: Some(60),
            },
            &BACKOFF,
            0,
        );
        u.finish(&QueueKey::Chat(2), 3, Outcome::Delivered, &BACKOFF, 0);
        let (due, wake) = u.take_due(10, Instant::now(), 0);
        assert!(due.is_empty(), "chat 1 waits for its Retry-After");
        assert!(wake.is_some());
        assert_eq!(u.len(), 2);
    }

    #[test]
    fn the_first_retry_is_immediate_then_delays_double() {
        let mut u = Updates::default();
        u.push(QueueKey::Chat(1), pending(1), 0);
        let failed = Outcome::Failed { retry_after: None };
        let mut waits = Vec::new();
        for _ in 0..4 {
            let now = Instant::now();
            let (due, _) = u.take_due(1, now + Duration::from_secs(3600), 0);
            assert_eq!(due.len(), 1);
            u.finish(&QueueKey::Chat(1), 1, failed, &BACKOFF, 0);
            let wake = u.queues[&QueueKey::Chat(1)].wake_at;
            waits.push(wake.saturating_duration_since(now).as_millis() / 10);
        }
        assert_eq!(waits, vec![0, 2, 4, 8]);
    }

    #[test]
    fn room_limits_parallel_deliveries_and_expired_updates_go() {
        let mut u = Updates::default();
        for chat in 0..5 {
            u.push(QueueKey::Chat(chat), pending(chat), 0);
        }
        assert!(!u.push(
            QueueKey::Chat(9),
            Pending {
                expires_at: 5,
                ..pending(9)
            },
            10
        ));
        let (due, _) = u.take_due(2, Instant::now(), 0);
        assert_eq!(due.len(), 2);
        let (more, _) = u.take_due(1, Instant::now(), 0);
        assert_eq!(more.len(), 1);
        u.push(
            QueueKey::Chat(7),
            Pending {
                expires_at: 20,
                ..pending(7)
            },
            10,
        );
        let (late, _) = u.take_due(10, Instant::now(), 30);
        assert!(
            late.iter().all(|(_, p)| p.update_id != 7),
            "expired meanwhile"
        );
    }
}
