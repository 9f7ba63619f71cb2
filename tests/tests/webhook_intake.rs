//! The webhook intake (`rules.md`, "Webhook") against real PostgreSQL, with
//! `tg-sandbox` delivering updates the way Telegram does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use serde_json::{Value, json};
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::TestApp;

const WAIT: Duration = Duration::from_secs(10);

/// event, chat, user, username, actor, unix time, invite link, via join request
type EventRow = (
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    Option<String>,
    bool,
);

fn channel(id: i64, title: &str) -> SandboxChat {
    SandboxChat {
        id,
        title: title.into(),
        kind: "channel".into(),
    }
}

fn person(id: i64, name: &str) -> SandboxUser {
    SandboxUser::new(id, name).with_username(&name.to_lowercase())
}

async fn count(app: &TestApp, sql: &str, bot: i64) -> i64 {
    app.db
        .connect()
        .await
        .query_one(sql, &[&bot])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn promotion_and_demotion_drive_the_admin_chat_cache() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "cachebot").await;
    let owner = person(111, "Owner");

    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::Promote {
            chat: channel(-1001234567890, "My Channel"),
            by: owner.clone(),
            date: None,
        },
    );
    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::Promote {
            chat: SandboxChat {
                id: -1009999,
                title: "Group".into(),
                kind: "supergroup".into(),
            },
            by: owner.clone(),
            date: None,
        },
    );
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(
        app.chats(&acc, id).await,
        json!([
            { "id": -1001234567890i64, "title": "My Channel", "type": "channel" },
            { "id": -1009999, "title": "Group", "type": "supergroup" },
        ])
    );
    let rights: String = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT member::text FROM bot_chats WHERE chat_id = -1001234567890",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let rights: Value = serde_json::from_str(&rights).unwrap();
    assert_eq!(
        rights["can_post_messages"], true,
        "the bot's rights are stored"
    );

    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::Demote {
            chat: channel(-1001234567890, "My Channel"),
            by: owner.clone(),
            date: None,
        },
    );
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(
        app.chats(&acc, id).await,
        json!([{ "id": -1009999, "title": "Group", "type": "supergroup" }])
    );

    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::RemoveBot {
            chat: SandboxChat {
                id: -1009999,
                title: "Group".into(),
                kind: "supergroup".into(),
            },
            by: owner,
            date: None,
        },
    );
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(app.chats(&acc, id).await, json!([]));
    assert!(
        app.sandbox
            .attempts(bot.id)
            .iter()
            .all(|a| a.status == Some(200))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_paths_and_bodies_get_real_http_statuses() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "guardbot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 1, "chat": { "id": 5, "type": "private" } } });

    assert_eq!(app.deliver(id, None, &update).await, 401);
    assert_eq!(app.deliver(id, Some("wrong"), &update).await, 401);
    assert_eq!(app.deliver(id, Some(""), &update).await, 401);
    assert_eq!(app.deliver(id + 1000, Some(&secret), &update).await, 404);
    // Another bot's secret does not open this bot's webhook.
    let (other, _) = app.connected_bot(&acc, "otherbot").await;
    assert_eq!(
        app.deliver(
            id,
            Some(&other.webhook.unwrap().secret_token.unwrap()),
            &update
        )
        .await,
        401
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        0,
        "nothing recorded"
    );

    let http = app.api.http();
    for path in [
        "/telegram/webhook/abc",
        "/telegram/webhook/-1",
        "/telegram/other",
        "/telegram/webhook/",
    ] {
        let res = http
            .post(format!("{}{path}", app.api.base()))
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    for body in ["not json", "[]", "{}", "{\"update_id\":\"x\"}"] {
        let res = http
            .post(format!("{}/telegram/webhook/{id}", app.api.base()))
            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    // Over 1 MiB (Telegram's updates are a few KiB): refused unread.
    let padding = "x".repeat(usher_http::webhook::WEBHOOK_BODY_LIMIT);
    let res = http
        .post(format!("{}/telegram/webhook/{id}", app.api.base()))
        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
        .json(&json!({ "update_id": 2, "padding": padding }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        0,
        "nothing recorded"
    );
    let res = http
        .post(format!("{}/telegram/webhook/{id}", app.api.base()))
        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.bytes().await.unwrap().is_empty(),
        "an empty body: no reply-with-method"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_update_changes_nothing_even_when_racing() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "replaybot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let join = SandboxEvent::Join {
        chat: channel(-100777, "C"),
        user: person(42, "Ann"),
        invite_link: None,
        via_join_request: false,
        date: Some(1_700_000_000),
    };
    let mut update = join.to_update((bot.id, &bot.username, &bot.first_name));
    update["update_id"] = json!(500);

    let sends = (0..20).map(|_| {
        let update = update.clone();
        let secret = secret.clone();
        let http = app.api.http().clone();
        let url = format!("{}/telegram/webhook/{id}", app.api.base());
        tokio::spawn(async move {
            http.post(url)
                .header("X-Telegram-Bot-Api-Secret-Token", secret)
                .json(&update)
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for status in futures_util::future::join_all(sends).await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM member_events WHERE bot_id = $1",
            id
        )
        .await,
        1
    );

    // The same update_id for another bot is another update.
    let (other, other_id) = app.connected_bot(&acc, "replaybot2").await;
    assert_eq!(
        app.deliver(
            other_id,
            Some(&other.webhook.unwrap().secret_token.unwrap()),
            &update
        )
        .await,
        200
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            other_id
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_state_never_overwrites_a_newer_one() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "orderbot").await;
    let secret = bot.webhook.clone().unwrap().secret_token.unwrap();
    let me = (bot.id, bot.username.as_str(), bot.first_name.as_str());
    let chat = channel(-100555, "Ordered");
    let owner = person(1, "Owner");
    let with_id = |event: SandboxEvent, update_id: i64| {
        let mut u = event.to_update(me);
        u["update_id"] = json!(update_id);
        u
    };
    let promote = |date| SandboxEvent::Promote {
        chat: chat.clone(),
        by: owner.clone(),
        date: Some(date),
    };
    let demote = |date| SandboxEvent::Demote {
        chat: chat.clone(),
        by: owner.clone(),
        date: Some(date),
    };

    // A promotion at t=200 arrives before a demotion from t=100.
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(promote(200), 11))
            .await,
        200
    );
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(demote(100), 10))
            .await,
        200
    );
    assert_eq!(
        app.chats(&acc, id).await.as_array().unwrap().len(),
        1,
        "still admin"
    );

    // Same second: update_id decides.
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(demote(200), 9))
            .await,
        200
    );
    assert_eq!(
        app.chats(&acc, id).await.as_array().unwrap().len(),
        1,
        "still admin"
    );
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(demote(200), 12))
            .await,
        200
    );
    assert_eq!(app.chats(&acc, id).await, json!([]));

    // An old promotion cannot bring the chat back after a newer demotion.
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(promote(150), 13))
            .await,
        200
    );
    assert_eq!(app.chats(&acc, id).await, json!([]));
    assert_eq!(
        app.deliver(id, Some(&secret), &with_id(promote(300), 14))
            .await,
        200
    );
    assert_eq!(app.chats(&acc, id).await.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn joins_leaves_bans_and_join_requests_are_recorded() {
    // Recent dates: Telegram does not deliver updates over a day old.
    let t0 = chrono::Utc::now().timestamp() - 3600;
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "trackbot").await;
    let chat = channel(-100321, "Tracked");
    let ann = person(42, "Ann");
    let admin = person(7, "Admin");
    let events = [
        SandboxEvent::JoinRequest {
            chat: chat.clone(),
            user: ann.clone(),
            invite_link: Some("https://t.me/+req".into()),
            date: Some(t0),
        },
        SandboxEvent::Join {
            chat: chat.clone(),
            user: ann.clone(),
            invite_link: Some("https://t.me/+abc".into()),
            via_join_request: false,
            date: Some(t0 + 10),
        },
        SandboxEvent::Leave {
            chat: chat.clone(),
            user: ann.clone(),
            date: Some(t0 + 20),
        },
        SandboxEvent::Join {
            chat: chat.clone(),
            user: ann.clone(),
            invite_link: None,
            via_join_request: true,
            date: Some(t0 + 30),
        },
        SandboxEvent::Kick {
            chat: chat.clone(),
            user: ann.clone(),
            by: admin,
            date: Some(t0 + 40),
        },
    ];
    for event in &events {
        app.sandbox.send_event(bot.id, event).unwrap();
    }
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    let rows = app
        .db
        .connect()
        .await
        .query(
            "SELECT event, chat_id, user_id, username, first_name, actor_id, extract(epoch from at)::bigint, \
                    invite_link, via_join_request, old_status, new_status \
             FROM member_events WHERE bot_id = $1 ORDER BY at",
            &[&id],
        )
        .await
        .unwrap();
    let seen: Vec<EventRow> = rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "join_request".into(),
                -100321,
                42,
                Some("ann".into()),
                None,
                t0,
                Some("https://t.me/+req".into()),
                false
            ),
            (
                "join".into(),
                -100321,
                42,
                Some("ann".into()),
                None,
                t0 + 10,
                Some("https://t.me/+abc".into()),
                false
            ),
            (
                "leave".into(),
                -100321,
                42,
                Some("ann".into()),
                None,
                t0 + 20,
                None,
                false
            ),
            (
                "approved".into(),
                -100321,
                42,
                Some("ann".into()),
                None,
                t0 + 30,
                None,
                true
            ),
            (
                "kicked".into(),
                -100321,
                42,
                Some("ann".into()),
                Some(7),
                t0 + 40,
                None,
                false
            ),
        ]
    );
    let name: Option<String> = rows[0].get(4);
    assert_eq!(name.as_deref(), Some("Ann"));
    // A range read of one chat reads only the month partitions of the
    // range (the others pruned) through their (chat_id, at) index.
    let plan: Vec<String> = app
        .db
        .connect()
        .await
        .query(
            "EXPLAIN SELECT * FROM member_events WHERE chat_id = -100321 AND at BETWEEN now() - interval '1 day' AND now()",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("Subplans Removed"), "{plan}");
    assert!(plan.contains("chat_id_at_idx on member_events_p"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_upgraded_to_a_supergroup_moves_its_cache_entry_and_history() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "migratebot").await;
    let secret = bot.webhook.clone().unwrap().secret_token.unwrap();
    let group = SandboxChat {
        id: -567859824,
        title: "MindustryInside".into(),
        kind: "group".into(),
    };
    // Dated before the real migration messages below, so delivered straight
    // to the webhook: the sandbox, like Telegram, drops updates over a day old.
    let earlier = [
        SandboxEvent::Promote {
            chat: group.clone(),
            by: person(1, "Owner"),
            date: Some(1_629_498_000),
        },
        SandboxEvent::Join {
            chat: group.clone(),
            user: person(42, "Ann"),
            invite_link: None,
            via_join_request: false,
            date: Some(1_629_498_100),
        },
    ];
    for (update_id, event) in (898..).zip(&earlier) {
        let mut update = event.to_update((bot.id, &bot.username, &bot.first_name));
        update["update_id"] = json!(update_id);
        assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    }
    assert_eq!(
        app.chats(&acc, id).await,
        json!([{ "id": -567859824, "title": "MindustryInside", "type": "group" }])
    );

    // The real messages Telegram sends: the old group's, then the new supergroup's.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/telegram-updates");
    for (file, update_id) in [
        ("telegram4j-message-migrate_to_chat_id-1.json", 900),
        ("telegram4j-message-migrate_from_chat_id-1.json", 901),
    ] {
        let mut update: Value =
            serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        update["update_id"] = json!(update_id);
        assert_eq!(app.deliver(id, Some(&secret), &update).await, 200, "{file}");
    }
    assert_eq!(
        app.chats(&acc, id).await,
        json!([{ "id": -1001538393672i64, "title": "MindustryInside", "type": "supergroup" }])
    );
    let moved: i64 = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FROM member_events WHERE chat_id = -1001538393672",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(moved, 1, "the member history moved with the chat");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_bot_acknowledges_and_records_nothing() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "gonebot").await;
    let secret = bot.webhook.clone().unwrap().secret_token.unwrap();
    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::Promote {
            chat: channel(-100888, "Mine"),
            by: person(1, "O"),
            date: None,
        },
    );
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(app.chats(&acc, id).await.as_array().unwrap().len(), 1);
    let before = count(
        &app,
        "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
        id,
    )
    .await;

    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;
    let late = SandboxEvent::Join {
        chat: channel(-100888, "Mine"),
        user: person(5, "Bob"),
        invite_link: None,
        via_join_request: false,
        date: None,
    };
    let mut update = late.to_update((bot.id, &bot.username, &bot.first_name));
    update["update_id"] = json!(77);
    assert_eq!(app.deliver(id, Some(&secret), &update).await, 200);
    assert_eq!(app.deliver(id, Some("wrong"), &update).await, 401);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        before
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM member_events WHERE bot_id = $1",
            id
        )
        .await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM bot_chats WHERE bot_id = $1", id).await,
        0,
        "caches cleared"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_mid_delivery_gives_503_then_the_update_is_applied_once() {
    let app = TestApp::start_with(|s| s.database.timeout_ms = 500).await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "outagebot").await;

    app.db.cut_off().await;
    app.sandbox.send_event(
        bot.id,
        &SandboxEvent::Join {
            chat: channel(-100999, "C"),
            user: person(42, "Ann"),
            invite_link: None,
            via_join_request: false,
            date: None,
        },
    );
    let deadline = std::time::Instant::now() + WAIT;
    while app.sandbox.attempts(bot.id).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no delivery attempts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let info = app.sandbox.webhook_info(bot.id).unwrap();
    assert_eq!(info["pending_update_count"], 1);
    assert_eq!(
        info["last_error_message"],
        "Wrong response from the webhook: 503 Service Unavailable"
    );
    // Direct check of the answer's Retry-After.
    let res = app
        .api
        .http()
        .post(format!("{}/telegram/webhook/{id}", app.api.base()))
        .header("X-Telegram-Bot-Api-Secret-Token", "anything")
        .json(&json!({ "update_id": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_some());

    app.db.restore().await;
    assert!(
        app.sandbox.wait_delivered(bot.id, WAIT).await,
        "delivered after the database came back"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM member_events WHERE bot_id = $1",
            id
        )
        .await,
        1
    );
    let statuses: Vec<Option<u16>> = app
        .sandbox
        .attempts(bot.id)
        .iter()
        .map(|a| a.status)
        .collect();
    assert!(
        statuses.contains(&Some(503)) && statuses.last() == Some(&Some(200)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_group_commit_the_same_promises_hold() {
    let app = TestApp::start_with(|s| s.intake.batch_max = 0).await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "singlebot").await;
    let secret = bot.webhook.clone().unwrap().secret_token.unwrap();
    let me = (bot.id, bot.username.as_str(), bot.first_name.as_str());
    let with_id = |event: SandboxEvent, update_id: i64| {
        let mut u = event.to_update(me);
        u["update_id"] = json!(update_id);
        u
    };
    let chat = channel(-100444, "Single");
    let promote = with_id(
        SandboxEvent::Promote {
            chat: chat.clone(),
            by: person(1, "O"),
            date: Some(200),
        },
        2,
    );
    let sends = (0..10).map(|_| {
        let (http, url, secret, body) = (
            app.api.http().clone(),
            format!("{}/telegram/webhook/{id}", app.api.base()),
            secret.clone(),
            promote.clone(),
        );
        tokio::spawn(async move {
            http.post(url)
                .header("X-Telegram-Bot-Api-Secret-Token", secret)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for status in futures_util::future::join_all(sends).await {
        assert_eq!(status.unwrap(), 200);
    }
    let demote = with_id(
        SandboxEvent::Demote {
            chat,
            by: person(1, "O"),
            date: Some(100),
        },
        1,
    );
    assert_eq!(app.deliver(id, Some(&secret), &demote).await, 200);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM raw_updates WHERE bot_id = $1",
            id
        )
        .await,
        2
    );
    assert_eq!(
        app.chats(&acc, id).await.as_array().unwrap().len(),
        1,
        "the older demotion lost"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_being_re_added_keeps_its_webhook_without_holding_up_other_bots() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "busybot").await;
    let (other, other_id) = app.connected_bot(&acc, "calmbot").await;
    let other_secret = other.webhook.unwrap().secret_token.unwrap();
    let update = |update_id: i64| json!({ "update_id": update_id, "message": { "message_id": 1, "date": 1, "chat": { "id": 5, "type": "private" } } });

    // Re-adding holds the bot while Telegram takes its time over setWebhook.
    app.sandbox.add_fault(
        usher_sandbox::Fault::on("setWebhook", usher_sandbox::FaultKind::Delay { ms: 1_500 })
            .times(1),
    );
    let api = app.api.clone();
    let key = acc.key.clone();
    let token = bot.token.clone();
    let re_add = tokio::spawn(async move { api.add_bot(&key, &token).await });
    tokio::time::sleep(Duration::from_millis(500)).await;

    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let started = std::time::Instant::now();
    // Telegram keeps the old secret until setWebhook has taken the new
    // one, so deliveries with it still count, and nobody waits.
    assert_eq!(
        app.deliver(id, Some(&secret), &update(1)).await,
        200,
        "the current secret works while the re-add waits for Telegram"
    );
    assert_eq!(
        app.deliver(other_id, Some(&other_secret), &update(1)).await,
        200,
        "other bots go on"
    );
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "nobody waited for Telegram"
    );

    assert_eq!(re_add.await.unwrap()["status"], "ok");
    let fresh = app.held_secret(bot.id);
    assert_eq!(app.deliver(id, Some(&fresh), &update(2)).await, 200);
    assert_eq!(
        app.deliver(id, Some(&secret), &update(3)).await,
        401,
        "the old secret is gone"
    );
}
