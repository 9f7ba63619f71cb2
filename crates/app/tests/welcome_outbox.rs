//! The welcome outbox against the real binary: two instances send every
//! welcome once, and a sender killed with SIGKILL loses none.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{
    Fault, FaultKind, SandboxChat, SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser,
};
use usher_tests::{
    Api, TestDb, UsherProcess, cli_account, fast_sandbox, settings_env, test_settings,
};

const BIN: &str = env!("CARGO_BIN_EXE_usher");
const CHANNEL: i64 = -100_777;

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
    let key = cli_account(Path::new(BIN), &db.url);
    Cast {
        sandbox,
        db,
        env,
        base: format!("http://127.0.0.1:{port}"),
        key,
    }
}

/// A bot connected through `base`, admin of the channel, with a campaign:
/// its Telegram id and the campaign code.
async fn campaign(cast: &Cast) -> (i64, String) {
    let bot = cast.sandbox.create_bot("outboxbot", "Outbox", None);
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
            .json(&json!({ "bot": id, "chat": CHANNEL, "welcome": "Hi {name}" })),
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

/// Messages per recipient, once `people` have one each.
async fn delivered(cast: &Cast, tg: i64, people: i64, within: Duration) -> HashMap<i64, usize> {
    let deadline = Instant::now() + within;
    loop {
        let mut per: HashMap<i64, usize> = HashMap::new();
        for m in cast.sandbox.messages(tg) {
            *per.entry(m.chat_id).or_default() += 1;
        }
        if per.len() as i64 == people {
            return per;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {people} greeted",
            per.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_send_each_welcome_once() {
    let cast = cast().await;
    let mut first = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let mut other_env = cast.env.clone();
    let other_port = free_port();
    for (name, value) in &mut other_env {
        if name == "USHER__HTTP__LISTEN" {
            *value = format!("127.0.0.1:{other_port}");
        }
    }
    let mut second = UsherProcess::serve(Path::new(BIN), &other_env, "warn");
    let (tg, code) = campaign(&cast).await;
    // Slow sends so that both senders have work in hand at once.
    cast.sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Delay { ms: 20 }));
    const PEOPLE: i64 = 200;
    start_all(&cast, tg, &code, PEOPLE);
    let per = delivered(&cast, tg, PEOPLE, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let twice: Vec<_> = per.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "greeted twice: {twice:?}");
    assert_eq!(cast.sandbox.messages(tg).len() as i64, PEOPLE);
    // Each sender records Telegram's answer a moment after the sandbox has
    // the message.
    let db = cast.db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let sent = loop {
        let sent: i64 = db
            .query_one("SELECT count(*) FROM outbox WHERE state = 'sent'", &[])
            .await
            .unwrap()
            .get(0);
        if sent == PEOPLE || Instant::now() > deadline {
            break sent;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sent, PEOPLE);
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sender_killed_mid_send_loses_no_welcome() {
    let cast = cast().await;
    let mut first = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let (tg, code) = campaign(&cast).await;
    cast.sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Delay { ms: 200 }));
    const PEOPLE: i64 = 60;
    start_all(&cast, tg, &code, PEOPLE);
    let deadline = Instant::now() + Duration::from_secs(30);
    while cast.sandbox.messages(tg).len() < 10 {
        assert!(Instant::now() < deadline, "sending did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill_now();
    let db = cast.db.connect().await;
    // What the dead sender held: sent to Telegram or not, it never recorded
    // the answer. These are the only welcomes that may go out twice.
    let held: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE state = 'pending' AND leased_until > now()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(held > 0, "killed while sending");
    cast.sandbox.clear_faults();
    let mut second = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    // Held items come back when their lease ends (20 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open: i64 = db
            .query_one("SELECT count(*) FROM outbox WHERE state <> 'sent'", &[])
            .await
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} welcomes still not sent");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let per = delivered(&cast, tg, PEOPLE, Duration::from_secs(5)).await;
    let extra: i64 = per.values().map(|n| *n as i64 - 1).sum();
    assert!(
        extra <= held,
        "{extra} sent twice, {held} in the crash window"
    );
    second.terminate();
}
