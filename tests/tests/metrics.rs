//! `GET /metrics`: requests by route and outcome, webhook updates by kind
//! and result, Telegram calls by method and result, pool and bot gauges.
//! (One test in this binary: the recorder is process-wide.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::json;
use usher_sandbox::SandboxEvent;
use usher_tests::{TestApp, chat, owner};

/// One bot in each status: Active (`active`), Warning (a campaign's chat
/// where it was demoted), Deleted.
async fn bots_in_every_status(app: &TestApp, acc: &usher_tests::Account) {
    let (warned, warned_id) = app.connected_bot(acc, "warnedbot").await;
    let tracked = chat(-1_001_000_000_777, "Tracked", "channel");
    app.promote(warned.id, [tracked.clone()]).await;
    let campaign = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": warned_id, "chat": tracked.id, "welcome": "Hi" }),
        )
        .await;
    assert_eq!(campaign["status"], "ok", "{campaign}");
    let demote = SandboxEvent::Demote {
        chat: tracked,
        by: owner(),
        date: None,
    };
    app.happen(warned.id, [demote]).await;

    let (_, gone) = app.connected_bot(acc, "gonebot").await;
    let deleted = app
        .api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": gone }))
        .await;
    assert_eq!(deleted["status"], "ok", "{deleted}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_what_happened() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "metricsbot").await;
    app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    app.api.get("/api/bots/list.json", "1-wrongkey", &[]).await;
    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": 0 }))
        .await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let update = json!({ "update_id": 1, "chat_member": { "chat": { "id": -1, "type": "channel" }, "from": { "id": 2 }, "date": 1,
        "old_chat_member": { "user": { "id": 2 }, "status": "left" }, "new_chat_member": { "user": { "id": 2 }, "status": "member" } } });
    assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    assert_eq!(app.deliver(id, Some("wrong"), &update).await, 401);
    bots_in_every_status(&app, &acc).await;

    let res = app
        .api
        .http()
        .get(format!("{}/metrics", app.api.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for expected in [
        r#"http_requests_total{route="/api/bots/list.json",outcome="ok"} 1"#,
        r#"http_requests_total{route="/api/bots/list.json",outcome="key"} 1"#,
        r#"http_requests_total{route="/api/bots/del.json",outcome="id"} 1"#,
        r#"http_requests_total{route="/api/bots/add.json",outcome="ok"} 3"#,
        r#"http_request_duration_seconds_bucket{route="/api/bots/list.json",le="0.1"}"#,
        r#"webhook_updates_total{kind="chat_member",result="applied"} 1"#,
        r#"webhook_updates_total{kind="chat_member",result="duplicate"} 1"#,
        r#"webhook_updates_total{kind="unread",result="bad_secret"} 1"#,
        r#"telegram_requests_total{method="getMe",result="ok"} 3"#,
        r#"telegram_requests_total{method="setWebhook",result="ok"} 3"#,
        r#"telegram_request_duration_seconds_bucket{method="getMe",result="ok",le="+Inf"} 3"#,
        r#"db_pool_connections{state="in_use"}"#,
        "db_pool_waiting 0",
        r#"bots{status="active"} 1"#,
        r#"bots{status="warning"} 1"#,
        r#"bots{status="deleted"} 1"#,
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    assert!(
        !text.contains(&acc.key) && !text.contains(&bot.token),
        "no secret in metrics"
    );
}
