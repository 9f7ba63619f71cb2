//! Open-loop load (`POST /_sandbox/load`): member updates produced at a
//! fixed rate over several bots, delivered like any other update, each
//! timed from its production to the webhook's 2xx; a slow webhook never
//! slows the producer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Receiver, ok, receiver, sandbox, serve};
use usher_sandbox::SandboxHandle;

async fn control(
    sb: &SandboxHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}/_sandbox{path}", sb.api_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn report(sb: &SandboxHandle, load: u64) -> Value {
    let (status, body) = control(sb, reqwest::Method::GET, &format!("/load/{load}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn hooked_bot(sb: &SandboxHandle, url: &str, max_connections: u32) -> i64 {
    let bot = sb.create_bot("load", "Load", None);
    ok(
        sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "max_connections": max_connections,
        "allowed_updates": ["chat_member", "my_chat_member"] }),
    )
    .await;
    bot.id
}

#[tokio::test(flavor = "multi_thread")]
async fn produces_at_its_rate_over_the_bots_and_times_every_delivery() {
    let sb = sandbox().await;
    let (hook, url) = receiver(3).await;
    let bots = [
        hooked_bot(&sb, &url, 40).await,
        hooked_bot(&sb, &url, 40).await,
    ];
    let started = Instant::now();
    let (status, body) = control(
        &sb,
        reqwest::Method::POST,
        "/load",
        Some(json!({ "bots": bots, "rate": 400, "seconds": 0.5, "chats": 10 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let load = body["load"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let r = report(&sb, load).await;
        if r["producing"] == false && r["delivered"] == 200 {
            break r;
        }
        assert!(Instant::now() < deadline, "not delivered: {r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "200 at 400 a second take half a second"
    );
    assert_eq!(done["produced"], 200);
    assert_eq!(
        done["failed_attempts"], 3,
        "the webhook's three 503s, each retried"
    );
    assert!(done["p50_ms"].as_f64().unwrap() > 0.0);
    assert!(done["p99_ms"].as_f64().unwrap() >= done["p50_ms"].as_f64().unwrap());
    assert!(done["max_ms"].as_f64().unwrap() >= done["p99_ms"].as_f64().unwrap());

    let updates = hook.updates();
    assert_eq!(updates.len(), 200);
    let ids: HashSet<(bool, i64)> = updates
        .iter()
        .map(|u| {
            (
                u.get("my_chat_member").is_some(),
                u["update_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 200, "every update once");
    let bot_changes = updates
        .iter()
        .filter(|u| u.get("my_chat_member").is_some())
        .count();
    assert_eq!(bot_changes, 20, "one in ten changes the bot itself");
    let chats: HashSet<i64> = updates
        .iter()
        .filter_map(|u| u.get("chat_member"))
        .map(|m| m["chat"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(chats.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_webhook_lengthens_the_times_not_the_production() {
    let sb = sandbox().await;
    let hook = Receiver {
        delay: Duration::from_millis(200),
        ..Receiver::default()
    };
    let url = serve(hook.clone()).await;
    let bot = hooked_bot(&sb, &url, 1).await;
    let (_, body) = control(
        &sb,
        reqwest::Method::POST,
        "/load",
        Some(json!({ "bots": [bot], "rate": 100, "seconds": 0.5 })),
    )
    .await;
    let load = body["load"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let produced = loop {
        let r = report(&sb, load).await;
        if r["producing"] == false {
            break r;
        }
        assert!(Instant::now() < deadline, "still producing: {r}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(produced["produced"], 50);
    // One connection at 200 ms a delivery takes ten seconds for fifty.
    assert!(produced["delivered"].as_u64().unwrap() < 50, "{produced}");
    while report(&sb, load).await["delivered"].as_u64().unwrap() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let later = report(&sb, load).await;
    assert!(
        later["max_ms"].as_f64().unwrap() >= 200.0,
        "a delivery counts the webhook's time: {later}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_needs_known_bots_a_rate_and_a_duration() {
    let sb = sandbox().await;
    let (_, url) = receiver(0).await;
    let bot = hooked_bot(&sb, &url, 40).await;
    for bad in [
        json!({ "bots": [], "rate": 10, "seconds": 1 }),
        json!({ "bots": [bot], "rate": 0, "seconds": 1 }),
        json!({ "bots": [bot], "rate": 10, "seconds": 0 }),
        json!({ "bots": [bot], "rate": 10, "seconds": 7200 }),
    ] {
        let (status, _) = control(&sb, reqwest::Method::POST, "/load", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (status, _) = control(
        &sb,
        reqwest::Method::POST,
        "/load",
        Some(json!({ "bots": [bot, 12345], "rate": 10, "seconds": 1 })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = control(&sb, reqwest::Method::GET, "/load/999", None).await;
    assert_eq!(status, 404);
}
