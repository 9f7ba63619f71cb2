//! Faults against the real binary: a crash under load, a graceful shutdown,
//! and two instances racing on the same bots.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind, SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{
    Api, TestDb, UsherProcess, cli_account, fast_sandbox, settings_env, test_settings,
};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

fn account(db: &TestDb) -> String {
    cli_account(Path::new(BIN), &db.url)
}

async fn add(http: &reqwest::Client, base: &str, key: &str, token: &str) -> Value {
    let req = http
        .post(format!("{base}/api/bots/add.json"))
        .query(&[("id", key)])
        .json(&json!({ "token": token }));
    Api::send(req).await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_under_load_loses_nothing_and_doubles_nothing() {
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let db = TestDb::new();
    let port = free_port();
    let mut settings = test_settings(&db, &sandbox, &format!("http://127.0.0.1:{port}"));
    settings.http.listen = format!("127.0.0.1:{port}");
    let env = settings_env(&settings);
    let mut first = UsherProcess::serve(Path::new(BIN), &env, "warn");
    let key = account(&db);
    let http = reqwest::Client::new();
    let mut bots = Vec::new();
    for n in 0..4 {
        let bot = sandbox.create_bot(&format!("crash{n}bot"), "Crash", None);
        let added = add(&http, &first.base_url(), &key, &bot.token).await;
        bots.push((bot, added["data"]["id"].as_i64().unwrap()));
    }
    const PER_BOT: i64 = 150;
    let chat = SandboxChat {
        id: -100_123,
        title: "Busy".into(),
        kind: "channel".into(),
    };
    for (bot, _) in &bots {
        for user in 0..PER_BOT {
            let join = SandboxEvent::Join {
                chat: chat.clone(),
                user: SandboxUser::new(10_000 + user, "U"),
                invite_link: None,
                via_join_request: false,
                date: None,
            };
            sandbox.send_event(bot.id, &join).unwrap();
        }
    }
    // Crash once deliveries are well under way.
    let deadline = Instant::now() + Duration::from_secs(20);
    while bots
        .iter()
        .map(|(b, _)| sandbox.attempts(b.id).len())
        .sum::<usize>()
        < 150
    {
        assert!(Instant::now() < deadline, "deliveries did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill_now();
    let acknowledged: usize = bots
        .iter()
        .map(|(b, _)| {
            sandbox
                .attempts(b.id)
                .iter()
                .filter(|a| a.status == Some(200))
                .count()
        })
        .sum();
    assert!(
        acknowledged > 0 && acknowledged < (4 * PER_BOT) as usize,
        "killed mid-stream ({acknowledged})"
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    let _second = UsherProcess::serve(Path::new(BIN), &env, "warn");
    for (bot, _) in &bots {
        assert!(
            sandbox
                .wait_delivered(bot.id, Duration::from_secs(60))
                .await,
            "redelivered after restart"
        );
    }
    let client = db.connect().await;
    for (bot, id) in &bots {
        let updates: i64 = client
            .query_one("SELECT count(*) FROM raw_updates WHERE bot_id = $1", &[id])
            .await
            .unwrap()
            .get(0);
        let events: i64 = client
            .query_one(
                "SELECT count(DISTINCT user_id) FROM member_events WHERE bot_id = $1",
                &[id],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            (updates, events),
            (PER_BOT, PER_BOT),
            "bot {}: every update stored exactly once",
            bot.id
        );
    }
    let retried: usize = bots
        .iter()
        .map(|(b, _)| {
            sandbox
                .attempts(b.id)
                .iter()
                .filter(|a| a.status != Some(200))
                .count()
        })
        .sum();
    assert!(
        retried > 0,
        "some deliveries failed during the crash and were retried"
    );
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_requests_in_flight_and_exits() {
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let db = TestDb::new();
    let settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    let mut server = UsherProcess::serve(Path::new(BIN), &settings_env(&settings), "info");
    let key = account(&db);
    let base = server.base_url();
    let bot = sandbox.create_bot("slowbot", "Slow", None);
    sandbox.add_fault(Fault::on("setWebhook", FaultKind::Delay { ms: 1_500 }).times(1));
    let (http, token, key2, base2) = (
        reqwest::Client::new(),
        bot.token.clone(),
        key.clone(),
        base.clone(),
    );
    let in_flight = tokio::spawn(async move { add(&http, &base2, &key2, &token).await });
    tokio::time::sleep(Duration::from_millis(400)).await;

    server.signal_term();
    let answer = in_flight.await.unwrap();
    assert_eq!(
        answer["status"], "ok",
        "the request in flight finished: {answer}"
    );
    let status = server
        .wait_exit(Duration::from_secs(5))
        .expect("exited within 5 s of SIGTERM");
    assert!(status.success(), "{status}");
    assert!(
        server.output().contains("graceful shutdown"),
        "{}",
        server.output()
    );
    // What it answered is committed.
    let connected: i64 = db
        .connect()
        .await
        .query_one("SELECT count(*) FROM bots WHERE deleted_at IS NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(connected, 1);
    assert!(sandbox.bot(bot.id).unwrap().webhook.is_some());
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_racing_on_the_same_bots_keep_the_invariants() {
    let sandbox = usher_sandbox::start(fast_sandbox()).await.unwrap();
    let db = TestDb::new();
    let settings = test_settings(&db, &sandbox, "http://127.0.0.1:9");
    let env = settings_env(&settings);
    let a = UsherProcess::serve(Path::new(BIN), &env, "warn");
    let b = UsherProcess::serve(Path::new(BIN), &env, "warn");
    let keys = [account(&db), account(&db)];
    let http = reqwest::Client::new();
    let bots: Vec<_> = (0..3)
        .map(|n| sandbox.create_bot(&format!("race{n}bot"), "Race", None))
        .collect();

    // Each account connects each bot once first (the first wins, the other
    // gets `exists`), so every record that will exist has a known id.
    let mut first_ids: HashMap<(usize, i64), (i64, String)> = HashMap::new();
    for bot in &bots {
        for (k, key) in keys.iter().enumerate() {
            let answer = add(&http, &a.base_url(), key, &bot.token).await;
            if answer["status"] == "ok" {
                let id = answer["data"]["id"].as_i64().unwrap();
                first_ids.insert((k, bot.id), (id, String::new()));
                // Delete it again so the other account can connect too.
                http.post(format!("{}/api/bots/del.json", a.base_url()))
                    .query(&[("id", key.as_str())])
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    let client = db.connect().await;
    let created: HashMap<i64, String> = client
        .query("SELECT id, created_at::text FROM bots", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();

    let bases = [a.base_url(), b.base_url()];
    let tasks = (0..50).map(|i| {
        let http = http.clone();
        let base = bases[i % 2].clone();
        let key = keys[(i / 2) % 2].clone();
        let bot = &bots[i % bots.len()];
        let token = bot.token.clone();
        let own = first_ids.get(&((i / 2) % 2, bot.id)).map(|(id, _)| *id);
        tokio::spawn(async move {
            if i % 3 == 0
                && let Some(id) = own
            {
                let res = http
                    .post(format!("{base}/api/bots/del.json"))
                    .query(&[("id", key.as_str())])
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                    .unwrap();
                return res.json::<Value>().await.unwrap();
            }
            add(&http, &base, &key, &token).await
        })
    });
    for answer in futures_util::future::join_all(tasks).await {
        let answer = answer.unwrap();
        let ok = answer["status"] == "ok" || answer["error"] == "exists";
        assert!(ok, "every caller gets a correct answer: {answer}");
    }

    let rows = client
        .query(
            "SELECT id, account_id, tg, deleted_at IS NULL, created_at::text FROM bots",
            &[],
        )
        .await
        .unwrap();
    let mut connected_per_tg: HashMap<i64, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for row in &rows {
        let (id, account, tg, connected, created_at): (i64, i64, i64, bool, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        assert!(seen.insert((account, tg)), "one record per account and bot");
        if connected {
            *connected_per_tg.entry(tg).or_default() += 1;
        }
        assert_eq!(
            created.get(&id),
            Some(&created_at),
            "ids and created are kept on restore"
        );
        let webhook = sandbox.bot(tg).unwrap().webhook;
        if connected {
            assert!(webhook.is_some(), "a connected bot has its webhook");
        }
    }
    assert!(
        connected_per_tg.values().all(|n| *n <= 1),
        "{connected_per_tg:?}"
    );
    for bot in &bots {
        if !connected_per_tg.contains_key(&bot.id) {
            assert!(
                sandbox.bot(bot.id).unwrap().webhook.is_none(),
                "a bot deleted everywhere has no webhook"
            );
        }
    }
    assert_eq!(
        rows.len(),
        created.len(),
        "no new records: re-adds restored the old ones"
    );
    sandbox.stop().await;
}
