//! What the sandbox's tests share: a sandbox with quick retries, a
//! webhook that records what it gets, and raw Bot API calls.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test uses a part

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use usher_sandbox::{
    DeliveryOptions, SandboxChat, SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser, start,
};

/// What the webhook received: the secret header, the update, and when.
pub type Received = Vec<(Option<String>, Value, Instant)>;

/// A webhook that fails its first `fail_first` calls, and every call for
/// the chats in `failing_chats`, with 503; it records the rest.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<Mutex<Received>>,
    pub calls: Arc<Mutex<u32>>,
    pub fail_first: u32,
    pub failing_chats: Arc<Mutex<HashSet<i64>>>,
    pub delay: Duration,
}

impl Receiver {
    /// The updates received so far.
    pub fn updates(&self) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, u, _)| u.clone())
            .collect()
    }
}

fn chat_of(update: &Value) -> Option<i64> {
    let object = update.as_object()?;
    let (_, body) = object.iter().find(|(k, _)| k.as_str() != "update_id")?;
    body["chat"]["id"].as_i64()
}

async fn receive(
    req: HttpRequest,
    body: web::Json<Value>,
    hook: web::Data<Receiver>,
) -> HttpResponse {
    if !hook.delay.is_zero() {
        tokio::time::sleep(hook.delay).await;
    }
    {
        let mut calls = hook.calls.lock().unwrap();
        *calls += 1;
        if *calls <= hook.fail_first {
            return HttpResponse::ServiceUnavailable().finish();
        }
    }
    if chat_of(&body).is_some_and(|c| hook.failing_chats.lock().unwrap().contains(&c)) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let secret = req
        .headers()
        .get("X-Telegram-Bot-Api-Secret-Token")
        .map(|v| v.to_str().unwrap().to_owned());
    hook.seen
        .lock()
        .unwrap()
        .push((secret, body.into_inner(), Instant::now()));
    HttpResponse::Ok().finish()
}

/// Starts `hook` on a loopback port; answers its URL.
pub async fn serve(hook: Receiver) -> String {
    let data = web::Data::new(hook);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(2)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

/// A webhook failing its first `fail_first` calls.
pub async fn receiver(fail_first: u32) -> (Receiver, String) {
    let hook = Receiver {
        fail_first,
        ..Receiver::default()
    };
    let url = serve(hook.clone()).await;
    (hook, url)
}

/// Quick retries: 20 ms doubling, capped between 200 and 400 ms.
pub fn quick() -> SandboxOptions {
    SandboxOptions {
        delivery: DeliveryOptions {
            retry_initial: Duration::from_millis(20),
            retry_max: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        },
        ..SandboxOptions::default()
    }
}

/// A sandbox with quick retries.
pub async fn sandbox() -> SandboxHandle {
    start(quick()).await.unwrap()
}

/// A Bot API call with a JSON body; the HTTP status and the answer.
pub async fn call(sb: &SandboxHandle, token: &str, method: &str, params: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/bot{token}/{method}", sb.api_url()))
        .json(&params)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A Bot API call that must succeed; its `result`.
pub async fn ok(sb: &SandboxHandle, token: &str, method: &str, params: Value) -> Value {
    let (status, body) = call(sb, token, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    assert_eq!(body["ok"], true);
    body["result"].clone()
}

/// A Bot API call that must fail: its status and description.
pub async fn refused(
    sb: &SandboxHandle,
    token: &str,
    method: &str,
    params: Value,
) -> (u16, String) {
    let (status, body) = call(sb, token, method, params).await;
    assert_eq!(body["ok"], false, "{method} succeeded: {body}");
    assert_eq!(body["error_code"], status);
    (status, body["description"].as_str().unwrap().to_owned())
}

/// A person.
pub fn person(id: i64, first_name: &str, username: Option<&str>) -> SandboxUser {
    SandboxUser {
        id,
        first_name: first_name.into(),
        last_name: None,
        username: username.map(str::to_owned),
        language_code: Some("en".into()),
    }
}

/// Sets a webhook at `url` asking for every kind usher uses.
pub async fn hook_up(sb: &SandboxHandle, token: &str, url: &str) {
    ok(
        sb,
        token,
        "setWebhook",
        json!({ "url": url, "allowed_updates": ["message", "my_chat_member", "chat_member", "chat_join_request"] }),
    )
    .await;
}

/// The channel the chat tests use.
pub fn channel() -> SandboxChat {
    SandboxChat {
        id: -1001234567890,
        title: "My Channel".into(),
        kind: "channel".into(),
    }
}

/// Makes the bot an administrator of [`channel`], as its owner (user 1)
/// would, with the rights to post and invite.
pub fn promote_in_channel(sb: &SandboxHandle, bot: i64) {
    sb.send_event(
        bot,
        &SandboxEvent::Promote {
            chat: channel(),
            by: person(1, "Owner", None),
            date: None,
        },
    );
}
