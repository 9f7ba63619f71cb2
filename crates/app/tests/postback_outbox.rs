//! Postbacks through the outbox against the real binary: two instances
//! send each postback once, and an instance killed with SIGKILL while
//! trackers hold its requests loses none (they are sent again once their
//! lease ends; only those can reach the tracker twice).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{SandboxChat, SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser};
use usher_tests::{
    Api, Reply, TestDb, Tracker, UsherProcess, cli_account, fast_sandbox, settings_env,
    test_settings,
};

const BIN: &str = env!("CARGO_BIN_EXE_usher");
const CHANNEL: i64 = -100_778;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Cast {
    sandbox: SandboxHandle,
    db: TestDb,
    env: Vec<(String, String)>,
    base: String,
    key: String,
}

async fn cast() -> Cast {
    let sandbox = usher_sandbox::start(SandboxOptions {
        send_rate: 1_000_000,
        ..fast_sandbox()
    })
    .await
    .unwrap();
    let db = TestDb::new();
    let port = free_port();
    let mut settings = test_settings(&db, &sandbox, &format!("http://127.0.0.1:{port}"));
    settings.http.listen = format!("127.0.0.1:{port}");
    let mut env = settings_env(&settings);
    env.push(("USHER__TELEGRAM__SEND_RATE_PER_BOT".into(), "1000".into()));
    env.push(("USHER__POSTBACKS__ALLOW_PRIVATE".into(), "true".into()));
    env.push(("USHER__POSTBACKS__RETRY_BASE_MS".into(), "200".into()));
    let key = cli_account(Path::new(BIN), &db.url);
    Cast {
        sandbox,
        db,
        env,
        base: format!("http://127.0.0.1:{port}"),
        key,
    }
}

/// A bot connected through `base` with a campaign whose wait postback goes
/// to `tracker`: the bot's Telegram id and the campaign code.
async fn campaign(cast: &Cast, tracker: &Tracker) -> (i64, String) {
    let bot = cast.sandbox.create_bot("pboutboxbot", "Outbox", None);
    let http = reqwest::Client::new();
    let added = Api::send(
        http.post(format!("{}/api/bots/add.json", cast.base))
            .query(&[("id", &cast.key)])
            .json(&json!({ "token": bot.token })),
    )
    .await;
    let id = added["data"]["id"].as_i64().unwrap();
    let chat = SandboxChat {
        id: CHANNEL,
        title: "C".into(),
        kind: "channel".into(),
    };
    cast.sandbox.send_event(
        bot.id,
        &SandboxEvent::Promote {
            chat,
            by: SandboxUser::new(1, "Owner"),
            date: None,
        },
    );
    assert!(
        cast.sandbox
            .wait_delivered(bot.id, Duration::from_secs(10))
            .await
    );
    let camp: Value = Api::send(
        http.post(format!("{}/api/camp/add.json", cast.base))
            .query(&[("id", &cast.key)])
            .json(&json!({ "bot": id, "chat": CHANNEL, "welcome": "Hi",
                           "pb_wait": format!("{}/pb?lead={{lead}}", tracker.base) })),
    )
    .await;
    (bot.id, camp["data"]["code"].as_str().unwrap().to_owned())
}

fn start_all(cast: &Cast, tg: i64, code: &str, people: i64) {
    for user in 1..=people {
        cast.sandbox.send_event(
            tg,
            &SandboxEvent::Start {
                user: SandboxUser::new(user, "P"),
                payload: Some(format!("{code}-c{user}")),
                date: None,
            },
        );
    }
}

/// Requests per lead, once every lead has at least one.
async fn per_lead(tracker: &Tracker, people: usize, within: Duration) -> HashMap<String, usize> {
    let deadline = Instant::now() + within;
    loop {
        let mut per: HashMap<String, usize> = HashMap::new();
        for hit in tracker.hits() {
            *per.entry(hit.param("lead").unwrap()).or_default() += 1;
        }
        if per.len() == people {
            return per;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {people} posted back",
            per.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every postback is sent.
async fn all_sent(cast: &Cast, people: i64, within: Duration) {
    let db = cast.db.connect().await;
    let deadline = Instant::now() + within;
    loop {
        let sent: i64 = db
            .query_one(
                "SELECT count(*) FROM outbox WHERE kind = 'postback' AND state = 'sent'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if sent == people {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sent} of {people} recorded sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_send_each_postback_once() {
    let cast = cast().await;
    // Slow answers, so that both senders have postbacks in hand at once.
    let tracker = Tracker::start(Reply::status(200).after(Duration::from_millis(20)));
    let mut first = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let mut other_env = cast.env.clone();
    let other_port = free_port();
    for (name, value) in &mut other_env {
        if name == "USHER__HTTP__LISTEN" {
            *value = format!("127.0.0.1:{other_port}");
        }
    }
    let mut second = UsherProcess::serve(Path::new(BIN), &other_env, "warn");
    let (tg, code) = campaign(&cast, &tracker).await;
    const PEOPLE: i64 = 200;
    start_all(&cast, tg, &code, PEOPLE);
    let per = per_lead(&tracker, PEOPLE as usize, Duration::from_secs(60)).await;
    all_sent(&cast, PEOPLE, Duration::from_secs(20)).await;
    let twice: Vec<_> = per.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "posted twice: {twice:?}");
    assert_eq!(tracker.hits().len() as i64, PEOPLE);
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_killed_mid_delivery_loses_no_postback() {
    let cast = cast().await;
    let tracker = Tracker::start(Reply::status(200));
    // The first five requests hang: the instance dies holding them.
    const HELD: usize = 5;
    tracker.script(vec![
        Reply::status(200).after(Duration::from_secs(30));
        HELD
    ]);
    let mut first = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let (tg, code) = campaign(&cast, &tracker).await;
    const PEOPLE: i64 = 30;
    start_all(&cast, tg, &code, PEOPLE);
    let reached = tracker
        .wait_hits(PEOPLE as usize, Duration::from_secs(30))
        .await;
    assert_eq!(
        reached.len() as i64,
        PEOPLE,
        "every postback was tried once"
    );
    // The answered ones recorded: what the instance still holds is the five.
    all_sent(&cast, PEOPLE - HELD as i64, Duration::from_secs(10)).await;
    first.kill_now();
    let db = cast.db.connect().await;
    let held: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE kind = 'postback' AND state = 'pending' \
             AND leased_until > now()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, HELD as i64, "killed while trackers held five");
    let mut second = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    // The held postbacks come back when their lease ends (20 s).
    all_sent(&cast, PEOPLE, Duration::from_secs(60)).await;
    let per = per_lead(&tracker, PEOPLE as usize, Duration::from_secs(5)).await;
    let twice = per.values().filter(|n| **n == 2).count();
    assert_eq!(
        twice, HELD,
        "exactly the held ones were sent again: {per:?}"
    );
    assert!(per.values().all(|n| *n <= 2));
    second.terminate();
}
