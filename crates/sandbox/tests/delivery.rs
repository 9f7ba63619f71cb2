//! The sandbox delivers updates to webhooks as Telegram does: one per POST,
//! with the secret header; in order within a chat's or a user's queue, in
//! parallel across queues up to `max_connections`; retried at once, then
//! with growing delays; dropped when over a day old or of a kind the bot
//! did not ask for when it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Receiver, call, ok, person, receiver, sandbox, serve};
use usher_sandbox::{SandboxChat, SandboxEvent};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn message(chat: i64, n: i64) -> Value {
    json!({ "message": { "message_id": n, "date": now(), "chat": { "id": chat, "type": "private", "first_name": "A" }, "text": "hi" } })
}

#[tokio::test(flavor = "multi_thread")]
async fn delivers_each_update_once_in_order_with_the_secret() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    ok(&sb, &bot.token, "setWebhook", json!({ "url": url, "secret_token": "s3cret", "allowed_updates": ["message", "chat_member"] })).await;
    let ids: Vec<i64> = (0..5)
        .map(|n| sb.send_update(bot.id, message(1, n)).unwrap())
        .collect();
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for ((secret, update, _), id) in seen.iter().zip(&ids) {
        assert_eq!(secret.as_deref(), Some("s3cret"));
        assert_eq!(
            update["update_id"], *id,
            "one chat's messages stay in order"
        );
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
async fn retries_at_once_then_with_doubling_delays_until_a_2xx() {
    let sb = sandbox().await;
    let (hook, url) = receiver(4).await;
    let bot = sb.create_bot("b", "B", None);
    ok(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "allowed_updates": ["message"] }),
    )
    .await;
    let started = Instant::now();
    sb.send_update(bot.id, message(1, 1));
    while sb.attempts(bot.id).len() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let info = ok(&sb, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], 1);
    assert_eq!(
        info["last_error_message"],
        "Wrong response from the webhook: 503 Service Unavailable"
    );
    assert!(info["last_error_date"].as_i64().unwrap() > 0);

    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    // Waits of 0, 40, 80 and 160 ms between the five attempts.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(280), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    let statuses: Vec<Option<u16>> = sb.attempts(bot.id).iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![Some(503), Some(503), Some(503), Some(503), Some(200)]
    );
    assert_eq!(hook.seen.lock().unwrap().len(), 1);
    let info = ok(&sb, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_error_stays_until_the_webhook_is_deleted_or_changed() {
    let sb = sandbox().await;
    let bot = sb.create_bot("b", "B", None);
    let info = async || ok(&sb, &bot.token, "getWebhookInfo", json!({})).await;
    let failed = |info: &Value| {
        info.get("last_error_date").is_some() && info.get("last_error_message").is_some()
    };
    // Each receiver fails its first delivery, then takes it: an error is
    // recorded and nothing is in flight once the update is delivered.
    let (_first, first_url) = receiver(1).await;
    let hook = json!({ "url": first_url, "allowed_updates": ["message"] });
    ok(&sb, &bot.token, "setWebhook", hook.clone()).await;
    sb.send_update(bot.id, message(1, 1));
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    assert!(
        failed(&info().await),
        "a delivered update keeps the last error"
    );
    ok(&sb, &bot.token, "setWebhook", hook).await;
    assert!(
        failed(&info().await),
        "setting the same webhook changes nothing"
    );
    ok(&sb, &bot.token, "deleteWebhook", json!({})).await;
    let deleted = info().await;
    assert!(
        !failed(&deleted),
        "deleteWebhook clears the error: {deleted}"
    );

    let (_second, second_url) = receiver(1).await;
    ok(&sb, &bot.token, "setWebhook", json!({ "url": second_url })).await;
    sb.send_update(bot.id, message(1, 2));
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    assert!(failed(&info().await));
    let (_third, third_url) = receiver(0).await;
    ok(&sb, &bot.token, "setWebhook", json!({ "url": third_url })).await;
    let changed = info().await;
    assert!(
        !failed(&changed),
        "a new webhook starts with no error: {changed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_chat_does_not_delay_another_chats_updates() {
    let sb = sandbox().await;
    let hook = Receiver::default();
    hook.failing_chats.lock().unwrap().insert(1);
    let url = serve(hook.clone()).await;
    let bot = sb.create_bot("b", "B", None);
    ok(&sb, &bot.token, "setWebhook", json!({ "url": url })).await;
    let stuck = sb.send_update(bot.id, message(1, 1)).unwrap();
    let behind = sb.send_update(bot.id, message(1, 2)).unwrap();
    let started = Instant::now();
    let other: Vec<i64> = (0..3)
        .map(|n| sb.send_update(bot.id, message(2, n)).unwrap())
        .collect();
    while hook.updates().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "chat 2 held back"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered: Vec<i64> = hook
        .updates()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(delivered, other, "chat 2 in its own order");
    // Chat 1's head keeps failing and the update behind it waits. Chat 2's
    // three can all be delivered before the head's first retry (a loaded
    // machine): wait for the retry rather than expect it by now.
    let deadline = Instant::now() + Duration::from_secs(5);
    let tries_of_stuck = || {
        sb.attempts(bot.id)
            .iter()
            .filter(|a| a.update_id == stuck)
            .count()
    };
    while tries_of_stuck() < 2 {
        assert!(Instant::now() < deadline, "chat 1's head was not retried");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(sb.attempts(bot.id).iter().all(|a| a.update_id != behind));
    // The receiver has chat 2's last update a moment before the sandbox
    // records its answer: wait for that, not a fixed time.
    let deadline = Instant::now() + Duration::from_secs(3);
    while sb.webhook_info(bot.id).unwrap()["pending_update_count"] != 2 {
        assert!(Instant::now() < deadline, "chat 1's two stay pending");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Once chat 1 recovers, both arrive, in order.
    hook.failing_chats.lock().unwrap().clear();
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let tail: Vec<i64> = hook.updates()[3..]
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(tail, vec![stuck, behind]);
}

#[tokio::test(flavor = "multi_thread")]
async fn members_queue_per_user_and_parallelism_stops_at_max_connections() {
    let sb = sandbox().await;
    let hook = Receiver {
        delay: Duration::from_millis(150),
        ..Receiver::default()
    };
    let url = serve(hook.clone()).await;
    let bot = sb.create_bot("b", "B", None);
    ok(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "max_connections": 2, "allowed_updates": ["chat_member"] }),
    )
    .await;
    let chat = SandboxChat {
        id: -1001,
        title: "C".into(),
        kind: "channel".into(),
    };
    // Four users join at once: four queues, but two connections.
    for id in 1..=4 {
        sb.send_event(
            bot.id,
            &SandboxEvent::Join {
                chat: chat.clone(),
                user: person(id, "P", None),
                invite_link: None,
                via_join_request: false,
                date: None,
            },
        );
    }
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let mut times: Vec<Instant> = hook.seen.lock().unwrap().iter().map(|s| s.2).collect();
    times.sort();
    assert_eq!(times.len(), 4);
    // Two at a time, 150 ms each: the third ends a round after the second.
    assert!(
        times[2].duration_since(times[1]) >= Duration::from_millis(100),
        "{times:?}"
    );
    assert!(
        times[1].duration_since(times[0]) < Duration::from_millis(100),
        "the first two in parallel"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kinds_not_asked_for_are_dropped_when_they_happen_not_kept_for_later() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    let join = |id| SandboxEvent::Join {
        chat: SandboxChat {
            id: -1001,
            title: "C".into(),
            kind: "channel".into(),
        },
        user: person(id, "P", None),
        invite_link: None,
        via_join_request: false,
        date: None,
    };
    // No webhook yet, default allowed_updates: chat_member is left out.
    sb.send_event(bot.id, &join(1));
    sb.send_event(
        bot.id,
        &SandboxEvent::Block {
            user: person(2, "Q", None),
            date: None,
        },
    );
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 1);
    // Asking for chat_member now does not bring the dropped one back.
    ok(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "allowed_updates": ["chat_member", "my_chat_member"] }),
    )
    .await;
    sb.send_event(bot.id, &join(3));
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let kinds: Vec<String> = hook
        .updates()
        .iter()
        .map(|u| {
            u.as_object()
                .unwrap()
                .keys()
                .find(|k| *k != "update_id")
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"my_chat_member".to_owned()));
    let joined: Vec<i64> = hook
        .updates()
        .iter()
        .filter_map(|u| u["chat_member"]["new_chat_member"]["user"]["id"].as_i64())
        .collect();
    assert_eq!(joined, vec![3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_older_than_a_day_are_not_delivered() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    ok(&sb, &bot.token, "setWebhook", json!({ "url": url })).await;
    let mut old = message(1, 1);
    old["message"]["date"] = json!(now() - 86_401);
    sb.send_update(bot.id, old);
    let fresh = sb.send_update(bot.id, message(1, 2)).unwrap();
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let ids: Vec<i64> = hook
        .updates()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![fresh]);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_webhook_can_drop_pending_updates() {
    let sb = sandbox().await;
    let bot = sb.create_bot("b", "B", None);
    sb.send_update(bot.id, message(1, 1));
    ok(&sb, &bot.token, "deleteWebhook", json!({})).await;
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 1);
    ok(
        &sb,
        &bot.token,
        "deleteWebhook",
        json!({ "drop_pending_updates": true }),
    )
    .await;
    assert_eq!(sb.webhook_info(bot.id).unwrap()["pending_update_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_updates_serves_the_queue_until_a_webhook_is_set() {
    let sb = sandbox().await;
    let bot = sb.create_bot("b", "B", None);
    let first = sb.send_update(bot.id, message(1, 1)).unwrap();
    let second = sb.send_update(bot.id, message(2, 1)).unwrap();
    let got = ok(&sb, &bot.token, "getUpdates", json!({})).await;
    let ids: Vec<i64> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![first, second]);
    // An offset confirms what is below it.
    let got = ok(&sb, &bot.token, "getUpdates", json!({ "offset": second })).await;
    assert_eq!(got.as_array().unwrap().len(), 1);
    ok(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": "http://127.0.0.1:9/x" }),
    )
    .await;
    let (status, body) = call(&sb, &bot.token, "getUpdates", json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(
        body["description"],
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_event_of_a_batch_over_the_control_api_happens_once() {
    let sb = sandbox().await;
    let (hook, url) = receiver(0).await;
    let bot = sb.create_bot("b", "B", None);
    ok(
        &sb,
        &bot.token,
        "setWebhook",
        json!({ "url": url, "allowed_updates": ["message"] }),
    )
    .await;
    let events: Vec<Value> = (1..=5)
        .map(|n| json!({ "type": "start", "user": { "id": 70 + n, "first_name": "P" }, "payload": format!("code-c{n}") }))
        .collect();
    let answers: Vec<Value> = reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/bots/{}/events/batch",
            sb.api_url(),
            bot.id
        ))
        .json(&events)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers.len(), 5);
    assert!(answers.iter().all(|a| a["queued"] == true), "{answers:?}");
    assert!(sb.wait_delivered(bot.id, Duration::from_secs(5)).await);
    let texts: Vec<String> = hook
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, update, _)| update["message"]["text"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (1..=5)
            .map(|n| format!("/start code-c{n}"))
            .collect::<Vec<_>>()
    );
    let missing = reqwest::Client::new()
        .post(format!("{}/_sandbox/bots/999/events/batch", sb.api_url()))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
