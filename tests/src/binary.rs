//! A cast for tests of the real `usher` binary: a sandbox that lets bots
//! send fast, a database, the environment that points a process at both,
//! and an account made with the CLI; and a campaign made through the API.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser};

use crate::api::Api;
use crate::db::TestDb;
use crate::process::{cli_account, settings_env};
use crate::setup::{fast_sandbox, test_settings};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What processes of the binary run against.
pub struct BinaryCast {
    /// The fake Telegram (no send-rate limit to speak of).
    pub sandbox: SandboxHandle,
    /// The database.
    pub db: TestDb,
    /// The environment of a process listening on [`BinaryCast::base`].
    pub env: Vec<(String, String)>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// An account's API key.
    pub key: String,
}

impl BinaryCast {
    /// A cast for `bin`, its environment with `extra` added.
    pub async fn new(bin: &Path, extra: &[(&str, &str)]) -> Self {
        let sandbox = usher_sandbox::start(SandboxOptions {
            send_rate: 1_000_000,
            ..fast_sandbox()
        })
        .await
        .unwrap();
        let db = TestDb::new();
        let port = free_port();
        let mut settings = test_settings(&db, &sandbox, &format!("http://127.0.0.1:{port}"));
        settings.http.listen = format!("127.0.0.1:{port}");
        let mut env = settings_env(&settings);
        env.push(("USHER__TELEGRAM__SEND_RATE_PER_BOT".into(), "1000".into()));
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let key = cli_account(bin, &db.url);
        Self {
            sandbox,
            db,
            env,
            base: format!("http://127.0.0.1:{port}"),
            key,
        }
    }

    /// The environment of a second instance, on a port of its own.
    pub fn other_instance_env(&self) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        let port = free_port();
        for (name, value) in &mut env {
            if name == "USHER__HTTP__LISTEN" {
                *value = format!("127.0.0.1:{port}");
            }
        }
        env
    }

    /// A bot `username` connected through the API, administering channel
    /// `chat`, with a campaign there made with `settings` (besides `bot`
    /// and `chat`): the bot's Telegram id and the campaign code.
    pub async fn campaign(&self, username: &str, chat: i64, settings: Value) -> (i64, String) {
        let bot = self.sandbox.create_bot(username, "Cast", None);
        let http = reqwest::Client::new();
        let added = Api::send(
            http.post(format!("{}/api/bots/add.json", self.base))
                .query(&[("id", &self.key)])
                .json(&json!({ "token": bot.token })),
        )
        .await;
        let id = added["data"]["id"].as_i64().unwrap();
        let channel = SandboxChat {
            id: chat,
            title: "C".into(),
            kind: "channel".into(),
        };
        self.sandbox.send_event(
            bot.id,
            &SandboxEvent::Promote {
                chat: channel,
                by: SandboxUser::new(1, "Owner"),
                date: None,
            },
        );
        assert!(
            self.sandbox
                .wait_delivered(bot.id, Duration::from_secs(10))
                .await
        );
        let mut body = json!({ "bot": id, "chat": chat });
        body.as_object_mut()
            .unwrap()
            .extend(settings.as_object().cloned().unwrap_or_default());
        let camp: Value = Api::send(
            http.post(format!("{}/api/camp/add.json", self.base))
                .query(&[("id", &self.key)])
                .json(&body),
        )
        .await;
        (bot.id, camp["data"]["code"].as_str().unwrap().to_owned())
    }

    /// `/start <code>-c<user>` from users 1 to `people`.
    pub fn start_all(&self, tg: i64, code: &str, people: i64) {
        for user in 1..=people {
            self.sandbox.send_event(
                tg,
                &SandboxEvent::Start {
                    user: SandboxUser::new(user, "P"),
                    payload: Some(format!("{code}-c{user}")),
                    date: None,
                },
            );
        }
    }
}
