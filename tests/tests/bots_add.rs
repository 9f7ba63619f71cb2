//! `POST /api/bots/add.json` against real PostgreSQL and the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind};
use usher_tests::{TestApp, error_of};

const ADD: &str = "/api/bots/add.json";

/// Well-formed, but no bot of the sandbox has it.
const UNKNOWN_TOKEN: &str = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq";
const LIST: &str = "/api/bots/list.json";

async fn list(app: &TestApp, key: &str) -> Vec<Value> {
    let body = app.api.get(LIST, key, &[]).await;
    assert_eq!(error_of(&body), None, "{body}");
    body["data"].as_array().unwrap().clone()
}

async fn del(app: &TestApp, key: &str, id: i64) {
    let body = app
        .api
        .post_json("/api/bots/del.json", key, json!({ "id": id }))
        .await;
    assert_eq!(body, json!({ "status": "ok" }));
}

#[tokio::test(flavor = "multi_thread")]
async fn connects_a_bot_and_registers_its_webhook() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app
        .sandbox
        .create_bot("mytrackbot", "My Tracking", Some("Bot"));

    let body = app.add_bot(&acc, &bot.token).await;
    let id = body["data"]["id"].as_i64().unwrap();
    assert_eq!(
        body,
        json!({ "status": "ok", "data": { "id": id, "username": "mytrackbot", "name": "My Tracking Bot" } })
    );

    let fake = app.sandbox.bot(bot.id).unwrap();
    let hook = fake.webhook.expect("webhook set");
    assert_eq!(
        hook.url,
        format!("http://{}/telegram/webhook/{id}", app.addr())
    );
    assert!(
        !hook.url.contains(&bot.token),
        "the URL never contains the token"
    );
    let secret = hook.secret_token.expect("a secret token");
    assert!(secret.len() >= 32);
    for kind in [
        "message",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
    ] {
        assert!(fake.allowed_updates.iter().any(|k| k == kind), "{kind}");
    }

    let bots = list(&app, &acc.key).await;
    assert_eq!(bots.len(), 1);
    assert_eq!(bots[0]["tg"], bot.id);
    assert_eq!(bots[0]["status"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_tokens_are_token_errors_without_calling_telegram() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let long = format!("1234:{}", "a".repeat(100));
    for bad in [
        json!({ "token": "" }),
        json!({ "token": "abc" }),
        json!({ "token": "123:short" }),
        json!({ "token": "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\u{0}" }),
        json!({ "token": long }),
        json!({ "token": 123456 }),
        json!({ "token": ["x"] }),
        json!({ "token": null }),
        json!({}),
    ] {
        let body = app.api.post_json(ADD, &acc.key, bad.clone()).await;
        assert_eq!(error_of(&body), Some("token"), "{bad}");
    }
    // A duplicated parameter is ambiguous: refused, not resolved.
    let twice = r#"{"token":"1234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq","token":"2345:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"}"#;
    let req = app
        .api
        .http()
        .post(format!("{}{ADD}", app.api.base()))
        .query(&[("id", acc.key.as_str())])
        .header("content-type", "application/json")
        .body(twice);
    assert_eq!(error_of(&usher_tests::Api::send(req).await), Some("token"));
    assert!(app.sandbox.calls().is_empty(), "Telegram was called");
    assert!(list(&app, &acc.key).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_telegram_rejects_is_a_token_error() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let body = app.add_bot(&acc, UNKNOWN_TOKEN).await;
    assert_eq!(error_of(&body), Some("token"));
    assert_eq!(app.sandbox.calls().len(), 1, "asked getMe once");

    // Any other refusal of getMe is Telegram rejecting the token too.
    let bot = app.bot("refusedbot");
    app.sandbox.add_fault(
        Fault::on(
            "getMe",
            FaultKind::Error {
                status: 400,
                description: "Bad Request: bot is deactivated".into(),
                retry_after: None,
            },
        )
        .times(1),
    );
    let body = app.add_bot(&acc, &bot.token).await;
    assert_eq!(error_of(&body), Some("token"));

    // A revoked token too.
    let bot = app.bot("revokedbot");
    app.sandbox.regenerate_token(bot.id).unwrap();
    let body = app.add_bot(&acc, &bot.token).await;
    assert_eq!(error_of(&body), Some("token"));
    assert!(list(&app, &acc.key).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn telegram_failures_at_get_me_are_unreachable_and_change_nothing() {
    let app = TestApp::start_with(|s| s.telegram.timeout_ms = 1_000).await;
    let acc = app.account().await;
    let bot = app.bot("flakybot");
    let faults = [
        FaultKind::Error {
            status: 429,
            description: "Too Many Requests: retry after 5".into(),
            retry_after: Some(5),
        },
        FaultKind::Error {
            status: 500,
            description: "Internal Server Error".into(),
            retry_after: None,
        },
        FaultKind::Garbage { status: 502 },
        FaultKind::Drop,
        FaultKind::Delay { ms: 3_000 },
    ];
    for kind in faults {
        app.sandbox.clear_faults();
        app.sandbox.add_fault(Fault::on("getMe", kind.clone()));
        let started = std::time::Instant::now();
        let body = app.add_bot(&acc, &bot.token).await;
        assert_eq!(error_of(&body), Some("unreachable"), "{kind:?}");
        // telegram.timeout_ms is 1000 here: the answer comes within it plus a margin.
        assert!(
            started.elapsed() < std::time::Duration::from_millis(2_500),
            "{kind:?}"
        );
    }
    assert!(list(&app, &acc.key).await.is_empty());
    assert!(app.sandbox.bot(bot.id).unwrap().webhook.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn telegram_down_is_unreachable() {
    let app = TestApp::start_with(|s| s.telegram.api_url = "http://127.0.0.1:9".into()).await;
    let acc = app.account().await;
    let body = app.add_bot(&acc, UNKNOWN_TOKEN).await;
    assert_eq!(error_of(&body), Some("unreachable"));
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_failure_leaves_the_account_as_it_was() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app.bot("hookbot");

    // A new bot: no record appears.
    for kind in [
        FaultKind::Error {
            status: 400,
            description: "Bad Request: bad webhook: HTTPS url must be provided for webhook".into(),
            retry_after: None,
        },
        FaultKind::Error {
            status: 500,
            description: "Internal Server Error".into(),
            retry_after: None,
        },
        FaultKind::Delay { ms: 3_000 },
        FaultKind::Drop,
    ] {
        app.sandbox.clear_faults();
        app.sandbox.add_fault(Fault::on("setWebhook", kind.clone()));
        let body = app.add_bot(&acc, &bot.token).await;
        assert_eq!(error_of(&body), Some("webhook"), "{kind:?}");
        assert!(list(&app, &acc.key).await.is_empty(), "{kind:?}");
    }
    app.sandbox.clear_faults();

    // A deleted bot: it stays deleted, with its old data.
    let body = app.add_bot(&acc, &bot.token).await;
    let id = body["data"]["id"].as_i64().unwrap();
    del(&app, &acc.key, id).await;
    let before = list(&app, &acc.key).await;
    app.sandbox.add_fault(Fault::on(
        "setWebhook",
        FaultKind::Error {
            status: 400,
            description: "Bad Request: invalid webhook URL specified".into(),
            retry_after: None,
        },
    ));
    let body = app.add_bot(&acc, &bot.token).await;
    assert_eq!(error_of(&body), Some("webhook"));
    assert_eq!(list(&app, &acc.key).await, before);
    assert_eq!(before[0]["status"], 3);

    // And the lock is free again: the next add works at once.
    app.sandbox.clear_faults();
    let body = app.add_bot(&acc, &bot.token).await;
    assert_eq!(body["data"]["id"], id);
}

#[tokio::test(flavor = "multi_thread")]
async fn re_adding_a_deleted_bot_restores_the_same_record() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app.bot("restorebot");
    let first = app
        .api
        .post_form(ADD, &acc.key, &[("token", bot.token.as_str())])
        .await;
    let id = first["data"]["id"].as_i64().unwrap();
    let created = list(&app, &acc.key).await[0]["created"].clone();
    del(&app, &acc.key, id).await;
    assert!(
        app.sandbox.bot(bot.id).unwrap().webhook.is_none(),
        "del drops the webhook"
    );

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let again = app
        .api
        .post_form(ADD, &acc.key, &[("token", bot.token.as_str())])
        .await;
    assert_eq!(again["data"]["id"], id, "same id");
    let bots = list(&app, &acc.key).await;
    assert_eq!(bots.len(), 1, "no duplicate");
    assert_eq!(bots[0]["created"], created, "same created");
    assert_eq!(bots[0]["status"], 0);
    assert!(app.sandbox.bot(bot.id).unwrap().webhook.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn re_adding_a_connected_bot_is_idempotent_and_refreshes_it() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app.bot("samebot");
    let first = app.add_bot(&acc, &bot.token).await;
    let id = first["data"]["id"].clone();
    let secret_before = app
        .sandbox
        .bot(bot.id)
        .unwrap()
        .webhook
        .unwrap()
        .secret_token;

    // BotFather regenerated the token: the same bot, the same record.
    let new_token = app.sandbox.regenerate_token(bot.id).unwrap();
    let again = app.add_bot(&acc, &new_token).await;
    assert_eq!(again["data"]["id"], id);
    let bots = list(&app, &acc.key).await;
    assert_eq!(bots.len(), 1);
    assert_eq!(bots[0]["status"], 0);
    let hook = app.sandbox.bot(bot.id).unwrap().webhook.unwrap();
    assert_ne!(
        hook.secret_token, secret_before,
        "webhook set again with a fresh secret"
    );

    // The stored token is the new one: deleting calls deleteWebhook with it.
    del(&app, &acc.key, id.as_i64().unwrap()).await;
    assert!(app.sandbox.bot(bot.id).unwrap().webhook.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_connected_elsewhere_is_exists_and_a_deleted_one_is_not() {
    let app = TestApp::start().await;
    let a = app.account().await;
    let b = app.account().await;
    let bot = app.bot("sharedbot");

    let in_a = app.add_bot(&a, &bot.token).await;
    let a_id = in_a["data"]["id"].as_i64().unwrap();
    let hook_before = app.sandbox.bot(bot.id).unwrap().webhook;
    let body = app.add_bot(&b, &bot.token).await;
    assert_eq!(error_of(&body), Some("exists"));
    assert!(list(&app, &b.key).await.is_empty());
    assert_eq!(
        app.sandbox.bot(bot.id).unwrap().webhook,
        hook_before,
        "A's webhook untouched"
    );

    // Once A deletes it, B may connect it: a new record in B.
    del(&app, &a.key, a_id).await;
    let in_b = app.add_bot(&b, &bot.token).await;
    let b_id = in_b["data"]["id"].as_i64().unwrap();
    assert_ne!(b_id, a_id);
    // Now A cannot restore it.
    let body = app.add_bot(&a, &bot.token).await;
    assert_eq!(error_of(&body), Some("exists"));
    assert_eq!(list(&app, &a.key).await[0]["status"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_adds_of_one_bot_make_one_record() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let bot = app.bot("racebot");
    let calls = (0..20).map(|_| {
        let api = app.api.clone();
        let key = acc.key.clone();
        let token = bot.token.clone();
        tokio::spawn(async move { api.post_json(ADD, &key, json!({ "token": token })).await })
    });
    let answers: Vec<Value> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ids: std::collections::HashSet<_> =
        answers.iter().map(|a| a["data"]["id"].clone()).collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|a| a["status"] == "ok"), "{answers:?}");
    assert_eq!(list(&app, &acc.key).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_adds_from_two_accounts_leave_one_connected_record() {
    let app = TestApp::start().await;
    let a = app.account().await;
    let b = app.account().await;
    let bot = app.bot("contestedbot");
    let calls = (0..10).map(|i| {
        let api = app.api.clone();
        let key = if i % 2 == 0 {
            a.key.clone()
        } else {
            b.key.clone()
        };
        let token = bot.token.clone();
        tokio::spawn(async move { api.post_json(ADD, &key, json!({ "token": token })).await })
    });
    let answers: Vec<Value> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let in_a = list(&app, &a.key).await;
    let in_b = list(&app, &b.key).await;
    assert_eq!(in_a.len() + in_b.len(), 1, "one record in all");
    let winner = if in_a.is_empty() { &b.key } else { &a.key };
    for (i, answer) in answers.iter().enumerate() {
        let key = if i % 2 == 0 { &a.key } else { &b.key };
        if key == winner {
            assert_eq!(answer["status"], "ok", "{answer}");
        } else {
            assert_eq!(error_of(answer), Some("exists"), "{answer}");
        }
    }
}

/// Issue 22, item 10: an add holds no connection or transaction while
/// Telegram answers `setWebhook`, so many adds of one token (each waiting
/// for Telegram) leave the pool to the webhook intake.
#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_concurrent_adds_of_one_token_leave_the_intake_its_connections() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (busy, busy_id) = app.connected_bot(&acc, "intakebot").await;
    let busy_secret = busy.webhook.unwrap().secret_token.unwrap();
    let bot = app.bot("crowdedbot");
    // Each add waits 250 ms for Telegram: 32 of them, one after another,
    // outlast the pool's 5 s wait (database.timeout_ms) if each held a
    // connection meanwhile.
    app.sandbox
        .add_fault(Fault::on("setWebhook", FaultKind::Delay { ms: 250 }));

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let adds = (0..32).map(|_| {
        let api = app.api.clone();
        let key = acc.key.clone();
        let token = bot.token.clone();
        tokio::spawn(async move { api.post_json(ADD, &key, json!({ "token": token })).await })
    });
    let adds = {
        let done = done.clone();
        async move {
            let answers = futures_util::future::join_all(adds).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            answers
        }
    };
    let deliveries = async {
        let mut statuses = Vec::new();
        let mut update_id = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            update_id += 1;
            let update = json!({ "update_id": update_id, "message": { "message_id": 1, "date": 1, "chat": { "id": 5, "type": "private" } } });
            statuses.push(app.deliver(busy_id, Some(&busy_secret), &update).await);
        }
        statuses
    };
    let (answers, statuses) = tokio::join!(adds, deliveries);

    let refused: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        refused.is_empty(),
        "{} of {} deliveries refused while the adds ran: {refused:?}",
        refused.len(),
        statuses.len()
    );
    let answers: Vec<Value> = answers.into_iter().map(Result::unwrap).collect();
    assert!(answers.iter().all(|a| a["status"] == "ok"), "{answers:?}");
    let ids: std::collections::HashSet<_> =
        answers.iter().map(|a| a["data"]["id"].clone()).collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    let id = answers[0]["data"]["id"].as_i64().unwrap();

    // Telegram and the record agree on the secret the last add set.
    let hook = app.sandbox.bot(bot.id).unwrap().webhook.unwrap();
    assert!(hook.url.ends_with(&format!("/telegram/webhook/{id}")));
    let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 1, "chat": { "id": 5, "type": "private" } } });
    assert_eq!(
        app.deliver(id, Some(&hook.secret_token.unwrap()), &update)
            .await,
        200
    );
}

/// A connected bot whose re-add fails at `setWebhook` keeps its secret.
/// When Telegram refused, nothing else changes; when it did not answer in
/// time (and may have taken the new secret), deliveries with the new secret
/// are told to come again (503), never refused, until an add settles it.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_re_add_keeps_the_secret_and_never_refuses_the_one_telegram_may_hold() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "keepbot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let update = |update_id: i64| json!({ "update_id": update_id, "message": { "message_id": 1, "date": 1, "chat": { "id": 5, "type": "private" } } });

    app.sandbox.add_fault(Fault::on(
        "setWebhook",
        FaultKind::Error {
            status: 400,
            description: "Bad Request: bad webhook: Failed to resolve host".into(),
            retry_after: None,
        },
    ));
    assert_eq!(
        error_of(&app.add_bot(&acc, &bot.token).await),
        Some("webhook")
    );
    assert_eq!(app.deliver(id, Some(&secret), &update(1)).await, 200);

    // Slower than telegram.timeout_ms (2 s in tests): the sandbox still
    // takes the webhook once its delay is over, as Telegram may.
    app.sandbox.clear_faults();
    app.sandbox
        .add_fault(Fault::on("setWebhook", FaultKind::Delay { ms: 3_000 }).times(1));
    assert_eq!(
        error_of(&app.add_bot(&acc, &bot.token).await),
        Some("webhook")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let held = loop {
        let held = app.held_secret(bot.id);
        if held != secret || std::time::Instant::now() > deadline {
            break held;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_ne!(held, secret, "the sandbox took the late setWebhook");
    assert_eq!(app.deliver(id, Some(&secret), &update(2)).await, 200);
    assert_eq!(
        app.deliver(id, Some(&held), &update(3)).await,
        503,
        "the secret Telegram may hold is not refused"
    );

    // The next add settles it: Telegram's secret and ours agree again.
    assert_eq!(app.add_bot(&acc, &bot.token).await["status"], "ok");
    let fresh = app.held_secret(bot.id);
    assert_eq!(app.deliver(id, Some(&fresh), &update(4)).await, 200);
}
