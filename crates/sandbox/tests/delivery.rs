//! The sandbox delivers updates to webhooks as Telegram does: one per POST,
//! with the secret header, in order, retried with backoff until a 2xx.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use usher_sandbox::{DeliveryOptions, SandboxHandle, SandboxOptions, start};

/// What the webhook received: the secret header and the update.
type Received = Vec<(Option<String>, Value)>;

/// A webhook that fails its first `fail_first` calls with 503, then records.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Received>>,
    calls: Arc<Mutex<u32>>,
    fail_first: u32,
}

async fn receive(
    req: HttpRequest,
    body: web::Json<Value>,
    hook: web::Data<Receiver>,
) -> HttpResponse {
    let mut calls = hook.calls.lock().unwrap();
    *calls += 1;
    if *calls <= hook.fail_first {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let secret = req
        .headers()
        .get("X-Telegram-Bot-Api-Secret-Token")
        .map(|v| v.to_str().unwrap().to_owned());
    hook.seen.lock().unwrap().push((secret, body.into_inner()));
    HttpResponse::Ok().finish()
}

async fn receiver(fail_first: u32) -> (Receiver, String) {
    let hook = Receiver {
        fail_first,
        ..Receiver::default()
    };
    let data = web::Data::new(hook.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    tokio::spawn(server.run());
    (hook, url)
}

async fn sandbox() -> SandboxHandle {
    start(SandboxOptions {
        delivery: DeliveryOptions {
            retry_initial: Duration::from_millis(20),
            retry_max: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        },
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

async fn bot_api(sb: &SandboxHandle, token: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/bot{token}/{method}", sb.api_url()))
        .json(&params)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn delivers_each_update_once_in_order_with_the_secret() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    bot_api(&sb, &bot.token, "setWebhook", json!({ "url": url, "secret_token": "s3cret", "allowed_updates": ["message", "chat_member"] })).await;
    let ids: Vec<i64> = (0..5)
        .map(|n| sb.send_update(bot.id, json!({ "message": { "message_id": n, "date": 1, "chat": { "id": 1, "type": "private" } } })).unwrap())
        .collect();
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for ((secret, update), id) in seen.iter().zip(&ids) {
        assert_eq!(secret.as_deref(), Some("s3cret"));
        assert_eq!(update["update_id"], *id);
        assert_eq!(
            update.as_object().unwrap().keys().next().unwrap(),
            "update_id"
        );
    }
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "sequential update ids"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_with_backoff_and_reports_the_error_until_a_2xx() {
    let sb = sandbox().await;
    let (hook, url) = receiver(3).await;
    let bot = sb.create_bot("b", "B", None);
    bot_api(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "allowed_updates": ["message"] }),
    )
    .await;
    let started = std::time::Instant::now();
    sb.send_update(bot.id, json!({ "message": { "message_id": 1, "date": 1, "chat": { "id": 1, "type": "private" } } }));
    while sb.attempts(bot.id).len() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let info = bot_api(&sb, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 1);
    assert_eq!(
        info["result"]["last_error_message"],
        "Wrong response from the webhook: 503 Service Unavailable"
    );
    assert!(info["result"]["last_error_date"].as_i64().unwrap() > 0);

    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    // Waits of 20, 40 and 80 ms between the four attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(140),
        "{:?}",
        started.elapsed()
    );
    let statuses: Vec<Option<u16>> = sb.attempts(bot.id).iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Some(503), Some(503), Some(503), Some(200)]);
    assert_eq!(hook.seen.lock().unwrap().len(), 1);
    let info = bot_api(&sb, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_allowed_kinds_are_sent_and_updates_wait_for_a_webhook() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    // No webhook yet: updates wait.
    sb.send_update(bot.id, json!({ "chat_member": { "x": 1 } }));
    sb.send_update(bot.id, json!({ "my_chat_member": { "x": 2 } }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 2);
    // Default allowed_updates: chat_member must be asked for explicitly.
    bot_api(&sb, &bot.token, "setWebhook", json!({ "url": url })).await;
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].1.get("my_chat_member").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_webhook_can_drop_pending_updates() {
    let sb = sandbox().await;
    let bot = sb.create_bot("b", "B", None);
    sb.send_update(bot.id, json!({ "message": {} }));
    bot_api(&sb, &bot.token, "deleteWebhook", json!({})).await;
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 1);
    bot_api(
        &sb,
        &bot.token,
        "deleteWebhook",
        json!({ "drop_pending_updates": true }),
    )
    .await;
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 0);
}
