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
    let fake = sb.bot(bot.id).unwrap();
    let hook = fake.webhook.unwrap();
    assert_eq!(hook.url, url.as_str());
    assert_eq!(hook.secret_token.as_deref(), Some("s3cr3t_-X"));
    assert_eq!(fake.allowed_updates, vec!["my_chat_member", "chat_member"]);
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
    let fake = sb.bot(bot.id).unwrap();
    assert_eq!(fake.allowed_updates, vec!["my_chat_member", "chat_member"]);
    assert_eq!(
        fake.webhook.unwrap().max_connections,
        100,
        "clamped like Telegram"
    );

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

async fn raw(sb: &SandboxHandle, token: &str, method: &str, params: Value) -> Value {
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

#[tokio::test]
async fn allowed_updates_belong_to_the_bot_as_telegram_keeps_them() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let info = raw(&sb, &bot.token, "getWebhookInfo", serde_json::json!({})).await;
    assert_eq!(
        info["result"],
        serde_json::json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }),
        "no allowed_updates while the bot never set them, no max_connections or ip_address without a URL"
    );
    let url = "http://127.0.0.1:9/hook";
    raw(
        &sb,
        &bot.token,
        "setWebhook",
        serde_json::json!({ "url": url, "allowed_updates": ["CHAT_MEMBER", "bogus", "message"] }),
    )
    .await;
    let info = raw(&sb, &bot.token, "getWebhookInfo", serde_json::json!({})).await;
    assert_eq!(
        info["result"]["allowed_updates"],
        serde_json::json!(["message", "chat_member"])
    );
    assert_eq!(info["result"]["ip_address"], "127.0.0.1");
    assert_eq!(info["result"]["max_connections"], 40);
    // Unparsable: ignored, not an error; the bot keeps its list.
    let res = raw(
        &sb,
        &bot.token,
        "setWebhook",
        serde_json::json!({ "url": url, "allowed_updates": "[oops" }),
    )
    .await;
    assert_eq!(res["ok"], true);
    assert_eq!(res["description"], "Webhook is already set");
    let info = raw(&sb, &bot.token, "getWebhookInfo", serde_json::json!({})).await;
    assert_eq!(
        info["result"]["allowed_updates"],
        serde_json::json!(["message", "chat_member"])
    );
    // Deleting the webhook keeps the list; an empty list is the default again.
    raw(&sb, &bot.token, "deleteWebhook", serde_json::json!({})).await;
    assert_eq!(
        sb.bot(bot.id).unwrap().allowed_updates,
        vec!["message", "chat_member"]
    );
    raw(
        &sb,
        &bot.token,
        "setWebhook",
        serde_json::json!({ "url": url, "allowed_updates": [] }),
    )
    .await;
    let info = raw(&sb, &bot.token, "getWebhookInfo", serde_json::json!({})).await;
    assert!(info["result"].get("allowed_updates").is_none(), "{info}");
}

#[tokio::test]
async fn set_webhook_says_when_nothing_changed() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b", "B", None);
    let params = serde_json::json!({ "url": "http://127.0.0.1:9/hook", "secret_token": "abc" });
    let first = raw(&sb, &bot.token, "setWebhook", params.clone()).await;
    assert_eq!(first["description"], "Webhook was set");
    let again = raw(&sb, &bot.token, "setWebhook", params).await;
    assert_eq!(again["description"], "Webhook is already set");
    let other = raw(
        &sb,
        &bot.token,
        "setWebhook",
        serde_json::json!({ "url": "http://127.0.0.1:9/hook", "secret_token": "xyz" }),
    )
    .await;
    assert_eq!(
        other["description"], "Webhook was set",
        "a new secret is a change"
    );
    let dropped = raw(&sb, &bot.token, "setWebhook", serde_json::json!({ "url": "http://127.0.0.1:9/hook", "secret_token": "xyz", "drop_pending_updates": true })).await;
    assert_eq!(
        dropped["description"], "Webhook was set",
        "dropping updates is a change"
    );
}

#[tokio::test]
async fn the_bot_user_carries_every_get_me_field() {
    let sb = sandbox(true).await;
    let bot = sb.create_bot("b_bot", "B", None);
    let me = raw(&sb, &bot.token, "getMe", serde_json::json!({})).await;
    let fields: Vec<&str> = me["result"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        vec![
            "id",
            "is_bot",
            "first_name",
            "username",
            "can_join_groups",
            "can_read_all_group_messages",
            "supports_inline_queries",
            "can_connect_to_business",
            "has_main_web_app",
            "has_topics_enabled",
            "allows_users_to_create_topics",
            "can_manage_bots",
            "supports_guest_queries",
            "supports_join_request_queries",
        ]
    );
}
