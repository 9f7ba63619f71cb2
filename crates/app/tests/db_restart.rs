//! PostgreSQL stopped for a few seconds while API calls and webhooks run:
//! the API answers `db`, webhooks get 503 with `Retry-After`, nothing is
//! half-written, and usher recovers without a restart once the database is
//! back. The database is a throwaway cluster of this test's own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{
    Api, TempCluster, TestDb, UsherProcess, cli_account, fast_sandbox, settings_env, test_settings,
};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

#[tokio::test(flavor = "multi_thread")]
async fn a_database_restart_is_reported_then_healed_without_restarting_usher() {
    let cluster = TempCluster::start();
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let unused = TestDb::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = test_settings(&unused, &sandbox, &format!("http://127.0.0.1:{port}"));
    settings.database.url = SecretString::from(cluster.url("usher"));
    settings.database.timeout_ms = 1_000;
    settings.http.listen = format!("127.0.0.1:{port}");
    let server = UsherProcess::serve(Path::new(BIN), &settings_env(&settings), "warn");
    let key = cli_account(Path::new(BIN), &cluster.url("usher"));
    let api = Api::new(server.base_url());
    let bot = sandbox.create_bot("restartbot", "Restart", None);
    let added = api.add_bot(&key, &bot.token).await;
    let id = added["data"]["id"].as_i64().unwrap();

    cluster.stop();
    // Updates keep coming while the database is down.
    for user in 0..20 {
        let join = SandboxEvent::Join {
            chat: SandboxChat {
                id: -100_777,
                title: "C".into(),
                kind: "channel".into(),
            },
            user: SandboxUser::new(500 + user, "U"),
            invite_link: None,
            via_join_request: false,
            date: None,
        };
        sandbox.send_event(bot.id, &join).unwrap();
    }
    let down = api.get("/api/bots/list.json", &key, &[]).await;
    assert_eq!(down, json!({ "status": "error", "error": "db" }));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sandbox
        .attempts(bot.id)
        .iter()
        .any(|a| a.status == Some(503))
    {
        assert!(
            Instant::now() < deadline,
            "webhooks did not get 503: {:?}",
            sandbox.attempts(bot.id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    cluster.start_again();
    let back = Instant::now();
    loop {
        if api.get("/api/bots/list.json", &key, &[]).await["status"] == "ok" {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "usher did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sandbox
            .wait_delivered(bot.id, Duration::from_secs(20))
            .await,
        "held updates delivered"
    );
    let (client, conn) = tokio_postgres::connect(&cluster.url("usher"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM member_events WHERE bot_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 20, "every update once, none half-written");
    sandbox.stop().await;
}
