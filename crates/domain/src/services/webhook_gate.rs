//! The webhook's first check: a delivery's secret is compared with its
//! bot's before its body is parsed or queued, so forged deliveries (to any
//! bot id, with any body) cost one cached comparison or one primary-key
//! read and never a place in an intake batch. The authoritative check
//! stays in the intake transaction; this gate only keeps forgeries out.
//!
//! What the gate read is kept [`KEEP`] and trusted for [`FRESH`]: a secret
//! that matches what is kept passes; one that does not is refused if what
//! is kept is fresh, and read again otherwise (the bot may have been added
//! again with a new secret meanwhile, on another instance), so a real
//! delivery is never refused for a stale entry and a forger hammering one
//! bot costs at most one read a second. This instance forgets a bot when
//! it changes the bot's secret; a change on another instance can have a
//! delivery with the new secret refused (401, which Telegram retries) for
//! at most [`FRESH`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::BotId;
use crate::ports::{IntakeStore, StoreError, WebhookTarget};
use crate::secret::matches_digest;

/// How long a read bot (or the absence of one) is trusted to refuse.
pub const FRESH: Duration = Duration::from_secs(1);

/// How long a read bot is kept to let a matching secret through.
pub const KEEP: Duration = Duration::from_secs(60);

/// Most bots kept; past it the gate starts over.
const CAPACITY: usize = 100_000;

/// What the gate says of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The secret is the bot's; whether the bot is deleted.
    Pass {
        /// The bot is soft-deleted (acknowledged, nothing recorded).
        deleted: bool,
    },
    /// No such bot.
    UnknownBot,
    /// The secret is missing or wrong.
    BadSecret,
    /// The secret is the one an add in progress is giving Telegram: the
    /// delivery should come again shortly.
    Pending,
}

struct Entry {
    target: Option<WebhookTarget>,
    read_at: Instant,
}

/// The secrets of recently seen bots.
#[derive(Clone, Default)]
pub struct WebhookGate {
    entries: Arc<Mutex<HashMap<i64, Entry>>>,
}

fn judge(target: Option<&WebhookTarget>, presented: &str) -> Gate {
    match target {
        None => Gate::UnknownBot,
        Some(_) if presented.is_empty() => Gate::BadSecret,
        Some(t) if matches_digest(presented, &t.secret_digest) => Gate::Pass { deleted: t.deleted },
        Some(WebhookTarget {
            pending_digest: Some(pending),
            ..
        }) if matches_digest(presented, pending) => Gate::Pending,
        Some(_) => Gate::BadSecret,
    }
}

impl WebhookGate {
    /// Judges a delivery to `bot` presenting `presented` (`""` for none),
    /// reading the bot from `store` only when what is kept cannot decide.
    pub async fn check(
        &self,
        store: &dyn IntakeStore,
        bot: BotId,
        presented: &str,
    ) -> Result<Gate, StoreError> {
        let kept = {
            let entries = self.lock();
            entries.get(&bot.0).and_then(|e| {
                let age = e.read_at.elapsed();
                (age < KEEP).then(|| (judge(e.target.as_ref(), presented), age < FRESH))
            })
        };
        match kept {
            Some((pass @ Gate::Pass { .. }, _)) => return Ok(pass),
            // A pending secret becomes the bot's at any moment: read again.
            Some((Gate::Pending, _)) => {}
            Some((refused, true)) => return Ok(refused),
            _ => {}
        }
        let target = store.webhook_target(bot).await?;
        let verdict = judge(target.as_ref(), presented);
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            bot.0,
            Entry {
                target,
                read_at: Instant::now(),
            },
        );
        Ok(verdict)
    }

    /// Drops what is kept of `bot`, so its next delivery reads it again
    /// (called when this instance changes the bot's secret).
    pub fn forget(&self, bot: BotId) {
        self.lock().remove(&bot.0);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::intake::IncomingUpdate;
    use crate::ports::Applied;
    use crate::secret::digest_of;

    /// One bot whose secrets the test sets; counts the reads.
    struct OneBot {
        target: Mutex<Option<WebhookTarget>>,
        reads: AtomicUsize,
    }

    impl OneBot {
        fn new(current: &str, pending: Option<&str>) -> Self {
            let bot = Self {
                target: Mutex::new(None),
                reads: AtomicUsize::new(0),
            };
            bot.set(current, pending);
            bot
        }

        fn set(&self, current: &str, pending: Option<&str>) {
            *self.target.lock().unwrap() = Some(WebhookTarget {
                secret_digest: digest_of(current).to_vec(),
                deleted: false,
                pending_digest: pending.map(|p| digest_of(p).to_vec()),
            });
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl IntakeStore for OneBot {
        async fn webhook_target(&self, bot: BotId) -> Result<Option<WebhookTarget>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok((bot == BotId(1))
                .then(|| self.target.lock().unwrap().clone())
                .flatten())
        }

        async fn apply_update(
            &self,
            _: BotId,
            _: &[u8; 32],
            _: &IncomingUpdate,
            _: &str,
        ) -> Result<Applied, StoreError> {
            unreachable!("the gate never applies")
        }
    }

    #[tokio::test]
    async fn a_forger_costs_one_read_per_fresh_period_and_the_real_secret_passes() {
        let store = OneBot::new("real", None);
        let gate = WebhookGate::default();
        for _ in 0..100 {
            let verdict = gate.check(&store, BotId(1), "forged").await.unwrap();
            assert_eq!(verdict, Gate::BadSecret);
        }
        assert_eq!(store.reads(), 1);
        let verdict = gate.check(&store, BotId(1), "real").await.unwrap();
        assert_eq!(verdict, Gate::Pass { deleted: false });
        assert_eq!(
            gate.check(&store, BotId(1), "").await.unwrap(),
            Gate::BadSecret
        );
        assert_eq!(
            gate.check(&store, BotId(2), "real").await.unwrap(),
            Gate::UnknownBot
        );
    }

    #[tokio::test]
    async fn a_pending_secret_is_told_to_come_again_and_read_each_time() {
        let store = OneBot::new("old", Some("new"));
        let gate = WebhookGate::default();
        assert_eq!(
            gate.check(&store, BotId(1), "new").await.unwrap(),
            Gate::Pending
        );
        assert_eq!(
            gate.check(&store, BotId(1), "old").await.unwrap(),
            Gate::Pass { deleted: false }
        );
        // The add commits: the pending secret is the bot's at the next read.
        store.set("new", None);
        assert_eq!(
            gate.check(&store, BotId(1), "new").await.unwrap(),
            Gate::Pass { deleted: false }
        );
        assert_eq!(store.reads(), 2);
    }

    #[tokio::test]
    async fn a_forgotten_bot_is_read_again() {
        let store = OneBot::new("old", None);
        let gate = WebhookGate::default();
        assert_eq!(
            gate.check(&store, BotId(1), "new").await.unwrap(),
            Gate::BadSecret
        );
        store.set("new", None);
        gate.forget(BotId(1));
        assert_eq!(
            gate.check(&store, BotId(1), "new").await.unwrap(),
            Gate::Pass { deleted: false }
        );
        assert_eq!(store.reads(), 2);
    }
}
