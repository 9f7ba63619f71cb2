//! What the sandbox holds: bots with their webhooks and update queues, the
//! shared world of people and chats, faults, and a call log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::allowed;
use crate::delivery_options::DeliveryOptions;
use crate::faults::Fault;
use crate::flood::Flood;
use crate::load_runs::{LoadReport, Loads};
use crate::updates::{Backoff, Outcome, Pending, QueueKey, UPDATE_LIFETIME_S, Updates};
use crate::world::World;

/// A fake bot.
#[derive(Debug, Clone, Serialize)]
pub struct FakeBot {
    /// The bot's user id (the number before the colon of its token).
    pub id: i64,
    /// Its current token.
    pub token: String,
    /// Username, without `@`.
    pub username: String,
    /// First name.
    pub first_name: String,
    /// Last name, if any.
    pub last_name: Option<String>,
    /// The webhook set with `setWebhook`, if any.
    pub webhook: Option<WebhookState>,
    /// The update kinds the bot receives, in the server's order. It belongs
    /// to the bot: `setWebhook` or `getUpdates` without the parameter keep it.
    pub allowed_updates: Vec<String>,
}

/// A webhook as `setWebhook` recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookState {
    /// The URL updates go to.
    pub url: String,
    /// The `secret_token`, echoed in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret_token: Option<String>,
    /// `max_connections` (1-100, default 40): deliveries under way at once.
    pub max_connections: u32,
    /// `ip_address`, if given.
    pub ip_address: Option<String>,
}

/// One Bot API call the sandbox received.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    /// The method, lower-cased (`getme`, `setwebhook`, ...).
    pub method: String,
    /// The bot whose token was used, when the token was known.
    pub bot: Option<i64>,
}

/// One attempt to deliver an update.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The update.
    pub update_id: i64,
    /// The webhook's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, as `getWebhookInfo` reports it.
    pub error: Option<String>,
}

/// A message a bot sent, as the control API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    /// The chat it went to.
    pub chat_id: i64,
    /// `parse_mode` as given.
    pub parse_mode: Option<String>,
    /// The `Message` Telegram answered.
    pub message: Value,
    /// When the sandbox took it, Unix milliseconds.
    pub sent_at_ms: i64,
}

/// A delivery to make: where, and what.
pub(crate) struct Delivery {
    pub key: QueueKey,
    pub update_id: i64,
    pub body: String,
    pub url: String,
    pub secret: Option<String>,
    /// When the update was produced.
    pub produced: Instant,
    /// The load run that produced it, if one did.
    pub load: Option<u64>,
}

struct BotRuntime {
    updates: Updates,
    next_update_id: i64,
    last_error_date: Option<i64>,
    last_error_message: Option<String>,
    attempts: Vec<Attempt>,
    flood: Flood,
    floods: u64,
    sent: Vec<SentMessage>,
    notify: Arc<Notify>,
}

#[derive(Default)]
pub(crate) struct Inner {
    bots: HashMap<i64, FakeBot>,
    runtimes: HashMap<i64, BotRuntime>,
    pub(crate) world: World,
    faults: Vec<Fault>,
    calls: Vec<CallRecord>,
    loads: Loads,
}

struct Runtime {
    handle: tokio::runtime::Handle,
    client: reqwest::Client,
    options: DeliveryOptions,
}

/// The shared state behind the server and the handle.
pub(crate) struct State {
    inner: Mutex<Inner>,
    /// `--local` mode: plain-HTTP webhooks on any port are allowed.
    pub(crate) local: bool,
    /// Messages a second one bot may send.
    pub(crate) send_rate: u32,
    runtime: Runtime,
    stopped: AtomicBool,
    /// Bot API calls being answered now, and the most there ever were.
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// One Bot API call being answered; counted out when dropped.
pub(crate) struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn new_token(id: i64) -> String {
    let mut rng = rand::thread_rng();
    let secret: String = (0..35)
        .map(|_| char::from(SECRET_ALPHABET[rng.gen_range(0..SECRET_ALPHABET.len())]))
        .collect();
    format!("{id}:{secret}")
}

/// Now, in Unix seconds.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The kind of an update: its one field besides `update_id`.
pub(crate) fn kind_of(update: &Value) -> String {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "update_id").cloned())
        .unwrap_or_default()
}

impl State {
    pub(crate) fn new(
        local: bool,
        send_rate: u32,
        handle: tokio::runtime::Handle,
        options: DeliveryOptions,
    ) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            local,
            send_rate,
            runtime: Runtime {
                handle,
                client: reqwest::Client::new(),
                options,
            },
            stopped: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
        }
    }

    /// The state, locked. A panic while holding the lock leaves plain data
    /// behind; keep going.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a bot; its delivery loop is started by
    /// [`crate::delivery::create_bot`].
    pub(crate) fn register_bot(&self, username: &str, first: &str, last: Option<&str>) -> FakeBot {
        let mut inner = self.lock();
        let mut rng = rand::thread_rng();
        // Real bot ids today have 10 digits and exceed 32 bits.
        let mut id = rng.gen_range(5_000_000_000i64..9_000_000_000);
        while inner.bots.contains_key(&id) {
            id += 1;
        }
        let bot = FakeBot {
            id,
            token: new_token(id),
            username: username.to_owned(),
            first_name: first.to_owned(),
            last_name: last.map(str::to_owned),
            webhook: None,
            allowed_updates: allowed::default_kinds(),
        };
        inner.bots.insert(id, bot.clone());
        inner.runtimes.insert(
            id,
            BotRuntime {
                updates: Updates::default(),
                next_update_id: rng.gen_range(100_000_000..800_000_000),
                last_error_date: None,
                last_error_message: None,
                attempts: Vec::new(),
                flood: Flood::default(),
                floods: 0,
                sent: Vec::new(),
                notify: Arc::new(Notify::new()),
            },
        );
        bot
    }

    /// The HTTP client and timing the delivery loops use.
    pub(crate) fn delivery_setup(&self) -> (reqwest::Client, DeliveryOptions) {
        (self.runtime.client.clone(), self.runtime.options.clone())
    }

    /// Runs `task` on the sandbox's runtime.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.handle.spawn(task);
    }

    pub(crate) fn regenerate_token(&self, id: i64) -> Option<String> {
        let mut inner = self.lock();
        let bot = inner.bots.get_mut(&id)?;
        bot.token = new_token(id);
        Some(bot.token.clone())
    }

    pub(crate) fn bot(&self, id: i64) -> Option<FakeBot> {
        self.lock().bots.get(&id).cloned()
    }

    /// The bot whose current token is `token`.
    pub(crate) fn bot_by_token(&self, token: &str) -> Option<FakeBot> {
        let id: i64 = token.split_once(':')?.0.parse().ok()?;
        self.lock()
            .bots
            .get(&id)
            .filter(|bot| bot.token == token)
            .cloned()
    }

    /// Applies `change` to bot `id`, wakes its delivery task, and returns
    /// what `change` returns.
    pub(crate) fn with_bot<T>(&self, id: i64, change: impl FnOnce(&mut FakeBot) -> T) -> Option<T> {
        let mut inner = self.lock();
        let result = inner.bots.get_mut(&id).map(change);
        if let Some(runtime) = inner.runtimes.get(&id) {
            runtime.notify.notify_one();
        }
        result
    }

    /// Produces an update for bot `id`: gives it the next `update_id` unless
    /// it carries one, lets the world take it in, and queues it unless the
    /// bot did not ask for its kind or it is over a day old. Returns the
    /// `update_id` and whether it was queued; `None` for an unknown bot.
    pub(crate) fn enqueue(&self, id: i64, update: Value) -> Option<(i64, bool)> {
        self.enqueue_for(id, update, None)
    }

    /// [`State::enqueue`], for the load run `load` when given: its
    /// delivery is timed for that run.
    pub(crate) fn enqueue_for(
        &self,
        id: i64,
        mut update: Value,
        load: Option<u64>,
    ) -> Option<(i64, bool)> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let allowed = inner.bots.get(&id)?.allowed_updates.clone();
        let runtime = inner.runtimes.get_mut(&id)?;
        let update_id = match update.get("update_id").and_then(Value::as_i64) {
            Some(given) => given,
            None => {
                let next = runtime.next_update_id;
                runtime.next_update_id += 1;
                if let Some(object) = update.as_object_mut() {
                    // update_id first, as Telegram writes it.
                    let mut ordered = serde_json::Map::new();
                    ordered.insert("update_id".into(), Value::from(next));
                    ordered.extend(std::mem::take(object));
                    *object = ordered;
                }
                next
            }
        };
        let kind = kind_of(&update);
        inner.world.observe(id, &kind, &update);
        if !allowed.contains(&kind) {
            return Some((update_id, false));
        }
        let now = unix_now();
        let date = update[&kind]["date"].as_i64().unwrap_or(now);
        let key = QueueKey::of(&kind, &update, update_id);
        let pending = Pending {
            update_id,
            body: update,
            expires_at: date + UPDATE_LIFETIME_S,
            produced: Instant::now(),
            load,
        };
        let queued = runtime.updates.push(key, pending, now);
        runtime.notify.notify_one();
        Some((update_id, queued))
    }

    /// Drops every update still queued for bot `id`.
    pub(crate) fn drop_pending(&self, id: i64) {
        if let Some(runtime) = self.lock().runtimes.get_mut(&id) {
            runtime.updates.clear();
        }
    }

    pub(crate) fn notifier(&self, id: i64) -> Arc<Notify> {
        self.lock()
            .runtimes
            .get(&id)
            .map(|r| r.notify.clone())
            .unwrap_or_default()
    }

    /// The deliveries bot `id` may start now (none without a webhook), and
    /// when to look again.
    pub(crate) fn due_deliveries(&self, id: i64) -> (Vec<Delivery>, Option<Instant>) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(hook) = inner.bots.get(&id).and_then(|b| b.webhook.clone()) else {
            return (Vec::new(), None);
        };
        let Some(runtime) = inner.runtimes.get_mut(&id) else {
            return (Vec::new(), None);
        };
        let room = (hook.max_connections as usize).saturating_sub(runtime.updates.in_flight());
        let (due, wake) = runtime.updates.take_due(room, Instant::now(), unix_now());
        let deliveries = due
            .into_iter()
            .map(|(key, pending)| Delivery {
                key,
                update_id: pending.update_id,
                body: pending.body.to_string(),
                url: hook.url.clone(),
                secret: hook.secret_token.clone(),
                produced: pending.produced,
                load: pending.load,
            })
            .collect();
        (deliveries, wake)
    }

    /// Records how delivering `delivery` went and wakes the delivery task.
    pub(crate) fn finish_delivery(
        &self,
        id: i64,
        delivery: &Delivery,
        attempt: Attempt,
        outcome: Outcome,
        backoff: &Backoff,
    ) {
        let mut inner = self.lock();
        if let Some(load) = delivery.load {
            let delivered = matches!(outcome, Outcome::Delivered);
            inner
                .loads
                .record(load, delivered, delivery.produced.elapsed());
        }
        let Some(runtime) = inner.runtimes.get_mut(&id) else {
            return;
        };
        if let Some(message) = &attempt.error {
            runtime.last_error_date = Some(unix_now());
            runtime.last_error_message = Some(message.clone());
        }
        runtime.attempts.push(attempt);
        runtime.updates.finish(
            &delivery.key,
            delivery.update_id,
            outcome,
            backoff,
            unix_now(),
        );
        runtime.notify.notify_one();
    }

    /// Forgets bot `id`'s last delivery error, as the official server does
    /// whenever a webhook is closed or a new one is set
    /// (`Client::on_webhook_closed`, `Client::finish_set_webhook`).
    pub(crate) fn forget_webhook_error(&self, id: i64) {
        if let Some(runtime) = self.lock().runtimes.get_mut(&id) {
            runtime.last_error_date = None;
            runtime.last_error_message = None;
        }
    }

    /// `(pending_update_count, last_error_date, last_error_message)`.
    pub(crate) fn queue_info(&self, id: i64) -> (usize, Option<i64>, Option<String>) {
        self.lock()
            .runtimes
            .get(&id)
            .map(|r| {
                (
                    r.updates.len(),
                    r.last_error_date,
                    r.last_error_message.clone(),
                )
            })
            .unwrap_or((0, None, None))
    }

    /// Whether bot `id` has nothing queued and nothing being delivered.
    pub(crate) fn is_idle(&self, id: i64) -> bool {
        self.lock()
            .runtimes
            .get(&id)
            .is_none_or(|r| r.updates.is_idle())
    }

    /// The updates waiting for `getUpdates`, after confirming those below
    /// `offset` (when given).
    pub(crate) fn poll(&self, id: i64, offset: Option<i64>, limit: usize) -> Vec<Value> {
        let mut inner = self.lock();
        let Some(runtime) = inner.runtimes.get_mut(&id) else {
            return Vec::new();
        };
        if let Some(offset) = offset {
            runtime.updates.confirm_below(offset);
        }
        let now = unix_now();
        runtime
            .updates
            .all()
            .into_iter()
            .filter(|p| p.expires_at > now)
            .take(limit)
            .map(|p| p.body)
            .collect()
    }

    pub(crate) fn attempts(&self, id: i64) -> Vec<Attempt> {
        self.lock()
            .runtimes
            .get(&id)
            .map(|r| r.attempts.clone())
            .unwrap_or_default()
    }

    /// Load run `id` has produced `produced` updates so far; `done` when it
    /// has produced them all.
    pub(crate) fn load_progress(&self, id: u64, produced: u64, done: bool) {
        self.lock().loads.progress(id, produced, done);
    }

    /// How load run `id` went so far; `None` for an unknown run.
    pub(crate) fn load_report(&self, id: u64) -> Option<LoadReport> {
        self.lock().loads.report(id)
    }

    /// Registers a new load run as started; returns its id.
    pub(crate) fn start_load(&self) -> u64 {
        let mut inner = self.lock();
        let id = inner.loads.next_id();
        inner.loads.start(id);
        id
    }

    /// `Err(retry_after)` while bot `id` waits out a flood.
    pub(crate) fn flood_check(&self, id: i64) -> Result<(), u32> {
        let mut inner = self.lock();
        let Some(runtime) = inner.runtimes.get_mut(&id) else {
            return Ok(());
        };
        let checked = runtime.flood.check(Instant::now());
        runtime.floods += u64::from(checked.is_err());
        checked
    }

    /// Counts one message of bot `id` against its rate.
    pub(crate) fn flood_send(&self, id: i64) -> Result<(), u32> {
        let rate = self.send_rate;
        let mut inner = self.lock();
        let Some(runtime) = inner.runtimes.get_mut(&id) else {
            return Ok(());
        };
        let sent = runtime.flood.send(Instant::now(), rate);
        runtime.floods += u64::from(sent.is_err());
        sent
    }

    /// How many calls of bot `id` flood control answered 429.
    pub(crate) fn floods(&self, id: i64) -> u64 {
        self.lock().runtimes.get(&id).map_or(0, |r| r.floods)
    }

    /// Records a message bot `id` sent.
    pub(crate) fn record_sent(&self, id: i64, sent: SentMessage) {
        if let Some(runtime) = self.lock().runtimes.get_mut(&id) {
            runtime.sent.push(sent);
        }
    }

    /// Every message bot `id` sent, oldest first.
    pub(crate) fn sent(&self, id: i64) -> Vec<SentMessage> {
        self.lock()
            .runtimes
            .get(&id)
            .map(|r| r.sent.clone())
            .unwrap_or_default()
    }

    pub(crate) fn add_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// The first fault matching this call, used up by one if it is counted.
    pub(crate) fn take_fault(&self, method: &str, bot: Option<i64>) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner.faults.iter().position(|f| f.matches(method, bot))?;
        let fault = inner.faults[index].clone();
        if let Some(times) = inner.faults[index].times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                inner.faults.remove(index);
            }
        }
        Some(fault)
    }

    pub(crate) fn record_call(&self, method: &str, bot: Option<i64>) {
        self.lock().calls.push(CallRecord {
            method: method.to_owned(),
            bot,
        });
    }

    /// Counts a Bot API call in until the guard is dropped.
    pub(crate) fn call_started(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// The most Bot API calls that were being answered at once.
    pub(crate) fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn calls(&self) -> Vec<CallRecord> {
        self.lock().calls.clone()
    }

    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        for runtime in self.lock().runtimes.values() {
            runtime.notify.notify_one();
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}
