//! `POST /api/bots/del.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::json;
use usher_sandbox::{Fault, FaultKind};
use usher_tests::{TestApp, error_of};

#[tokio::test(flavor = "multi_thread")]
async fn deletes_softly_drops_the_webhook_and_is_idempotent() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "delbot").await;

    let body = app
        .api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;
    assert_eq!(body, json!({ "status": "ok" }));
    assert!(app.sandbox.bot(bot.id).unwrap().webhook.is_none());
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    assert_eq!(
        list["data"][0]["status"], 3,
        "the row is kept, marked deleted"
    );

    let calls_before = app.sandbox.calls().len();
    let again = app
        .api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;
    assert_eq!(again, json!({ "status": "ok" }));
    assert_eq!(
        app.sandbox.calls().len(),
        calls_before,
        "deleting a deleted bot changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_even_when_telegram_is_unreachable() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "offlinebot").await;
    for kind in [FaultKind::Drop, FaultKind::Delay { ms: 3_000 }] {
        app.sandbox.clear_faults();
        app.sandbox.add_fault(Fault::on("deleteWebhook", kind));
        let body = app
            .api
            .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
            .await;
        assert_eq!(body, json!({ "status": "ok" }));
        let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
        assert_eq!(list["data"][0]["status"], 3);
        app.sandbox.clear_faults();
        app.add_bot(&acc, &bot.token).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_bot_is_id_and_stays_connected() {
    let app = TestApp::start().await;
    let a = app.account().await;
    let b = app.account().await;
    let (bot, id) = app.connected_bot(&a, "guardedbot").await;

    let foreign = app
        .api
        .post_json("/api/bots/del.json", &b.key, json!({ "id": id }))
        .await;
    let missing = app
        .api
        .post_json("/api/bots/del.json", &b.key, json!({ "id": id + 1000 }))
        .await;
    assert_eq!(error_of(&foreign), Some("id"));
    assert_eq!(foreign, missing);
    let list = app.api.get("/api/bots/list.json", &a.key, &[]).await;
    assert_eq!(list["data"][0]["status"], 0);
    assert!(app.sandbox.bot(bot.id).unwrap().webhook.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_deletes_and_re_adds_keep_one_consistent_record() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "flipbot").await;
    let tasks = (0..20).map(|i| {
        let api = app.api.clone();
        let key = acc.key.clone();
        let token = bot.token.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                api.post_json("/api/bots/del.json", &key, json!({ "id": id }))
                    .await
            } else {
                api.add_bot(&key, &token).await
            }
        })
    });
    for answer in futures_util::future::join_all(tasks).await {
        assert_eq!(answer.unwrap()["status"], "ok");
    }
    // Whatever order they ran in, the record and Telegram agree.
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    let rows = list["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id);
    let connected = rows[0]["status"] == 0;
    let hooked = app.sandbox.bot(bot.id).unwrap().webhook.is_some();
    assert_eq!(
        connected, hooked,
        "status {} but webhook set = {hooked}",
        rows[0]["status"]
    );
}
