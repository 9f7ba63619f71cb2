//! Admission control (issue 23): an instance holds at most
//! `intake.max_held` updates at once. Past three quarters of it only
//! `/start` is taken in; past it every delivery is answered 503 with
//! `Retry-After` at once, instead of waiting behind a queue that only grows.
//! Nothing is lost: a turned-away update delivered again lands, once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::json;
use usher_tests::TestApp;

fn text(id: i64, text: &str) -> serde_json::Value {
    json!({
        "update_id": id,
        "message": {
            "message_id": id, "date": 1_700_000_000,
            "chat": { "id": 42 + id, "type": "private", "first_name": "Ann" },
            "from": { "id": 42 + id, "is_bot": false, "first_name": "Ann" },
            "text": text
        }
    })
}

async fn metric(app: &TestApp, line_start: &str) -> f64 {
    app.metrics_text()
        .await
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_intake_turns_deliveries_away_at_once_and_keeps_room_for_start() {
    let app = TestApp::start_with(|s| {
        s.intake.max_held = 8;
        s.intake.batch_workers = 1;
    })
    .await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "admitbot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    assert_eq!(
        app.deliver(id, Some(&secret), &text(1, "warm up")).await,
        200
    );

    // Intake stalls: anything admitted waits on the lock.
    let locker = app.db.connect().await;
    locker
        .batch_execute("BEGIN; LOCK TABLE updates IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let send = |update: serde_json::Value| {
        let req = app
            .api
            .http()
            .post(format!("{}/telegram/webhook/{id}", app.api.base()))
            .header("X-Telegram-Bot-Api-Secret-Token", secret.clone())
            .timeout(Duration::from_secs(5))
            .json(&update);
        async move {
            let res = req.send().await.unwrap();
            let retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (res.status().as_u16(), retry_after)
        }
    };
    let wait_held = |n: f64| {
        let app = &app;
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            while metric(app, "intake_held ").await != n {
                assert!(Instant::now() < deadline, "intake never held {n}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // Six ordinary updates fill three quarters of eight: all held.
    let mut admitted = Vec::new();
    for n in 10..16 {
        admitted.push(tokio::spawn(send(text(n, "hello"))));
    }
    wait_held(6.0).await;
    // A seventh ordinary one is turned away at once, with Retry-After.
    let started = Instant::now();
    assert_eq!(send(text(16, "hello")).await, (503, Some("1".to_owned())));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered without waiting on intake"
    );
    // /start still finds the quarter kept for it, up to the limit.
    for n in 20..22 {
        admitted.push(tokio::spawn(send(text(n, "/start abc"))));
    }
    wait_held(8.0).await;
    assert_eq!(send(text(22, "/start abc")).await.0, 503);

    locker.batch_execute("COMMIT").await.unwrap();
    for answer in admitted {
        assert_eq!(answer.await.unwrap().0, 200);
    }
    // Telegram delivers the turned-away updates again: they land.
    assert_eq!(send(text(16, "hello")).await.0, 200);
    assert_eq!(send(text(22, "/start abc")).await.0, 200);
    let conn = app.db.connect().await;
    let stored: i64 = conn
        .query_one(
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1 AND update_id >= 10",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 6 + 1 + 2 + 1);
    assert_eq!(
        metric(
            &app,
            "webhook_updates_total{kind=\"unread\",result=\"shed\"}"
        )
        .await,
        2.0,
        "the turned-away deliveries are counted"
    );
    assert_eq!(metric(&app, "intake_held ").await, 0.0);
}
