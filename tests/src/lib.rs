//! The harness of usher's black-box tests: each test gets its own database,
//! its own `tg-sandbox` and the real usher server on a loopback port, and
//! talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test harness fails loudly

mod api;
mod binary;
mod cluster;
mod db;
mod pg_proxy;
mod process;
mod setup;
mod tools;
mod tracker;

use std::net::TcpListener;
use std::sync::{Arc, Once};
use std::time::Duration;

use usher_app::{Running, Settings};
use usher_domain::services::AccountService;
use usher_sandbox::{
    FakeBot, SandboxChat, SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser,
};
use usher_store::TokenCipher;

pub use api::{Api, error_of};
pub use binary::{BinaryCast, free_port};
pub use cluster::TempCluster;
pub use db::TestDb;
pub use pg_proxy::PgProxy;
pub use process::{UsherProcess, cli_account, settings_env};
pub use setup::{fast_sandbox, test_settings};
pub use tools::{chromium, node_tool, node_tools, python_tool};
pub use tracker::{Hit, Reply, Tracker};

/// One customer account of a test.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account id.
    pub id: i64,
    /// Its API key, `{id}-{secret}`.
    pub key: String,
}

/// The chat owner who promotes and demotes bots in sandbox events.
pub fn owner() -> SandboxUser {
    SandboxUser::new(1, "Owner")
}

/// A chat for sandbox events.
pub fn chat(id: i64, title: &str, kind: &str) -> SandboxChat {
    SandboxChat {
        id,
        title: title.into(),
        kind: kind.into(),
    }
}

/// A running usher with its own database and sandbox.
pub struct TestApp {
    /// The API client pointed at this server.
    pub api: Api,
    /// The fake Telegram.
    pub sandbox: SandboxHandle,
    /// The settings the server runs with.
    pub settings: Settings,
    accounts: AccountService,
    running: Running,
    /// Dropped last: the database outlives the server.
    pub db: TestDb,
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("TEST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

impl TestApp {
    /// A server with the test defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose settings `change` adjusts first.
    pub async fn start_with(change: impl FnOnce(&mut Settings)) -> Self {
        init_logs();
        let sandbox = usher_sandbox::start(SandboxOptions::default())
            .await
            .unwrap();
        let db = TestDb::new();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut settings = test_settings(&db, &sandbox, &format!("http://{addr}"));
        change(&mut settings);
        usher_store::migrate::run(&db.url).await.unwrap();
        let running = usher_app::server::start(&settings, listener).await.unwrap();
        let cipher = TokenCipher::generate_key();
        let store = usher_app::server::store(&settings, TokenCipher::from_base64(&cipher).unwrap())
            .unwrap();
        Self {
            api: Api::new(format!("http://{}", running.addr)),
            sandbox,
            settings,
            accounts: AccountService::new(Arc::new(store)),
            running,
            db,
        }
    }

    /// A new account and its key.
    pub async fn account(&self) -> Account {
        let key = self.accounts.create(Some("test")).await.unwrap();
        Account {
            id: key.account().0,
            key: key.reveal(),
        }
    }

    /// Rotates the key of `account`, returning the new key.
    pub async fn rotate_key(&self, account: &Account) -> String {
        let key = self
            .accounts
            .rotate_key(usher_domain::AccountId(account.id))
            .await
            .unwrap()
            .unwrap();
        key.reveal()
    }

    /// Suspends or reinstates `account`.
    pub async fn set_banned(&self, account: &Account, banned: bool) {
        assert!(
            self.accounts
                .set_banned(usher_domain::AccountId(account.id), banned)
                .await
                .unwrap()
        );
    }

    /// A new fake bot in the sandbox.
    pub fn bot(&self, username: &str) -> FakeBot {
        self.sandbox.create_bot(username, "Test", Some("Bot"))
    }

    /// `bots/add.json` for `account` with `token`; the answer.
    pub async fn add_bot(&self, account: &Account, token: &str) -> serde_json::Value {
        self.api.add_bot(&account.key, token).await
    }

    /// Connects a new bot to `account` through `bots/add.json`; returns the
    /// fake bot and our id of it.
    pub async fn connected_bot(&self, account: &Account, username: &str) -> (FakeBot, i64) {
        let bot = self.bot(username);
        let added = self.add_bot(account, &bot.token).await;
        let id = added["data"]["id"].as_i64().expect("bot added");
        let bot = self.sandbox.bot(bot.id).expect("bot exists");
        (bot, id)
    }

    /// The webhook secret Telegram (the sandbox) holds now for the Telegram
    /// bot `tg`; panics when it has no webhook or no secret.
    pub fn held_secret(&self, tg: i64) -> String {
        self.sandbox
            .bot(tg)
            .and_then(|bot| bot.webhook)
            .and_then(|hook| hook.secret_token)
            .expect("the bot has a webhook with a secret")
    }

    /// Has the sandbox produce `events` for the Telegram bot `tg` and
    /// returns once usher acknowledged them all.
    pub async fn happen(&self, tg: i64, events: impl IntoIterator<Item = SandboxEvent>) {
        for event in events {
            self.sandbox.send_event(tg, &event).unwrap();
        }
        assert!(
            self.sandbox
                .wait_delivered(tg, Duration::from_secs(10))
                .await,
            "events delivered"
        );
    }

    /// The owner makes the Telegram bot `tg` an administrator of `chats`;
    /// returns once usher acknowledged it.
    pub async fn promote(&self, tg: i64, chats: impl IntoIterator<Item = SandboxChat>) {
        let promotions = chats.into_iter().map(|chat| SandboxEvent::Promote {
            chat,
            by: owner(),
            date: None,
        });
        self.happen(tg, promotions.collect::<Vec<_>>()).await;
    }

    /// The admin chats `bots/chats.json` shows for bot `id`.
    pub async fn chats(&self, account: &Account, id: i64) -> serde_json::Value {
        let body = self
            .api
            .get(
                "/api/bots/chats.json",
                &account.key,
                &[("id", &id.to_string())],
            )
            .await;
        assert_eq!(body["status"], "ok", "{body}");
        body["data"].clone()
    }

    /// POSTs `update` straight to bot `id`'s webhook, as Telegram would,
    /// with `secret` in the header (none when `None`). Returns the status.
    pub async fn deliver(&self, id: i64, secret: Option<&str>, update: &serde_json::Value) -> u16 {
        let mut req = self
            .api
            .http()
            .post(format!("{}/telegram/webhook/{id}", self.api.base()))
            .json(update);
        if let Some(secret) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        req.send().await.unwrap().status().as_u16()
    }

    /// The text of `GET /metrics`.
    pub async fn metrics_text(&self) -> String {
        self.api
            .http()
            .get(format!("{}/metrics", self.api.base()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.addr
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the database is dropped with
        // FORCE afterwards, so nothing needs to be awaited here.
        drop(self.running.handle.stop(false));
        self.sandbox.shutdown();
    }
}
