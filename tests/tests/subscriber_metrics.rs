//! `GET /metrics` for the subscriber flow: lead status changes, welcome
//! messages by result, outbox depth and the age of its oldest item.
//! (One test in this binary: the recorder is process-wide.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::json;
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{TestApp, chat};

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_leads_and_welcomes() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "metricbot").await;
    app.promote(bot.id, [chat(-1005, "C", "channel")]).await;
    let camp = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": id, "chat": -1005, "welcome": "Hi" }),
        )
        .await;
    let code = camp["data"]["code"].as_str().unwrap().to_owned();
    for user in [1, 2] {
        app.happen(
            bot.id,
            [SandboxEvent::Start {
                user: SandboxUser::new(user, "P"),
                payload: Some(code.clone()),
                date: None,
            }],
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.sandbox.messages(bot.id).len() < 2 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = [
        r#"leads_status_changes_total{status="wait"} 2"#,
        r#"welcome_messages_total{result="sent"} 2"#,
        r#"telegram_requests_total{method="sendMessage",result="ok"} 2"#,
        "outbox_pending 0",
        "outbox_oldest_pending_seconds 0",
    ];
    // The outbox records "sent" a moment after the sandbox has the message.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = app.metrics_text().await;
        if expected.iter().all(|e| text.contains(e)) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for expected in expected {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
}
