//! Forged webhook deliveries are refused on their secret before their body
//! is parsed or queued: with the intake tables locked (so that anything
//! reaching an intake batch would wait), a flood of forged updates to
//! sequential bot ids, and to a real bot with a wrong secret, is answered
//! at once, and the real deliveries queued meanwhile land once intake is
//! free again.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use serde_json::json;
use usher_tests::TestApp;

fn update(id: i64) -> serde_json::Value {
    json!({
        "update_id": id,
        "message": {
            "message_id": id, "date": 1_700_000_000,
            "chat": { "id": 42, "type": "private", "first_name": "Ann" },
            "from": { "id": 42, "is_bot": false, "first_name": "Ann" },
            "text": "hello"
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_deliveries_are_refused_before_they_reach_intake() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "forgedbot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    assert_eq!(app.deliver(id, Some(&secret), &update(1)).await, 200);
    let locker = app.db.connect().await;
    locker
        .batch_execute("BEGIN; LOCK TABLE updates IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let forged = |bot: i64, secret: &'static str, n: i64| {
        let req = app
            .api
            .http()
            .post(format!("{}/telegram/webhook/{bot}", app.api.base()))
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .timeout(Duration::from_secs(3))
            .json(&update(n));
        async move { req.send().await.map(|r| r.status().as_u16()) }
    };
    // A real delivery now waits on the lock, as intake does.
    let real = {
        let req = app
            .api
            .http()
            .post(format!("{}/telegram/webhook/{id}", app.api.base()))
            .header("X-Telegram-Bot-Api-Secret-Token", secret.clone())
            .json(&update(2));
        tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
    };
    let mut refused = Vec::new();
    for n in 0..200 {
        // Sequential ids nobody has, and the real bot with a wrong secret.
        let answer = forged(id + 1 + n, "guess", 100 + n).await;
        refused.push(answer.expect("a forged delivery is answered at once"));
        let answer = forged(id, "wrong", 1_000 + n).await;
        refused.push(answer.expect("a wrong secret is answered at once"));
    }
    assert!(
        refused.iter().all(|s| *s == 404 || *s == 401),
        "{refused:?}"
    );
    assert_eq!(refused.iter().filter(|s| **s == 401).count(), 200);
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(real.await.unwrap(), 200, "the real delivery lands");
    let stored: i64 = app
        .db
        .connect()
        .await
        .query_one("SELECT count(*) FROM raw_updates", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 2, "only the real updates were recorded");
}
