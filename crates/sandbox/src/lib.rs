//! `tg-sandbox`: a fake Telegram Bot API server for tests and demos.
//!
//! It speaks the Bot API over plain HTTP on loopback, as documented at
//! <https://core.telegram.org/bots/api>: `/bot<token>/<method>` with method
//! names matched case-insensitively, parameters from the query string,
//! JSON, form or multipart bodies, and Telegram's envelopes
//! (`{"ok":true,"result":...}` or `{"ok":false,"error_code":...,"description":...}`).
//! It holds fake bots, records `setWebhook`/`deleteWebhook`, and can be told
//! to fail a method (an error answer, a delay, a dropped connection, a
//! non-JSON body) so that clients reach every error path.
//!
//! It shares no code with usher: it is an independent peer.
//!
//! Control it in-process through [`SandboxHandle`], or over HTTP under
//! `/_sandbox/` (see [`control`]).

mod bot_api;
pub mod control;
mod envelope;
mod faults;
mod methods;
mod params;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub use faults::{Fault, FaultKind};
pub use state::{CallRecord, FakeBot, WebhookState};

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Address to listen on; port 0 picks a free one.
    pub listen: String,
    /// Like the official server's `--local` mode: webhooks may use plain
    /// HTTP and any port. Without it, `setWebhook` insists on HTTPS and
    /// ports 443, 80, 88 or 8443, as Telegram does.
    pub local: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            local: true,
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
    let state = Arc::new(state::State::new(options.local));
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
        self.state.create_bot(username, first_name, last_name)
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

    /// Every Bot API call received so far, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.state.calls()
    }

    /// Tells the server to stop, without waiting for it.
    pub fn shutdown(&self) {
        drop(self.server.stop(false));
    }

    /// Stops the server and waits until it has.
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}
