//! The subscriber flow against the real server, PostgreSQL and the
//! sandbox: a deep link's `/start` makes a lead and the bot greets the
//! person; join request, approval, leave move the lead; the journal
//! records it all.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{Account, TestApp, chat};

const WAIT: Duration = Duration::from_secs(10);
const CHANNEL: i64 = -1001234567890;

async fn campaign(app: &TestApp, acc: &Account, bot: i64, welcome: &str) -> Value {
    let added = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": bot, "chat": CHANNEL, "welcome": welcome }),
        )
        .await;
    assert_eq!(added["status"], "ok", "{added}");
    added["data"].clone()
}

/// Waits until the bot has sent `n` messages.
async fn messages(app: &TestApp, tg: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let sent = app.sandbox.messages(tg);
        if sent.len() >= n {
            return sent.into_iter().map(|m| m.message).collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} messages sent",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn lead_row(app: &TestApp, campaign: i64, subscriber: i64) -> (i16, String, bool) {
    let row = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT status, click, join_time IS NOT NULL FROM leads WHERE campaign_id = $1 AND subscriber = $2",
            &[&campaign, &subscriber],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_subscribers_whole_story() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "storybot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    let camp = campaign(
        &app,
        &acc,
        id,
        "Hi *{name}*, welcome to {title}! Your click: {click}",
    )
    .await;
    let code = camp["code"].as_str().unwrap().to_owned();
    let camp_id = camp["id"].as_i64().unwrap();

    let ann = SandboxUser::new(42, "a_b").with_username("ann");
    app.happen(
        bot.id,
        [SandboxEvent::Start {
            user: ann.clone(),
            payload: Some(format!("{code}-click_1")),
            date: None,
        }],
    )
    .await;
    let sent = messages(&app, bot.id, 1).await;
    assert_eq!(sent[0]["chat"]["id"], 42);
    assert_eq!(
        sent[0]["text"],
        "Hi a_b, welcome to My Channel! Your click: click_1"
    );
    assert_eq!(sent[0]["entities"][0]["type"], "bold");
    assert_eq!(
        lead_row(&app, camp_id, 42).await,
        (0, "click_1".into(), false)
    );

    app.happen(
        bot.id,
        [SandboxEvent::JoinRequest {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            invite_link: None,
            date: None,
        }],
    )
    .await;
    assert_eq!(lead_row(&app, camp_id, 42).await.0, 1, "hold");
    // The customer's admin approves; Telegram tells the bot.
    let approved: Value = reqwest::Client::new()
        .post(format!(
            "{}/bot{}/approveChatJoinRequest",
            app.sandbox.api_url(),
            bot.token
        ))
        .json(&json!({ "chat_id": CHANNEL, "user_id": 42 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(approved["result"], true);
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(
        lead_row(&app, camp_id, 42).await,
        (2, "click_1".into(), true),
        "approve"
    );

    app.happen(
        bot.id,
        [SandboxEvent::Leave {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            date: None,
        }],
    )
    .await;
    assert_eq!(lead_row(&app, camp_id, 42).await.0, 3, "cancel");

    // Someone else joins on their own: journaled, unattributed.
    app.happen(
        bot.id,
        [SandboxEvent::Join {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: SandboxUser::new(77, "Org"),
            invite_link: None,
            via_join_request: false,
            date: None,
        }],
    )
    .await;
    let db = app.db.connect().await;
    let journal: Vec<(String, i64, bool)> = db
        .query(
            "SELECT action, user_id, lead_id <> 0 FROM journal WHERE bot_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        journal,
        vec![
            ("start".into(), 42, true),
            ("request".into(), 42, true),
            ("join".into(), 42, true),
            ("leave".into(), 42, true),
            ("join".into(), 77, false),
        ]
    );
    let history: Vec<i16> = db
        .query(
            "SELECT h.status FROM lead_history h JOIN leads l ON l.id = h.lead_id WHERE l.campaign_id = $1 ORDER BY h.id",
            &[&camp_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(history, vec![0, 1, 2, 3]);
    let state: String = db
        .query_one(
            "SELECT state FROM outbox WHERE campaign_id = $1",
            &[&camp_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "sent");
}
