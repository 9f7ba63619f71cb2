//! What the sandbox holds: bots, their webhooks, faults, and a call log.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use serde::Serialize;

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

#[derive(Default)]
struct Inner {
    bots: HashMap<i64, FakeBot>,
    faults: Vec<Fault>,
    calls: Vec<CallRecord>,
}

/// The shared state behind the server and the handle.
pub(crate) struct State {
    inner: Mutex<Inner>,
    /// `--local` mode: plain-HTTP webhooks on any port are allowed.
    pub(crate) local: bool,
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
    pub(crate) fn new(local: bool) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            local,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn create_bot(&self, username: &str, first: &str, last: Option<&str>) -> FakeBot {
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

    /// Applies `change` to bot `id`'s webhook and returns what it returns.
    pub(crate) fn with_webhook<T>(
        &self,
        id: i64,
        change: impl FnOnce(&mut Option<WebhookState>) -> T,
    ) -> Option<T> {
        let mut inner = self.lock();
        inner.bots.get_mut(&id).map(|bot| change(&mut bot.webhook))
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
}
