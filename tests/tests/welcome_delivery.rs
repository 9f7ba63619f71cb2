//! Welcome messages when things go wrong: a person who blocked the bot
//! (403, no retry), Telegram down (sent once it is back), the database down
//! while welcomes are in flight (recorded once it is back, sent once), flood
//! control (429 honoured), paused and deleted campaigns, a repeat start.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind, SandboxEvent, SandboxUser};
use usher_tests::{Account, TestApp, chat};

const CHANNEL: i64 = -1001234567890;
const WAIT: Duration = Duration::from_secs(15);

struct Setup {
    app: TestApp,
    acc: Account,
    tg: i64,
    camp: i64,
    code: String,
}

async fn setup(retry_base_ms: u64) -> Setup {
    let app = TestApp::start_with(|s| s.welcome.retry_base_ms = retry_base_ms).await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "sendbot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    let camp = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": id, "chat": CHANNEL, "welcome": "Hi {name}", "button_text": "Join",
                    "button_url": "https://t.me/+abc?c={click}" }),
        )
        .await;
    Setup {
        tg: bot.id,
        camp: camp["data"]["id"].as_i64().unwrap(),
        code: camp["data"]["code"].as_str().unwrap().to_owned(),
        app,
        acc,
    }
}

impl Setup {
    async fn start(&self, user: i64, click: &str) {
        self.app
            .happen(
                self.tg,
                [SandboxEvent::Start {
                    user: SandboxUser::new(user, "Ann"),
                    payload: Some(format!("{}-{click}", self.code)),
                    date: None,
                }],
            )
            .await;
    }

    /// The welcome of the lead of `user`, once it is no longer pending.
    async fn settled_welcome(&self, user: i64) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let list = self
                .app
                .api
                .get("/api/leads/list.json", &self.acc.key, &[])
                .await;
            if let Some(lead) = list["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["subscriber"] == user)
            {
                let id = lead["id"].to_string();
                let got = self
                    .app
                    .api
                    .get("/api/leads/get.json", &self.acc.key, &[("id", &id)])
                    .await;
                let welcome = got["data"]["welcome"].clone();
                if welcome["state"] != "pending" {
                    return welcome;
                }
            }
            assert!(Instant::now() < deadline, "the welcome stays pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn send_calls(&self) -> usize {
        self.app
            .sandbox
            .calls()
            .iter()
            .filter(|c| c.method == "sendmessage")
            .count()
    }

    async fn attempts(&self) -> i32 {
        self.app
            .db
            .connect()
            .await
            .query_one(
                "SELECT max(attempts) FROM outbox WHERE campaign_id = $1",
                &[&self.camp],
            )
            .await
            .unwrap()
            .get(0)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_fails_the_welcome_at_once_with_the_reason() {
    let s = setup(50).await;
    s.app.sandbox.add_fault(
        Fault::on(
            "sendMessage",
            FaultKind::Error {
                status: 403,
                description: "Forbidden: bot was blocked by the user".into(),
                retry_after: None,
            },
        )
        .times(1),
    );
    s.start(42, "c1").await;
    let welcome = s.settled_welcome(42).await;
    assert_eq!(welcome["state"], "failed");
    assert_eq!(welcome["error"], "Forbidden: bot was blocked by the user");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.send_calls(), 1, "no retry after a 403");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_telegram_down_the_welcome_arrives_once_it_is_back() {
    let s = setup(50).await;
    s.app
        .sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Drop).times(3));
    s.start(42, "c1").await;
    let welcome = s.settled_welcome(42).await;
    assert_eq!(welcome["state"], "sent", "{welcome}");
    assert_eq!(s.app.sandbox.messages(s.tg).len(), 1);
    assert_eq!(s.attempts().await, 4, "three failures, then sent");
    let sent = &s.app.sandbox.messages(s.tg)[0].message;
    assert_eq!(
        sent["reply_markup"]["inline_keyboard"][0][0]["url"],
        "https://t.me/+abc?c=c1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_while_welcomes_are_in_flight_records_them_once_it_is_back() {
    let s = setup(50).await;
    // Telegram takes 1.5 s to answer: the database goes away after the
    // welcomes are claimed and before their outcomes can be recorded, so
    // the batch that records them fails and is tried again.
    s.app
        .sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Delay { ms: 1_500 }).times(3));
    let users = [41, 42, 43];
    for (n, user) in users.iter().enumerate() {
        s.start(*user, &format!("c{n}")).await;
    }
    let deadline = Instant::now() + WAIT;
    while s.send_calls() < users.len() {
        assert!(Instant::now() < deadline, "the welcomes were never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.app.db.cut_off().await;
    // Past Telegram's answer, so the records fail at least once; well
    // within the 20 s lease, so that no welcome is claimed again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let while_down = s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await;
    assert_eq!(
        while_down["error"], "db",
        "the outage is reported: {while_down}"
    );
    s.app.db.restore().await;
    for user in users {
        let welcome = s.settled_welcome(user).await;
        assert_eq!(welcome["state"], "sent", "{welcome}");
    }
    assert_eq!(s.attempts().await, 1, "each welcome was claimed once");
    assert_eq!(s.app.sandbox.messages(s.tg).len(), users.len());
    assert_eq!(s.send_calls(), users.len(), "nothing was sent twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn flood_control_is_honoured_before_trying_again() {
    let s = setup(50).await;
    s.app.sandbox.add_fault(
        Fault::on(
            "sendMessage",
            FaultKind::Error {
                status: 429,
                description: "Too Many Requests: retry after 1".into(),
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    let started = Instant::now();
    s.start(42, "c1").await;
    let welcome = s.settled_welcome(42).await;
    assert_eq!(welcome["state"], "sent");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited retry_after"
    );
    assert_eq!(s.send_calls(), 2);
    assert_eq!(s.app.sandbox.messages(s.tg).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_and_deleted_campaigns_make_no_lead_and_send_nothing() {
    let s = setup(50).await;
    let id = json!({ "id": s.camp });
    s.app
        .api
        .post_json("/api/camp/pause.json", &s.acc.key, id.clone())
        .await;
    s.start(42, "c1").await;
    s.app
        .api
        .post_json("/api/camp/del.json", &s.acc.key, id)
        .await;
    s.start(43, "c2").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let list = s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await;
    assert_eq!(list["total"], 0);
    assert_eq!(s.send_calls(), 0);
    let journal = s
        .app
        .api
        .get("/api/journal/list.json", &s.acc.key, &[("action", "start")])
        .await;
    assert_eq!(journal["total"], 2, "both starts are journaled");
    assert!(
        journal["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["paid"] == false && e["campaign"] == s.camp)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeat_start_greets_again_and_takes_the_new_click() {
    let s = setup(50).await;
    s.start(42, "first").await;
    assert_eq!(s.settled_welcome(42).await["state"], "sent");
    s.start(42, "second").await;
    let deadline = Instant::now() + WAIT;
    while s.app.sandbox.messages(s.tg).len() < 2 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let list = s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await;
    assert_eq!(list["total"], 1, "still one lead");
    assert_eq!(list["data"][0]["click"], "second");
    let sent = &s.app.sandbox.messages(s.tg)[1].message;
    assert_eq!(
        sent["reply_markup"]["inline_keyboard"][0][0]["url"],
        "https://t.me/+abc?c=second"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_starts_keep_at_most_one_pending_welcome_per_lead() {
    let s = setup(50).await;
    // Telegram refuses every send for now: the first welcome stays pending.
    s.app.sandbox.add_fault(Fault::on(
        "sendMessage",
        FaultKind::Error {
            status: 502,
            description: "Bad Gateway".into(),
            retry_after: None,
        },
    ));
    // Twenty /starts of one person: some in one delivery batch, some apart.
    for round in 0..4 {
        let events: Vec<_> = (0..5)
            .map(|n| SandboxEvent::Start {
                user: SandboxUser::new(42, "Ann"),
                payload: Some(format!("{}-r{round}n{n}", s.code)),
                date: None,
            })
            .collect();
        s.app.happen(s.tg, events).await;
    }
    let pending: i64 = s
        .app
        .db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FROM outbox WHERE campaign_id = $1 AND kind = 'welcome' \
             AND state = 'pending'",
            &[&s.camp],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 1, "one pending welcome for the lead");
    // The spec's rule is otherwise unchanged: the latest click is kept, and
    // the one welcome goes out with it once Telegram is back.
    let list = s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await;
    assert_eq!(list["data"][0]["click"], "r3n4");
    s.app.sandbox.clear_faults();
    assert_eq!(s.settled_welcome(42).await["state"], "sent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = s.app.sandbox.messages(s.tg);
    assert_eq!(sent.len(), 1, "greeted once");
    assert_eq!(
        sent[0].message["reply_markup"]["inline_keyboard"][0][0]["url"],
        "https://t.me/+abc?c=r3n4"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_welcome_too_long_once_sent_is_refused_at_save() {
    let s = setup(50).await;
    let edit = |welcome: String| {
        s.app.api.post_json(
            "/api/camp/edit.json",
            &s.acc.key,
            json!({ "id": s.camp, "welcome": welcome }),
        )
    };
    // 4,096 characters, 8,192 UTF-16 units: Telegram would refuse it.
    let answer = edit("\u{1F600}".repeat(4096)).await;
    assert_eq!(usher_tests::error_of(&answer), Some("welcome"), "{answer}");
    // Short enough alone, too long once {title} holds a long title.
    let answer = edit(format!("{}{{title}}", "a".repeat(4000))).await;
    assert_eq!(usher_tests::error_of(&answer), Some("welcome"), "{answer}");
    // 2,048 emoji fit, and are sent.
    let answer = edit("\u{1F600}".repeat(2048)).await;
    assert_eq!(answer["status"], "ok", "{answer}");
    s.start(42, "c1").await;
    assert_eq!(s.settled_welcome(42).await["state"], "sent");
}
