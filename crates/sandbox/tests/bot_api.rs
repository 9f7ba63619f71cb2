//! The sandbox, driven by a real Bot API client (teloxide-core) and by raw
//! HTTP, behaves as Telegram does where usher depends on it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::Value;
use teloxide_core::payloads::SetWebhookSetters;
use teloxide_core::requests::Requester;
use teloxide_core::types::AllowedUpdate;
use teloxide_core::{ApiError, Bot, RequestError};
use usher_sandbox::{Fault, FaultKind, SandboxHandle, SandboxOptions, start};

async fn sandbox(local: bool) -> SandboxHandle {
    start(SandboxOptions {
        listen: "127.0.0.1:0".into(),
        local,
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

fn client(sandbox: &SandboxHandle, token: &str) -> Bot {
    Bot::new(token).set_api_url(url::Url::parse(&sandbox.api_url()).unwrap())
}

#[tokio::test]
async fn get_me_answers_every_field_teloxide_needs() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("trackbot", "Track", Some("Bot"));
    let me = client(&sb, &bot.token).get_me().await.unwrap();
    assert_eq!(me.user.id.0 as i64, bot.id);
    assert_eq!(me.user.username.as_deref(), Some("trackbot"));
    assert_eq!(me.user.last_name.as_deref(), Some("Bot"));
    assert!(me.user.is_bot);
    assert!(bot.id > i64::from(u32::MAX), "bot ids exceed 32 bits");
}

#[tokio::test]
async fn unknown_tokens_are_unauthorized_and_malformed_ones_not_found() {
    let sb = sandbox(true).await;
    let http = reqwest::Client::new();
    let unknown = http
        .get(format!(
            "{}/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq/getMe",
            sb.api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["error_code"], 401);
    assert_eq!(body["description"], "Unauthorized");

    for path in [
        "/botnotatoken/getMe",
        "/bot/getMe",
        "/bot0123:abc/getMe",
        "/something",
    ] {
        let res = http
            .get(format!("{}{}", sb.api_url(), path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["description"], "Not Found");
    }

    // teloxide reads both as an invalid token.
    let err = client(&sb, "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq")
        .get_me()
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::InvalidToken)),
        "{err:?}"
    );
}

#[tokio::test]
async fn method_names_are_case_insensitive_and_unknown_methods_are_404() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let http = reqwest::Client::new();
    for method in ["getMe", "GETME", "getme"] {
        let res = http
            .post(format!("{}/bot{}/{}", sb.api_url(), bot.token, method))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{method}");
    }
    let res = http
        .get(format!("{}/bot{}/noSuchMethod", sb.api_url(), bot.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["description"], "Not Found: method not found");
}

#[tokio::test]
async fn set_webhook_records_url_secret_and_allowed_updates_from_multipart() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let url = url::Url::parse("http://127.0.0.1:9/telegram/webhook/1").unwrap();
    client(&sb, &bot.token)
        .set_webhook(url.clone())
        .secret_token("s3cr3t_-X".to_owned())
        .allowed_updates(vec![AllowedUpdate::MyChatMember, AllowedUpdate::ChatMember])
        .await
        .unwrap();
    let hook = sb.bot(bot.id).unwrap().webhook.unwrap();
    assert_eq!(hook.url, url.as_str());
    assert_eq!(hook.secret_token.as_deref(), Some("s3cr3t_-X"));
    assert_eq!(hook.allowed_updates, vec!["my_chat_member", "chat_member"]);
    assert_eq!(hook.max_connections, 40);

    // JSON and form bodies work too; omitted allowed_updates keep the old list.
    let http = reqwest::Client::new();
    let res: Value = http
        .post(format!("{}/bot{}/setWebhook", sb.api_url(), bot.token))
        .form(&[
            ("url", "http://127.0.0.1:9/other"),
            ("max_connections", "500"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["result"], true);
    assert_eq!(res["description"], "Webhook was set");
    let hook = sb.bot(bot.id).unwrap().webhook.unwrap();
    assert_eq!(hook.allowed_updates, vec!["my_chat_member", "chat_member"]);
    assert_eq!(hook.max_connections, 100, "clamped like Telegram");

    let info: Value = http
        .post(format!("{}/bot{}/getWebhookInfo", sb.api_url(), bot.token))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["result"]["url"], "http://127.0.0.1:9/other");

    let res: Value = http
        .post(format!("{}/bot{}/deleteWebhook", sb.api_url(), bot.token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["description"], "Webhook was deleted");
    assert!(sb.bot(bot.id).unwrap().webhook.is_none());
}

#[tokio::test]
async fn strict_mode_refuses_what_telegram_refuses() {
    let sb = sandbox(false).await;
    let bot = sb.create_bot("b", "B", None);
    let http = reqwest::Client::new();
    let cases = [
        (
            vec![("url", "http://example.com/hook")],
            "Bad Request: bad webhook: HTTPS url must be provided for webhook",
        ),
        (
            vec![("url", "https://example.com:8080/hook")],
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
        (
            vec![
                ("url", "https://example.com/hook"),
                ("secret_token", "bad secret!"),
            ],
            "Bad Request: secret token contains unallowed characters",
        ),
    ];
    for (form, description) in cases {
        let res = http
            .post(format!("{}/bot{}/setWebhook", sb.api_url(), bot.token))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["description"], description);
    }
    let long = "a".repeat(257);
    let res = http
        .post(format!("{}/bot{}/setWebhook", sb.api_url(), bot.token))
        .form(&[
            ("url", "https://example.com/hook"),
            ("secret_token", long.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(sb.bot(bot.id).unwrap().webhook.is_none());
}

#[tokio::test]
async fn regenerated_token_revokes_the_old_one() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let new = sb.regenerate_token(bot.id).unwrap();
    assert_ne!(new, bot.token);
    assert!(client(&sb, &bot.token).get_me().await.is_err());
    assert_eq!(
        client(&sb, &new).get_me().await.unwrap().user.id.0 as i64,
        bot.id
    );
}

#[tokio::test]
async fn faults_reach_every_client_error_path() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let tg = client(&sb, &bot.token);

    sb.add_fault(
        Fault::on(
            "getMe",
            FaultKind::Error {
                status: 429,
                description: "Too Many Requests: retry after 14".into(),
                retry_after: Some(14),
            },
        )
        .times(1),
    );
    let err = tg.get_me().await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 14),
        "{err:?}"
    );

    // (A 5xx would make teloxide sleep 10 s before reading the body.)
    sb.add_fault(Fault::on("getMe", FaultKind::Garbage { status: 200 }).times(1));
    let err = tg.get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::InvalidJson { .. }), "{err:?}");

    sb.add_fault(Fault::on("getMe", FaultKind::Drop).times(1));
    let err = tg.get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");

    sb.add_fault(Fault::on("getMe", FaultKind::Delay { ms: 300 }).times(1));
    let started = std::time::Instant::now();
    tg.get_me().await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    // Used up: the next call succeeds, and every call was logged.
    tg.get_me().await.unwrap();
    let calls = sb.calls();
    assert_eq!(calls.len(), 5);
    assert!(
        calls
            .iter()
            .all(|c| c.method == "getme" && c.bot == Some(bot.id))
    );
}

#[tokio::test]
async fn control_api_drives_the_sandbox_over_http() {
    let sb = sandbox(true).await;
    let http = reqwest::Client::new();
    let bot: Value = http
        .post(format!("{}/_sandbox/bots", sb.api_url()))
        .json(&serde_json::json!({ "username": "demo_bot", "first_name": "Demo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = bot["token"].as_str().unwrap();
    let id = bot["id"].as_i64().unwrap();
    assert!(token.starts_with(&format!("{id}:")));

    let fault = serde_json::json!({ "method": "getMe", "kind": { "type": "error", "status": 500, "description": "Internal Server Error" }, "times": 1 });
    let res = http
        .post(format!("{}/_sandbox/faults", sb.api_url()))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .get(format!("{}/bot{}/getMe", sb.api_url(), token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    let res = http
        .get(format!("{}/bot{}/getMe", sb.api_url(), token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let seen: Value = http
        .get(format!("{}/_sandbox/bots/{id}", sb.api_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["username"], "demo_bot");
    let calls: Value = http
        .get(format!("{}/_sandbox/calls", sb.api_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls.as_array().unwrap().len(), 2);
}
