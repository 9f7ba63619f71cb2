//! No bot token, webhook secret or API key ever reaches a log line (at
//! `trace`), a response, or the database in plain text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::process::Command;

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind, SandboxOptions};
use usher_tests::{TestDb, UsherProcess, settings_env, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
    seen: Vec<String>,
}

impl Client {
    async fn post(&mut self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .query(&[("id", &self.key)])
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = res.text().await.unwrap();
        self.seen.push(text.clone());
        serde_json::from_str(&text).unwrap()
    }

    async fn get(&mut self, path: &str, query: &[(&str, &str)]) -> Value {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .bearer_auth(&self.key)
            .query(query)
            .send()
            .await
            .unwrap();
        let text = res.text().await.unwrap();
        self.seen.push(text.clone());
        serde_json::from_str(&text).unwrap()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_appear_in_logs_responses_or_the_database() {
    let sandbox = usher_sandbox::start(SandboxOptions::default())
        .await
        .unwrap();
    let db = TestDb::new();
    let create = Command::new(BIN)
        .args(["account", "create", "--config-dir", "/nonexistent"])
        .env("USHER__DATABASE__URL", &db.url)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(create.status.success());
    let key = String::from_utf8(create.stdout).unwrap().trim().to_owned();
    let mut settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    settings.telegram.timeout_ms = 1_000;
    let mut server =
        UsherProcess::serve(std::path::Path::new(BIN), &settings_env(&settings), "trace");
    let mut api = Client {
        base: server.base_url(),
        key: key.clone(),
        http: reqwest::Client::new(),
        seen: Vec::new(),
    };

    let mut tokens = Vec::new();
    let mut webhook_secrets = Vec::new();
    let bot = sandbox.create_bot("secretbot", "Secret", None);
    tokens.push(bot.token.clone());

    // Connect, then every failure path of add.
    let added = api
        .post("/api/bots/add.json", json!({ "token": bot.token }))
        .await;
    let id = added["data"]["id"].as_i64().unwrap();
    webhook_secrets.extend(sandbox.bot(bot.id).unwrap().webhook.unwrap().secret_token);
    for kind in [
        FaultKind::Error {
            status: 500,
            description: format!("Internal Server Error for {}", bot.token),
            retry_after: None,
        },
        FaultKind::Error {
            status: 429,
            description: "Too Many Requests: retry after 3".into(),
            retry_after: Some(3),
        },
        FaultKind::Drop,
        FaultKind::Garbage { status: 200 },
        FaultKind::Delay { ms: 1_500 },
    ] {
        for method in ["getMe", "setWebhook"] {
            sandbox.clear_faults();
            sandbox.add_fault(Fault::on(method, kind.clone()));
            let answer = api
                .post("/api/bots/add.json", json!({ "token": bot.token }))
                .await;
            assert_eq!(answer["status"], "error", "{method} {kind:?}");
        }
    }
    sandbox.clear_faults();
    sandbox.add_fault(Fault::on(
        "setWebhook",
        FaultKind::Error {
            status: 400,
            description: format!("Bad Request: bad webhook: {}", bot.token),
            retry_after: None,
        },
    ));
    api.post("/api/bots/add.json", json!({ "token": bot.token }))
        .await;
    sandbox.clear_faults();

    // A rejected token, a malformed one, and Telegram unreachable.
    let rejected = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq".to_owned();
    api.post("/api/bots/add.json", json!({ "token": rejected }))
        .await;
    tokens.push(rejected);

    // A regenerated token, then delete with deleteWebhook failing, then restore.
    let regenerated = sandbox.regenerate_token(bot.id).unwrap();
    api.post("/api/bots/add.json", json!({ "token": regenerated }))
        .await;
    webhook_secrets.extend(sandbox.bot(bot.id).unwrap().webhook.unwrap().secret_token);
    tokens.push(regenerated.clone());
    sandbox.add_fault(Fault::on("deleteWebhook", FaultKind::Drop).times(1));
    assert_eq!(
        api.post("/api/bots/del.json", json!({ "id": id })).await["status"],
        "ok"
    );
    api.post("/api/bots/add.json", json!({ "token": regenerated }))
        .await;
    webhook_secrets.extend(sandbox.bot(bot.id).unwrap().webhook.unwrap().secret_token);
    api.get("/api/bots/list.json", &[]).await;
    api.get("/api/bots/chats.json", &[("id", &id.to_string())])
        .await;
    server.terminate();

    let logs = server.output();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logs were captured at trace level"
    );
    assert!(
        logs.contains("setWebhook failed"),
        "the failures were logged"
    );
    let client = db.connect().await;
    let mut dump = String::new();
    for table in ["accounts", "bots", "bot_chats"] {
        for row in client
            .query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])
            .await
            .unwrap()
        {
            dump.push_str(row.get::<_, &str>(0));
            dump.push('\n');
        }
    }
    assert!(dump.contains("secretbot"), "the dump holds the bot rows");
    let responses = api.seen.join("\n");

    let key_secret = key.split_once('-').unwrap().1.to_owned();
    let mut secrets: Vec<String> = Vec::new();
    for token in &tokens {
        secrets.push(token.clone());
        secrets.push(token.split_once(':').unwrap().1.to_owned());
    }
    secrets.extend(webhook_secrets.iter().cloned());
    secrets.push(key_secret);
    assert!(webhook_secrets.len() >= 3);
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        assert!(
            !responses.contains(secret.as_str()),
            "a secret is in a response"
        );
        assert!(
            !dump.contains(secret.as_str()),
            "a secret is in the database"
        );
        assert!(
            !dump.contains(&hex(secret.as_bytes())),
            "a secret is in the database as bytes"
        );
    }
    sandbox.stop().await;
}
