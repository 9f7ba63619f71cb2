//! The outbox under the faults a review found (issue 22): one bot's token
//! that cannot be decrypted fails that bot's welcomes alone; a Telegram
//! slower than the old fixed lease does not get a welcome twice from two
//! instances; a hung Telegram holds at most `welcome.max_in_flight` sends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind, SandboxEvent, SandboxUser};
use usher_tests::{Api, BinaryCast, UsherProcess};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

/// The welcome of the only lead of Telegram user `user` in the account,
/// once `done` says it has settled.
async fn welcome_of(
    cast: &BinaryCast,
    base: &str,
    user: i64,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let api = Api::new(base.to_owned());
    let deadline = Instant::now() + within;
    loop {
        let list = api.get("/api/leads/list.json", &cast.key, &[]).await;
        let lead = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["subscriber"] == user)
            .cloned();
        if let Some(lead) = lead {
            let got = api
                .get(
                    "/api/leads/get.json",
                    &cast.key,
                    &[("id", &lead["id"].to_string())],
                )
                .await;
            let welcome = got["data"]["welcome"].clone();
            if done(&welcome) {
                return welcome;
            }
            assert!(Instant::now() < deadline, "not settled: {welcome}");
        } else {
            assert!(Instant::now() < deadline, "no lead of {user}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_cannot_be_decrypted_fails_its_welcomes_alone() {
    let cast = BinaryCast::new(
        Path::new(BIN),
        &[
            ("USHER__WELCOME__MAX_AGE_S", "3"),
            ("USHER__WELCOME__RETRY_BASE_MS", "200"),
        ],
    )
    .await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let (bad, bad_code) = cast
        .campaign("corruptbot", -100_901, json!({ "welcome": "Hi" }))
        .await;
    let (good, good_code) = cast
        .campaign("finebot", -100_902, json!({ "welcome": "Hi" }))
        .await;
    // A corrupt row (or one written under another instance's key).
    cast.db
        .connect()
        .await
        .execute(
            "UPDATE bots SET token_enc = '\\xdeadbeef' WHERE tg = $1",
            &[&bad],
        )
        .await
        .unwrap();
    cast.start_all(bad, &bad_code, 3);
    // The other bot's subscribers are other people (ids 101 to 103).
    for user in 101..=103 {
        cast.sandbox.send_event(
            good,
            &SandboxEvent::Start {
                user: SandboxUser::new(user, "P"),
                payload: Some(format!("{good_code}-c{user}")),
                date: None,
            },
        );
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while cast.sandbox.messages(good).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the other bot's welcomes go out:\n{}",
            usher.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // While it is retried, the customer sees why; max_age ends it.
    let base = usher.base_url();
    let waiting = welcome_of(&cast, &base, 1, Duration::from_secs(10), |w| {
        w["error"].as_str().is_some_and(|e| !e.is_empty())
    })
    .await;
    assert!(
        waiting["error"]
            .as_str()
            .unwrap()
            .contains("cannot be decrypted"),
        "{waiting}"
    );
    for user in 1..=3 {
        let failed = welcome_of(&cast, &base, user, Duration::from_secs(20), |w| {
            w["state"] == "failed"
        })
        .await;
        assert!(!failed["error"].as_str().unwrap().is_empty(), "{failed}");
    }
    assert!(cast.sandbox.messages(bad).is_empty());
    usher.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_telegram_slower_than_the_old_lease_gets_each_welcome_once_from_two_instances() {
    // 25 s answers within a 30 s timeout: a fixed 20 s lease let the second
    // instance claim and send again while the first still waited.
    let env = [("USHER__TELEGRAM__TIMEOUT_MS", "30000")];
    let cast = BinaryCast::new(Path::new(BIN), &env).await;
    let mut first = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let mut second = UsherProcess::serve(Path::new(BIN), &cast.other_instance_env(), "warn");
    let (tg, code) = cast
        .campaign("slowtgbot", -100_903, json!({ "welcome": "Hi {name}" }))
        .await;
    cast.sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Delay { ms: 25_000 }));
    const PEOPLE: i64 = 4;
    cast.start_all(tg, &code, PEOPLE);
    for user in 1..=PEOPLE {
        let welcome = welcome_of(
            &cast,
            &first.base_url(),
            user,
            Duration::from_secs(60),
            |w| w["state"] != "pending",
        )
        .await;
        assert_eq!(welcome["state"], "sent", "{welcome}");
    }
    // Past a second lease's send, had there been one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sends = cast
        .sandbox
        .calls()
        .iter()
        .filter(|c| c.method == "sendmessage")
        .count();
    assert_eq!(sends as i64, PEOPLE, "each welcome sent once");
    assert_eq!(cast.sandbox.messages(tg).len() as i64, PEOPLE);
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_telegram_holds_at_most_max_in_flight_sends() {
    const CAP: usize = 16;
    let cap = CAP.to_string();
    let cast = BinaryCast::new(Path::new(BIN), &[("USHER__WELCOME__MAX_IN_FLIGHT", &cap)]).await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let (tg, code) = cast
        .campaign("hungbot", -100_904, json!({ "welcome": "Hi" }))
        .await;
    // Telegram accepts the connection and never answers within the timeout.
    cast.sandbox
        .add_fault(Fault::on("sendMessage", FaultKind::Delay { ms: 60_000 }));
    cast.start_all(tg, &code, 200);
    assert!(
        cast.sandbox
            .wait_delivered(tg, Duration::from_secs(20))
            .await
    );
    // Long enough for a sender without a bound to open a send per welcome.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let peak = cast.sandbox.peak_in_flight();
    eprintln!("peak Bot API calls in flight with a hung Telegram: {peak} (cap {CAP})");
    assert!(peak <= CAP, "{peak} sends in flight, cap {CAP}");
    assert!(peak >= CAP / 2, "the sender uses its slots: {peak}");
    usher.terminate();
}
