//! The worker that sends welcome messages and answers to join requests
//! from the outbox: claims due items (a few per bot, so one bot's backlog
//! never holds up another's),
//! spaces each bot's messages to its send rate with `governor`, sends them
//! through the Telegram port, and records the outcome by the domain's
//! retry rules. A 429 pauses that bot's whole queue, in every instance.
//! Answers share their bot's rate with its messages. A greeting through a
//! join request's `user_chat_id` goes only inside its window
//! (`join_requests::greeting`), else it fails with the reason; the answer
//! to the request waits for it in the store's claim, and goes either way.
//!
//! Two bounds keep a slow or hung Telegram from multiplying the work: at
//! most `welcome.max_in_flight` sends are open at once in an instance (a
//! claim takes no more than there is room for), and a claim's lease always
//! outlasts the send it covers: it is longer than `telegram.timeout_ms`,
//! and a send does not start unless the send's whole timeout fits in what
//! is left of the lease. Each outcome is recorded under the claim's try
//! number, so a late outcome never touches a newer claim.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Notify, Semaphore};
use tracing::warn;
use usher_domain::BotToken;
use usher_domain::ports::{
    AnswerJob, JobOutcome, OutboxKind, OutboxStore, TelegramGateway, WelcomeJob,
};
use usher_domain::subscribers::join_requests::{Greeting, greeting};
use usher_domain::subscribers::{AfterFailure, SendFailure, WelcomeRetry};

/// A claimed item: a welcome or an answer.
enum Job {
    Welcome(Box<WelcomeJob>),
    Answer(AnswerJob),
}

impl Job {
    fn id(&self) -> i64 {
        match self {
            Job::Welcome(w) => w.id,
            Job::Answer(a) => a.id,
        }
    }

    fn tried(&self) -> Tried {
        let (bot, attempts, created) = match self {
            Job::Welcome(w) => (w.bot, w.attempts, w.created),
            Job::Answer(a) => (a.bot, a.attempts, a.created),
        };
        Tried {
            bot,
            attempts,
            created,
        }
    }

    fn token(&self) -> &Result<BotToken, String> {
        match self {
            Job::Welcome(w) => &w.token,
            Job::Answer(a) => &a.token,
        }
    }

    fn cancelled(&self) -> bool {
        match self {
            Job::Welcome(w) => w.cancelled,
            Job::Answer(a) => a.cancelled,
        }
    }

    /// Why a greeting through a join request's `user_chat_id` can no
    /// longer go, if it cannot; `None` for every other item.
    fn missed_greeting(&self) -> Option<&'static str> {
        let Job::Welcome(job) = self else {
            return None;
        };
        let requested = job.requested?;
        match greeting(requested.timestamp(), Utc::now().timestamp(), job.decided) {
            Greeting::Send => None,
            Greeting::Missed(reason) => Some(reason),
        }
    }
}

/// The shortest lease of a claimed welcome: past its lease another worker
/// takes it (`subscribers.md`: "taken again within 30 seconds", which holds
/// for every `telegram.timeout_ms` up to 10 s).
pub const LEASE_MIN: Duration = Duration::from_secs(20);

/// What a lease keeps beyond the send's timeout: the rate limiter's wait
/// before the send and the outcome's record after it.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// The lease of a claimed welcome when a send may take `send_timeout`.
pub fn lease_for(send_timeout: Duration) -> Duration {
    LEASE_MIN.max(send_timeout + LEASE_MARGIN)
}

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
    /// The longest a send may take (`telegram.timeout_ms`).
    send_timeout: Duration,
    /// One permit per welcome in flight in this instance.
    slots: Arc<Semaphore>,
    /// Woken when a welcome finishes and frees a slot.
    freed: Notify,
    limiter: Arc<DefaultKeyedRateLimiter<i64>>,
    /// Bots Telegram asked to wait, until when: items in hand go back to the
    /// queue instead of running into the same 429.
    paused: Mutex<HashMap<i64, Instant>>,
}

/// Headroom under the rate: messages leave 5% further apart than the limit
/// allows, so that jitter between leaving and arriving cannot put one more
/// than the limit into a second at Telegram's end.
const SPACING_MARGIN: f64 = 1.05;

/// How a welcome sender runs.
#[derive(Debug, Clone, Copy)]
pub struct WelcomeSenderSettings {
    /// Messages a second per bot (`telegram.send_rate_per_bot`).
    pub rate: u32,
    /// The retry rules.
    pub retry: WelcomeRetry,
    /// The longest one `sendMessage` may take (`telegram.timeout_ms`).
    pub send_timeout: Duration,
    /// Most welcomes in flight at once in this instance
    /// (`welcome.max_in_flight`).
    pub max_in_flight: usize,
}

impl WelcomeSender {
    /// A sender over `outbox`, sending through `telegram`.
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        telegram: Arc<dyn TelegramGateway>,
        settings: WelcomeSenderSettings,
    ) -> Self {
        let WelcomeSenderSettings {
            rate,
            retry,
            send_timeout,
            max_in_flight,
        } = settings;
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
            send_timeout,
            slots: Arc::new(Semaphore::new(max_in_flight.max(1))),
            freed: Notify::new(),
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
            let room = this.slots.available_permits().min(CLAIM_LIMIT as usize);
            if room == 0 {
                this.freed.notified().await;
                continue;
            }
            let room = u32::try_from(room).unwrap_or(CLAIM_LIMIT);
            let claimed_at = Instant::now();
            let jobs = match this.claim(room).await {
                Ok(jobs) => jobs,
                Err(err) => {
                    warn!(error = %format!("{:#}", err.0), "cannot claim welcome messages or answers");
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
                let Ok(permit) = this.slots.clone().try_acquire_owned() else {
                    // Cannot happen: only this loop takes slots, and it
                    // claimed no more than were free. The lease returns it.
                    continue;
                };
                let sender = this.clone();
                tokio::spawn(async move {
                    sender.send(job, claimed_at).await;
                    drop(permit);
                    sender.freed.notify_one();
                });
            }
            // Room for other bots' items and for the next items of the bots
            // just served once theirs are sent.
            this.outbox
                .wait_for_work(OutboxKind::Welcome, Duration::from_millis(50))
                .await;
        }
    }

    /// How long a claim is this instance's alone.
    fn lease(&self) -> Duration {
        lease_for(self.send_timeout)
    }

    /// Claims welcomes, then answers with the room left.
    async fn claim(&self, room: u32) -> Result<Vec<Job>, usher_domain::ports::StoreError> {
        let lease = self.lease();
        let welcomes = self.outbox.claim_welcomes(self.rate, room, lease).await?;
        let left = room.saturating_sub(u32::try_from(welcomes.len()).unwrap_or(room));
        let mut jobs: Vec<Job> = welcomes
            .into_iter()
            .map(|w| Job::Welcome(Box::new(w)))
            .collect();
        if left > 0 {
            let answers = self.outbox.claim_answers(self.rate, left, lease).await?;
            jobs.extend(answers.into_iter().map(Job::Answer));
        }
        Ok(jobs)
    }

    /// Tries one claimed item and records how it ended. Both kinds share
    /// every step but the call itself and where the outcome is written.
    async fn send(&self, job: Job, claimed_at: Instant) {
        let lease_ends = claimed_at + self.lease();
        let tried = job.tried();
        let outcome = match job.token() {
            _ if job.cancelled() => JobOutcome::Dropped("campaign or bot deleted".into()),
            Err(reason) => {
                let failure = SendFailure::Transient(reason.clone());
                self.after_failure(tried, failure).await
            }
            // Checked before the wait for the bot's turn (a missed greeting
            // spends none of its rate) and after it (the wait may outlast
            // the window).
            Ok(_) if let Some(missed) = job.missed_greeting() => JobOutcome::Failed(missed.into()),
            Ok(token) => match self.ready_to_send(tried.bot, lease_ends).await {
                Err(not_yet) => not_yet,
                Ok(()) if let Some(missed) = job.missed_greeting() => {
                    JobOutcome::Failed(missed.into())
                }
                Ok(()) => match self.deliver(&job, token).await {
                    Ok(()) => JobOutcome::Sent,
                    Err(failure) => self.after_failure(tried, failure).await,
                },
            },
        };
        let left = lease_ends.saturating_duration_since(Instant::now());
        let (id, attempts) = (job.id(), tried.attempts);
        let recorded = match &job {
            Job::Welcome(_) => {
                metrics::counter!("welcome_messages_total", "result" => result_of(&outcome))
                    .increment(1);
                crate::outcome_retry::with_retries(left, || {
                    self.outbox.finish(id, attempts, &outcome)
                })
                .await
            }
            Job::Answer(answer) => {
                metrics::counter!("join_request_answers_total", "answer" => answer.answer.as_str(), "result" => result_of(&outcome))
                    .increment(1);
                crate::outcome_retry::with_retries(left, || {
                    self.outbox.finish_answer(id, attempts, &outcome)
                })
                .await
            }
        };
        if let Err(err) = recorded {
            // The lease runs out and the item is tried again: a welcome at
            // worst sent twice; a second answer Telegram refuses (the
            // request is gone), which fails it.
            warn!(outbox.id = id, error = %format!("{:#}", err.0), "cannot record an outcome");
        }
    }

    /// The Telegram call of `job`.
    async fn deliver(&self, job: &Job, token: &BotToken) -> Result<(), SendFailure> {
        match job {
            Job::Welcome(w) => {
                let message = w.parts.message();
                self.telegram
                    .send_message(token, w.recipient, &message)
                    .await
            }
            Job::Answer(a) => {
                self.telegram
                    .answer_join_request(token, a.chat, a.user, a.answer)
                    .await
            }
        }
    }

    /// Waits for the bot's turn under its rate; `Err` with the outcome to
    /// record when it must not send now (paused by a 429, or the lease too
    /// short for a whole send).
    async fn ready_to_send(&self, bot: i64, lease_ends: Instant) -> Result<(), JobOutcome> {
        self.limiter.until_key_ready(&bot).await;
        if let Some(wait) = self.pause_left(bot) {
            // Back to the queue rather than into the same 429.
            Err(JobOutcome::Retry(wait, "flood control: waiting".into()))
        } else if Instant::now() + self.send_timeout + LEASE_MARGIN / 2 > lease_ends {
            // The send could outlast the lease, and another worker would
            // send it too: back to the queue, untried.
            Err(JobOutcome::Retry(
                Duration::ZERO,
                "lease too short to send".into(),
            ))
        } else {
            Ok(())
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

    async fn after_failure(&self, job: Tried, failure: SendFailure) -> JobOutcome {
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

/// What the retry rules need of a claimed item.
#[derive(Clone, Copy)]
struct Tried {
    bot: i64,
    attempts: u32,
    created: DateTime<Utc>,
}

/// The metric label of an outcome.
fn result_of(outcome: &JobOutcome) -> &'static str {
    match outcome {
        JobOutcome::Sent => "sent",
        JobOutcome::Failed(_) => "failed",
        JobOutcome::Dropped(_) => "dropped",
        JobOutcome::Retry(..) => "retry",
    }
}
