//! `tg-sandbox`: a fake Telegram Bot API server for tests and demos.
//!
//! It speaks the Bot API over plain HTTP on loopback, as documented at
//! <https://core.telegram.org/bots/api>: `/bot<token>/<method>` with method
//! names matched case-insensitively, parameters from the query string,
//! JSON, form or multipart bodies, and Telegram's envelopes
//! (`{"ok":true,"result":...}` or `{"ok":false,"error_code":...,"description":...}`).
//! It holds fake bots and a small world of people and chats: people start
//! bots from deep links, write to them, block them, join and leave chats
//! and ask to join them, and the bots get the updates Telegram would send,
//! delivered as Telegram delivers them (parallel queues per chat and per
//! user, retries with backoff, `allowed_updates` applied when an update is
//! produced). Bots answer with `sendMessage` under Telegram's checks and
//! flood control. It can be told to fail a method (an error answer, a
//! delay, a dropped connection, a non-JSON body) so that clients reach
//! every error path.
//!
//! It shares no code with usher: it is an independent peer.
//!
//! Control it in-process through [`SandboxHandle`], or over HTTP under
//! `/_sandbox/` (see [`control`]).

mod allowed;
mod arguments;
mod bot_api;
mod chat_methods;
pub mod control;
mod delivery;
mod delivery_options;
mod envelope;
mod events;
mod faults;
mod flood;
mod invite_links;
mod load;
mod load_runs;
mod markdown;
mod methods;
mod params;
mod send;
mod state;
mod updates;
mod webhook_methods;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub use delivery_options::DeliveryOptions;
pub use events::{SandboxChat, SandboxEvent, SandboxUser};
pub use faults::{Fault, FaultKind};
pub use load_runs::{LoadReport, LoadSpec};
pub use state::{Attempt, CallRecord, FakeBot, SentMessage, WebhookState};

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Address to listen on; port 0 picks a free one.
    pub listen: String,
    /// Like the official server's `--local` mode: webhooks may use plain
    /// HTTP and any port. Without it, `setWebhook` insists on HTTPS and
    /// ports 443, 80, 88 or 8443, as Telegram does.
    pub local: bool,
    /// Retry timing of webhook deliveries.
    pub delivery: DeliveryOptions,
    /// Messages one bot may send in any one second before flood control
    /// answers 429 (Telegram: about 30).
    pub send_rate: u32,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            local: true,
            delivery: DeliveryOptions::default(),
            send_rate: 30,
        }
    }
}

/// A running sandbox.
#[derive(Clone)]
pub struct SandboxHandle {
    addr: SocketAddr,
    state: Arc<state::State>,
    server: ServerHandle,
}

/// Starts a sandbox in the current tokio runtime.
pub async fn start(options: SandboxOptions) -> std::io::Result<SandboxHandle> {
    let state = Arc::new(state::State::new(
        options.local,
        options.send_rate,
        tokio::runtime::Handle::current(),
        options.delivery,
    ));
    let shared = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .configure(control::routes)
            .default_service(web::to(bot_api::handle))
    })
    .workers(2)
    .disable_signals()
    .bind(&options.listen)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("no listen address"))?;
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(SandboxHandle {
        addr,
        state,
        server: handle,
    })
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to configure as the Bot API URL: `http://127.0.0.1:PORT`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Registers a new bot and returns it with its token.
    pub fn create_bot(&self, username: &str, first_name: &str, last_name: Option<&str>) -> FakeBot {
        delivery::create_bot(&self.state, username, first_name, last_name)
    }

    /// Gives bot `id` a new token, as @BotFather's /revoke does: the old
    /// token stops working. `None` for an unknown bot.
    pub fn regenerate_token(&self, id: i64) -> Option<String> {
        self.state.regenerate_token(id)
    }

    /// The bot as the sandbox holds it now.
    pub fn bot(&self, id: i64) -> Option<FakeBot> {
        self.state.bot(id)
    }

    /// Adds a fault; it applies to matching calls until used up or cleared.
    pub fn add_fault(&self, fault: Fault) {
        self.state.add_fault(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// The most Bot API calls that were being answered at once (each one
    /// holds a client connection while it lasts).
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak_in_flight()
    }

    /// Every Bot API call received so far, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.state.calls()
    }

    /// Produces an update (raw JSON) for bot `bot`, giving it the next
    /// `update_id` unless it has one, and queues it for delivery unless the
    /// bot's `allowed_updates` leave its kind out. Returns the `update_id`;
    /// `None` for an unknown bot.
    pub fn send_update(&self, bot: i64, update: serde_json::Value) -> Option<i64> {
        self.state.enqueue(bot, update).map(|(id, _)| id)
    }

    /// Makes `event` happen for bot `bot` and produces its update.
    pub fn send_event(&self, bot: i64, event: &SandboxEvent) -> Option<i64> {
        event.happen(&self.state, bot).map(|(id, _)| id)
    }

    /// Every invite link made by `createChatInviteLink`, as
    /// `{"chat", "link"}` with the `ChatInviteLink` as it is now, sorted by
    /// URL.
    pub fn links(&self) -> Vec<serde_json::Value> {
        self.state.lock().world.links()
    }

    /// Every message bot `bot` sent, oldest first.
    pub fn messages(&self, bot: i64) -> Vec<SentMessage> {
        self.state.sent(bot)
    }

    /// Waits until bot `bot` has no update left to deliver and none being
    /// delivered; `false` if some are still queued after `timeout`.
    pub async fn wait_delivered(&self, bot: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.state.is_idle(bot) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `getWebhookInfo` of bot `bot`.
    pub fn webhook_info(&self, bot: i64) -> Option<serde_json::Value> {
        let fake = self.state.bot(bot)?;
        Some(webhook_methods::webhook_info(&self.state, &fake))
    }

    /// Every delivery attempt to bot `bot`'s webhook, oldest first.
    pub fn attempts(&self, bot: i64) -> Vec<Attempt> {
        self.state.attempts(bot)
    }

    /// Tells the server to stop, without waiting for it.
    pub fn shutdown(&self) {
        self.state.stop();
        drop(self.server.stop(false));
    }

    /// Stops the server and waits until it has.
    pub async fn stop(&self) {
        self.state.stop();
        self.server.stop(false).await;
    }
}
