//! The worker that sends postbacks from the outbox: claims due ones (each
//! lead's oldest pending one only, a bounded number per target so that a
//! slow or dead tracker holds up only its own, and a bounded share of the
//! instance's slots per account so that one account's many slow trackers
//! hold up only that account), sends each as a GET, and records the try by
//! the domain's retry rules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tracing::warn;
use usher_domain::ports::{OutboxKind, OutboxStore, PostbackJob, PostbackOutcome};
use usher_domain::postbacks::{PostbackRetry, Verdict};

use crate::postback_client::PostbackClient;

/// The shortest time between two claims of one sender, so that one claim
/// serves the postbacks queued and the slots freed meanwhile: claiming on
/// every notification and every finish kept a PostgreSQL backend busy with
/// claims alone at a thousand postbacks a second (the mixed benchmark).
const CLAIM_GAP: Duration = Duration::from_millis(10);

/// The shortest lease of a claimed postback; a longer timeout lengthens it
/// so that a slow answer is never taken by a second worker meanwhile.
const LEASE_MIN: Duration = Duration::from_secs(20);

/// How the sender runs.
#[derive(Debug, Clone, Copy)]
pub struct PostbackSenderSettings {
    /// The retry rules.
    pub retry: PostbackRetry,
    /// Most in flight to one target, across instances.
    pub per_target: u32,
    /// The longest one GET may take.
    pub timeout: Duration,
    /// Most in flight in this instance.
    pub max_in_flight: usize,
    /// Most in flight for one account in this instance.
    pub per_account: usize,
}

/// The postback sender of one instance.
pub struct PostbackSender {
    outbox: Arc<dyn OutboxStore>,
    client: PostbackClient,
    settings: PostbackSenderSettings,
    slots: Arc<Semaphore>,
    /// Postbacks in flight here, per account.
    accounts: Mutex<HashMap<i64, usize>>,
    /// Woken when a postback finishes: its target and its lead's next
    /// postback may be claimable now.
    freed: Notify,
}

impl PostbackSender {
    /// A sender over `outbox`, sending with `client`.
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        client: PostbackClient,
        settings: PostbackSenderSettings,
    ) -> Self {
        Self {
            outbox,
            client,
            settings,
            slots: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
            accounts: Mutex::new(HashMap::new()),
            freed: Notify::new(),
        }
    }

    fn lease(&self) -> Duration {
        LEASE_MIN.max(self.settings.timeout + Duration::from_secs(10))
    }

    /// Runs until the runtime ends.
    pub async fn run(self) {
        let this = Arc::new(self);
        loop {
            // Notifications and finishes that arrive meanwhile are kept for
            // the waits below.
            tokio::time::sleep(CLAIM_GAP).await;
            let room = u32::try_from(this.slots.available_permits()).unwrap_or(u32::MAX);
            if room == 0 {
                this.freed.notified().await;
                continue;
            }
            let share = u32::try_from(this.settings.per_account.max(1)).unwrap_or(u32::MAX);
            let rooms = this.account_rooms();
            let jobs = match this
                .outbox
                .claim_postbacks(
                    this.settings.per_target.max(1),
                    room,
                    this.lease(),
                    share,
                    &rooms,
                )
                .await
            {
                Ok(jobs) => jobs,
                Err(err) => {
                    warn!(error = %format!("{:#}", err.0), "cannot claim postbacks");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                tokio::select! {
                    () = this.outbox.wait_for_work(OutboxKind::Postback, Duration::from_millis(200)) => {}
                    () = this.freed.notified() => {}
                }
                continue;
            }
            this.count_in_flight(&jobs);
            for job in jobs {
                let Ok(permit) = this.slots.clone().acquire_owned().await else {
                    return;
                };
                let sender = this.clone();
                tokio::spawn(async move {
                    let account = job.account;
                    sender.send(job).await;
                    sender.done(account);
                    drop(permit);
                    sender.freed.notify_one();
                });
            }
        }
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<i64, usize>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Each account with postbacks in flight here and the room left in its
    /// share of this instance's slots (0 when it holds the whole share).
    fn account_rooms(&self) -> Vec<(i64, u32)> {
        let share = self.settings.per_account.max(1);
        self.accounts()
            .iter()
            .map(|(account, n)| {
                let room = share.saturating_sub(*n);
                (*account, u32::try_from(room).unwrap_or(u32::MAX))
            })
            .collect()
    }

    /// Counts the claimed jobs in flight for their accounts. The claim
    /// already keeps to each account's room ([`OutboxStore::claim_postbacks`]
    /// promises it), and only this loop adds to the counts, so no job here
    /// is past its account's share. (Claiming past the share and giving the
    /// excess back was the first design: an account one short of its share
    /// then got one postback per claim, and the rest were leased, given back
    /// and written twice for nothing.)
    fn count_in_flight(&self, jobs: &[PostbackJob]) {
        let mut accounts = self.accounts();
        for job in jobs {
            *accounts.entry(job.account).or_insert(0) += 1;
        }
    }

    /// A postback of `account` is no longer in flight.
    fn done(&self, account: i64) {
        let mut accounts = self.accounts();
        if let Some(in_flight) = accounts.get_mut(&account) {
            *in_flight = in_flight.saturating_sub(1);
            if *in_flight == 0 {
                accounts.remove(&account);
            }
        }
    }

    async fn send(&self, job: PostbackJob) {
        let attempt = self.client.get(&job.url).await;
        let age = (chrono::Utc::now() - job.created)
            .to_std()
            .unwrap_or_default();
        let judged = self.settings.retry.judge(job.attempts, age, &attempt);
        let result = match judged.verdict {
            Verdict::Delivered => "sent",
            Verdict::Retry(_) => "retry",
            Verdict::Failed => "failed",
        };
        let error = judged.error.map_or("", |e| e.as_str());
        metrics::counter!("postbacks_total", "result" => result, "error" => error).increment(1);
        if job.attempts > 1 {
            metrics::counter!("postback_retries_total").increment(1);
        }
        if judged.verdict == Verdict::Delivered {
            metrics::histogram!("postback_delivery_seconds").record(age.as_secs_f64());
        }
        let outcome = PostbackOutcome {
            verdict: judged.verdict,
            code: judged.code,
            error,
            detail: judged.detail,
        };
        // The lease outlasts the GET's timeout by at least 10 s.
        let recorded = crate::outcome_retry::with_retries(Duration::from_secs(5), || {
            self.outbox.finish_postback(job.id, job.attempts, &outcome)
        })
        .await;
        if let Err(err) = recorded {
            // The lease runs out and the postback is tried again: at worst
            // the tracker hears it twice.
            warn!(outbox.id = job.id, error = %format!("{:#}", err.0), "cannot record a postback's outcome");
        }
    }
}
