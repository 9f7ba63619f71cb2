//! Issue 22, item 4: one account's many slow trackers hold at most its
//! share of an instance's postback slots, so another account's postbacks
//! keep their latency. Scaled down to run quickly: 64 slots, 2 per tracker,
//! 16 per account; the slow account has 32 trackers (its own hosts, as
//! `host:port` targets) that each answer in 9.9 s, and twice as many
//! postbacks queued as there are slots.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::json;
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{Account, Reply, TestApp, Tracker, chat};

const SLOTS: usize = 64;
const SHARE: usize = 16;

/// Campaigns of `account` through a new bot, one per chat, each posting
/// `wait` back to its tracker; the bot's Telegram id and the codes.
async fn campaigns(
    app: &TestApp,
    account: &Account,
    username: &str,
    trackers: &[Tracker],
    first_chat: i64,
) -> (i64, Vec<String>) {
    let (bot, id) = app.connected_bot(account, username).await;
    let chats: Vec<i64> = (0..trackers.len() as i64).map(|i| first_chat - i).collect();
    app.promote(bot.id, chats.iter().map(|c| chat(*c, "Channel", "channel")))
        .await;
    let mut codes = Vec::new();
    for (chat, tracker) in chats.iter().zip(trackers) {
        let camp = app
            .api
            .post_json(
                "/api/camp/add.json",
                &account.key,
                json!({ "bot": id, "chat": chat, "welcome": "Hi",
                        "pb_wait": format!("{}/pb?c={{click}}", tracker.base) }),
            )
            .await;
        assert_eq!(camp["status"], "ok", "{camp}");
        codes.push(camp["data"]["code"].as_str().unwrap().to_owned());
    }
    (bot.id, codes)
}

fn start(user: i64, code: &str) -> SandboxEvent {
    SandboxEvent::Start {
        user: SandboxUser::new(user, "Ann"),
        payload: Some(format!("{code}-c{user}")),
        date: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_with_many_slow_trackers_leaves_the_other_accounts_their_latency() {
    let app = TestApp::start_with(|s| {
        s.postbacks.allow_private = true;
        s.postbacks.max_in_flight = SLOTS;
        s.postbacks.per_target = 2;
        s.postbacks.per_account = SHARE;
    })
    .await;
    let slow_account = app.account().await;
    let slow: Vec<Tracker> = (0..32)
        .map(|_| Tracker::start(Reply::status(200).after(Duration::from_millis(9_900))))
        .collect();
    let (slow_bot, slow_codes) =
        campaigns(&app, &slow_account, "slowpbbot", &slow, -1001000000000).await;
    let other_account = app.account().await;
    let fast = [Tracker::start(Reply::status(200))];
    let (fast_bot, fast_codes) =
        campaigns(&app, &other_account, "fastpbbot", &fast, -1002000000000).await;

    // Four postbacks per slow tracker: twice the instance's slots.
    let starts: Vec<SandboxEvent> = (0..4 * slow.len())
        .map(|n| start(1000 + n as i64, &slow_codes[n % slow.len()]))
        .collect();
    app.happen(slow_bot, starts).await;
    let in_flight = |trackers: &[Tracker]| trackers.iter().map(|t| t.hits().len()).sum::<usize>();
    let deadline = Instant::now() + Duration::from_secs(5);
    while in_flight(&slow) < SHARE {
        assert!(
            Instant::now() < deadline,
            "the slow postbacks never went out"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = Instant::now();
    app.happen(fast_bot, [start(1, &fast_codes[0])]).await;
    let hits = fast[0].wait_hits(1, Duration::from_secs(15)).await;
    let latency = hits.first().map(|h| h.at.duration_since(started));
    assert!(
        latency.is_some_and(|l| l < Duration::from_secs(3)),
        "the other account's postback waited {latency:?} behind the slow trackers"
    );
    assert!(
        in_flight(&slow) <= SHARE,
        "the slow account holds {} slots, over its share of {SHARE}",
        in_flight(&slow)
    );
}
