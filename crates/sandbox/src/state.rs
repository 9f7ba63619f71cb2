//! What the sandbox holds: bots, their webhooks and update queues, faults,
//! and a call log.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::delivery::{self, DeliveryOptions, kind_of};
use crate::faults::Fault;

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
}

/// A webhook as `setWebhook` recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookState {
    /// The URL updates go to.
    pub url: String,
    /// The `secret_token`, echoed in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret_token: Option<String>,
    /// The update kinds asked for (empty: Telegram's default set).
    pub allowed_updates: Vec<String>,
    /// `max_connections` (1-100, default 40).
    pub max_connections: u32,
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

/// The next update to deliver and where.
pub(crate) struct NextDelivery {
    pub update_id: i64,
    pub kind: String,
    pub body: String,
    pub url: String,
    pub secret: Option<String>,
    pub allowed_updates: Vec<String>,
}

struct BotQueue {
    pending: VecDeque<(i64, Value)>,
    next_update_id: i64,
    last_error_date: Option<i64>,
    last_error_message: Option<String>,
    attempts: Vec<Attempt>,
    notify: Arc<Notify>,
}

#[derive(Default)]
struct Inner {
    bots: HashMap<i64, FakeBot>,
    queues: HashMap<i64, BotQueue>,
    /// The bot's ChatMember in each chat, as its `my_chat_member` updates said.
    memberships: HashMap<(i64, i64), Value>,
    faults: Vec<Fault>,
    calls: Vec<CallRecord>,
}

/// How delivery tasks are started.
struct Delivery {
    runtime: tokio::runtime::Handle,
    client: reqwest::Client,
    options: DeliveryOptions,
}

/// The shared state behind the server and the handle.
pub(crate) struct State {
    inner: Mutex<Inner>,
    /// `--local` mode: plain-HTTP webhooks on any port are allowed.
    pub(crate) local: bool,
    delivery: Delivery,
    stopped: AtomicBool,
}

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn new_token(id: i64) -> String {
    let mut rng = rand::thread_rng();
    let secret: String = (0..35)
        .map(|_| char::from(SECRET_ALPHABET[rng.gen_range(0..SECRET_ALPHABET.len())]))
        .collect();
    format!("{id}:{secret}")
}

impl State {
    pub(crate) fn new(
        local: bool,
        runtime: tokio::runtime::Handle,
        options: DeliveryOptions,
    ) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            local,
            delivery: Delivery {
                runtime,
                client: reqwest::Client::new(),
                options,
            },
            stopped: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a bot and starts its delivery task.
    pub(crate) fn create_bot(
        self: &Arc<Self>,
        username: &str,
        first: &str,
        last: Option<&str>,
    ) -> FakeBot {
        let bot = {
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
            };
            inner.bots.insert(id, bot.clone());
            inner.queues.insert(
                id,
                BotQueue {
                    pending: VecDeque::new(),
                    next_update_id: rng.gen_range(100_000_000..800_000_000),
                    last_error_date: None,
                    last_error_message: None,
                    attempts: Vec::new(),
                    notify: Arc::new(Notify::new()),
                },
            );
            bot
        };
        self.delivery.runtime.spawn(delivery::run(
            self.clone(),
            bot.id,
            self.delivery.client.clone(),
            self.delivery.options.clone(),
        ));
        bot
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

    /// Applies `change` to bot `id`'s webhook, wakes its delivery task, and
    /// returns what `change` returns.
    pub(crate) fn with_webhook<T>(
        &self,
        id: i64,
        change: impl FnOnce(&mut Option<WebhookState>) -> T,
    ) -> Option<T> {
        let mut inner = self.lock();
        let result = inner.bots.get_mut(&id).map(|bot| change(&mut bot.webhook));
        if let Some(queue) = inner.queues.get(&id) {
            queue.notify.notify_one();
        }
        result
    }

    /// Queues an update for bot `id`, giving it the next `update_id` unless
    /// it carries one. Returns the `update_id`, or `None` for an unknown bot.
    pub(crate) fn enqueue(&self, id: i64, mut update: Value) -> Option<i64> {
        let mut inner = self.lock();
        let queue = inner.queues.get_mut(&id)?;
        let update_id = match update.get("update_id").and_then(Value::as_i64) {
            Some(given) => given,
            None => {
                let next = queue.next_update_id;
                queue.next_update_id += 1;
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
        queue.notify.notify_one();
        // Telegram's own view changes when the update is produced, not when
        // it is delivered.
        if let Some(change) = update.get("my_chat_member")
            && let Some(chat) = change["chat"]["id"].as_i64()
        {
            let member = change["new_chat_member"].clone();
            queue.pending.push_back((update_id, update.clone()));
            inner.memberships.insert((id, chat), member);
        } else {
            queue.pending.push_back((update_id, update));
        }
        Some(update_id)
    }

    /// The bot's ChatMember object in `chat`, if it was ever there.
    pub(crate) fn membership(&self, id: i64, chat: i64) -> Option<Value> {
        self.lock().memberships.get(&(id, chat)).cloned()
    }

    /// Drops every update still queued for bot `id`.
    pub(crate) fn drop_pending(&self, id: i64) {
        if let Some(queue) = self.lock().queues.get_mut(&id) {
            queue.pending.clear();
        }
    }

    pub(crate) fn queue_notify(&self, id: i64) -> Arc<Notify> {
        self.lock()
            .queues
            .get(&id)
            .map(|q| q.notify.clone())
            .unwrap_or_default()
    }

    /// The update at the head of bot `id`'s queue, if it has a webhook.
    pub(crate) fn next_delivery(&self, id: i64) -> Option<NextDelivery> {
        let inner = self.lock();
        let hook = inner.bots.get(&id)?.webhook.clone()?;
        let (update_id, update) = inner.queues.get(&id)?.pending.front()?.clone();
        Some(NextDelivery {
            update_id,
            kind: kind_of(&update),
            body: update.to_string(),
            url: hook.url,
            secret: hook.secret_token,
            allowed_updates: hook.allowed_updates,
        })
    }

    /// Removes `update_id` from the head of bot `id`'s queue.
    pub(crate) fn finish_delivery(&self, id: i64, update_id: i64) {
        if let Some(queue) = self.lock().queues.get_mut(&id)
            && queue.pending.front().is_some_and(|(u, _)| *u == update_id)
        {
            queue.pending.pop_front();
        }
    }

    pub(crate) fn record_attempt(
        &self,
        id: i64,
        update_id: i64,
        status: Option<u16>,
        error: Option<String>,
    ) {
        if let Some(queue) = self.lock().queues.get_mut(&id) {
            if let Some(message) = &error {
                queue.last_error_date = Some(chrono::Utc::now().timestamp());
                queue.last_error_message = Some(message.clone());
            }
            queue.attempts.push(Attempt {
                update_id,
                status,
                error,
            });
        }
    }

    /// `(pending_update_count, last_error_date, last_error_message)`.
    pub(crate) fn queue_info(&self, id: i64) -> (usize, Option<i64>, Option<String>) {
        self.lock()
            .queues
            .get(&id)
            .map(|q| {
                (
                    q.pending.len(),
                    q.last_error_date,
                    q.last_error_message.clone(),
                )
            })
            .unwrap_or((0, None, None))
    }

    pub(crate) fn attempts(&self, id: i64) -> Vec<Attempt> {
        self.lock()
            .queues
            .get(&id)
            .map(|q| q.attempts.clone())
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

    pub(crate) fn calls(&self) -> Vec<CallRecord> {
        self.lock().calls.clone()
    }

    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        for queue in self.lock().queues.values() {
            queue.notify.notify_one();
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}
