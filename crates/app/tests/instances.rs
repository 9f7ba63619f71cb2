//! Two deploys at the same moment on one fresh database: both `usher
//! migrate` at once (one applies, the other waits and finds it done), then
//! two `usher serve` serve the API and webhooks for any bot (usher keeps no
//! state between requests).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use serde_json::json;
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{
    Api, TestDb, UsherProcess, cli_account, fast_sandbox, settings_env, test_settings,
};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_start_together_and_serve_any_bot() {
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let db = TestDb::new();
    let settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    let env = settings_env(&settings);
    let migrations = std::thread::scope(|s| {
        let a = s.spawn(|| UsherProcess::migrate(Path::new(BIN), &env));
        let b = s.spawn(|| UsherProcess::migrate(Path::new(BIN), &env));
        [a.join().unwrap(), b.join().unwrap()]
    });
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert!(
        migrations.iter().all(|m| m.status.success()),
        "{}",
        migrations.iter().map(text).collect::<String>()
    );
    let applied = migrations
        .iter()
        .filter(|m| text(m).contains("applied migrations"))
        .count();
    assert_eq!(
        applied, 1,
        "one migrated, the other waited and found it done"
    );
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| UsherProcess::serve_only(Path::new(BIN), &env, "info"));
        let b = s.spawn(|| UsherProcess::serve_only(Path::new(BIN), &env, "info"));
        (a.join().unwrap(), b.join().unwrap())
    });

    let key = cli_account(Path::new(BIN), &db.url);
    let http = reqwest::Client::new();
    let bot = sandbox.create_bot("twinbot", "Twin", None);
    let added = Api::new(b.base_url()).add_bot(&key, &bot.token).await;
    let id = added["data"]["id"].as_i64().unwrap();
    let listed = Api::new(a.base_url())
        .get("/api/bots/list.json", &key, &[])
        .await;
    assert_eq!(listed["data"][0]["id"], id, "A sees what B added");

    // Updates delivered to A and B alike are applied.
    let secret = sandbox
        .bot(bot.id)
        .unwrap()
        .webhook
        .unwrap()
        .secret_token
        .unwrap();
    let owner = SandboxUser::new(1, "Owner");
    for (n, (instance, chat)) in [(&a, -1001), (&b, -1002)].into_iter().enumerate() {
        let promote = SandboxEvent::Promote {
            chat: SandboxChat {
                id: chat,
                title: format!("chat {chat}"),
                kind: "channel".into(),
            },
            by: owner.clone(),
            date: None,
        };
        let mut update = promote.to_update((bot.id, &bot.username, &bot.first_name));
        update["update_id"] = json!(n);
        let status = http
            .post(format!("{}/telegram/webhook/{id}", instance.base_url()))
            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
            .json(&update)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    for instance in [&a, &b] {
        let chats = Api::new(instance.base_url())
            .get("/api/bots/chats.json", &key, &[("id", &id.to_string())])
            .await;
        assert_eq!(chats["data"].as_array().unwrap().len(), 2, "{chats}");
    }
    sandbox.stop().await;
}
