//! The database failing for a moment: the API says `db`, changes nothing
//! half-way, and recovers by itself once the database is back.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::json;
use usher_tests::{TestApp, error_of};

#[tokio::test(flavor = "multi_thread")]
async fn answers_db_during_an_outage_and_recovers_without_a_restart() {
    let app = TestApp::start_with(|s| s.database.timeout_ms = 1_000).await;
    let acc = app.account().await;
    let bot = app.bot("outagebot");

    app.db.cut_off().await;
    let started = Instant::now();
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(error_of(&list), Some("db"));
    let add = app.add_bot(&acc, &bot.token).await;
    assert_eq!(error_of(&add), Some("db"));
    let chats = app
        .api
        .get("/api/bots/chats.json", &acc.key, &[("id", "1")])
        .await;
    assert_eq!(error_of(&chats), Some("db"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answers come fast"
    );
    assert!(
        app.sandbox.bot(bot.id).unwrap().webhook.is_none(),
        "no webhook is set for a bot that could not be stored"
    );

    app.db.restore().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        if list["status"] == "ok" {
            assert_eq!(list["data"], json!([]), "nothing was half-written");
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let add = app.add_bot(&acc, &bot.token).await;
    assert_eq!(add["status"], "ok", "{add}");
}
