//! The worker that sends welcome messages from the outbox: claims due
//! items (a few per bot, so one bot's backlog never holds up another's),
//! spaces each bot's messages to its send rate with `governor`, sends them
//! through the Telegram port, and records the outcome by the domain's
//! retry rules. A 429 pauses that bot's whole queue, in every instance.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tracing::warn;
use usher_domain::ports::{JobOutcome, OutboxKind, OutboxStore, TelegramGateway, WelcomeJob};
use usher_domain::subscribers::{AfterFailure, SendFailure, WelcomeRetry};

/// How long a claimed welcome is its worker's alone; past it another worker
/// takes it (`subscribers.md`: "taken again within 30 seconds").
pub const LEASE: Duration = Duration::from_secs(20);

/// Most welcomes claimed at once.
const CLAIM_LIMIT: u32 = 1000;

/// The shortest time between two claims of one sender. Intake notifies on
/// every commit that queues work, hundreds of times a second under load,
/// and claiming on each notification kept a PostgreSQL backend busy with
/// claims alone (the mixed benchmark); one claim per gap takes everything
/// that fell due meanwhile, for a few milliseconds' wait.
const CLAIM_GAP: Duration = Duration::from_millis(20);

/// The welcome sender of one instance.
pub struct WelcomeSender {
    outbox: Arc<dyn OutboxStore>,
    telegram: Arc<dyn TelegramGateway>,
    rate: u32,
    retry: WelcomeRetry,
    limiter: Arc<DefaultKeyedRateLimiter<i64>>,
    /// Bots Telegram asked to wait, until when: items in hand go back to the
    /// queue instead of running into the same 429.
    paused: Mutex<HashMap<i64, Instant>>,
}

/// Headroom under the rate: messages leave 5% further apart than the limit
/// allows, so that jitter between leaving and arriving cannot put one more
/// than the limit into a second at Telegram's end.
const SPACING_MARGIN: f64 = 1.05;

impl WelcomeSender {
    /// A sender at `rate` messages a second per bot.
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        telegram: Arc<dyn TelegramGateway>,
        rate: u32,
        retry: WelcomeRetry,
    ) -> Self {
        let spacing = Duration::from_secs_f64(SPACING_MARGIN / f64::from(rate.max(1)));
        // No burst: messages are spaced, so no second holds more than `rate`.
        let quota = Quota::with_period(spacing)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        Self {
            outbox,
            telegram,
            rate: rate.max(1),
            retry,
            limiter: Arc::new(RateLimiter::keyed(quota)),
            paused: Mutex::new(HashMap::new()),
        }
    }

    /// Runs until the runtime ends.
    pub async fn run(self) {
        let this = Arc::new(self);
        let mut rounds: u64 = 0;
        loop {
            rounds += 1;
            if rounds.is_multiple_of(1000) {
                this.limiter.retain_recent();
            }
            // A notification that arrives meanwhile is kept for the wait below.
            tokio::time::sleep(CLAIM_GAP).await;
            let jobs = match this
                .outbox
                .claim_welcomes(this.rate, CLAIM_LIMIT, LEASE)
                .await
            {
                Ok(jobs) => jobs,
                Err(err) => {
                    warn!(error = %format!("{:#}", err.0), "cannot claim welcome messages");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                this.outbox
                    .wait_for_work(OutboxKind::Welcome, Duration::from_millis(200))
                    .await;
                continue;
            }
            for job in jobs {
                tokio::spawn(this.clone().send(job));
            }
            // Room for other bots' items and for the next items of the bots
            // just served once theirs are sent.
            this.outbox
                .wait_for_work(OutboxKind::Welcome, Duration::from_millis(50))
                .await;
        }
    }

    async fn send(self: Arc<Self>, job: WelcomeJob) {
        let outcome = if job.cancelled {
            JobOutcome::Dropped("campaign or bot deleted".into())
        } else {
            self.limiter.until_key_ready(&job.bot).await;
            match self.pause_left(job.bot) {
                // Back to the queue rather than into the same 429.
                Some(wait) => JobOutcome::Retry(wait, "flood control: waiting".into()),
                None => {
                    let message = job.parts.message();
                    match self
                        .telegram
                        .send_message(&job.token, job.recipient, &message)
                        .await
                    {
                        Ok(()) => JobOutcome::Sent,
                        Err(failure) => self.after_failure(&job, failure).await,
                    }
                }
            }
        };
        let result = match &outcome {
            JobOutcome::Sent => "sent",
            JobOutcome::Failed(_) => "failed",
            JobOutcome::Dropped(_) => "dropped",
            JobOutcome::Retry(..) => "retry",
        };
        metrics::counter!("welcome_messages_total", "result" => result).increment(1);
        let recorded =
            crate::outcome_retry::with_retries(LEASE / 2, || self.outbox.finish(job.id, &outcome))
                .await;
        if let Err(err) = recorded {
            // The lease runs out and the item is tried again: at worst sent twice.
            warn!(outbox.id = job.id, error = %format!("{:#}", err.0), "cannot record a welcome's outcome");
        }
    }

    /// How long bot `bot` must still wait after a 429, if it must.
    fn pause_left(&self, bot: i64) -> Option<Duration> {
        let mut paused = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        let until = *paused.get(&bot)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            paused.remove(&bot);
            return None;
        }
        Some(left)
    }

    async fn after_failure(&self, job: &WelcomeJob, failure: SendFailure) -> JobOutcome {
        if let SendFailure::RetryAfter(seconds) = failure {
            let wait = Duration::from_secs(seconds);
            self.paused
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(job.bot, Instant::now() + wait);
            if let Err(err) = self.outbox.pause_bot(job.bot, wait).await {
                warn!(bot.id = job.bot, error = %format!("{:#}", err.0), "cannot pause a bot's welcomes");
            }
        }
        let age = (chrono::Utc::now() - job.created)
            .to_std()
            .unwrap_or_default();
        let reason = match &failure {
            SendFailure::Permanent(reason) | SendFailure::Transient(reason) => reason.clone(),
            SendFailure::RetryAfter(seconds) => format!("flood control: retry after {seconds}"),
        };
        match self.retry.after(job.attempts, age, &failure) {
            AfterFailure::Retry(wait) => JobOutcome::Retry(wait, reason),
            AfterFailure::Fail(reason) => JobOutcome::Failed(reason),
        }
    }
}
