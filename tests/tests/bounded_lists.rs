//! Issue 22, item 11: every list call's work is bounded by its answer.
//! `offset` stops at 10000; a `total` no counter holds counts at most 10000
//! rows and says so; `leads/get.json` returns the latest 100 history entries
//! and postbacks; campaign counters come from counters.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::json;
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{TestApp, chat, error_of};

const CHANNEL: i64 = -1001234567890;

/// A connection to the test's database, to seed what no test can make
/// through the API in reasonable time (ten thousand journal rows).
async fn db(app: &TestApp) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&app.db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread")]
async fn offsets_stop_at_ten_thousand_and_uncounted_totals_are_capped_and_say_so() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    for path in [
        "/api/leads/list.json",
        "/api/journal/list.json",
        "/api/postbacks/list.json",
    ] {
        let at_cap = app.api.get(path, &acc.key, &[("offset", "10000")]).await;
        assert_eq!(at_cap["status"], "ok", "{path}: {at_cap}");
        let past = app.api.get(path, &acc.key, &[("offset", "10001")]).await;
        assert_eq!(error_of(&past), Some("offset"), "{path}");
    }

    // 10,050 journal rows, and the counter that intake would have kept.
    let db = db(&app).await;
    db.execute(
        "INSERT INTO journal (account_id, bot_id, chat_id, user_id, action, at) \
         SELECT $1, 1, -100, n, 'join', now() FROM generate_series(1, 10050) AS n",
        &[&acc.id],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO journal_counts (account_id, action, paid, shard, n) VALUES ($1, 'join', false, 0, 10050)",
        &[&acc.id],
    )
    .await
    .unwrap();

    let counted = app.api.get("/api/journal/list.json", &acc.key, &[]).await;
    assert_eq!(counted["total"], 10050, "from the counters, exact");
    assert!(counted.get("total_capped").is_none(), "{counted:?}");
    let scanned = app
        .api
        .get("/api/journal/list.json", &acc.key, &[("from", "0")])
        .await;
    assert_eq!(scanned["total"], 10000);
    assert_eq!(scanned["total_capped"], true);
    assert_eq!(scanned["data"].as_array().unwrap().len(), 50);
    let narrow = app
        .api
        .get(
            "/api/journal/list.json",
            &acc.key,
            &[("from", "0"), ("action", "leave")],
        )
        .await;
    assert_eq!(narrow["total"], 0);
    assert!(narrow.get("total_capped").is_none(), "{narrow:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_shows_its_latest_hundred_history_entries_and_campaigns_their_counters() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "boundbot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    let camp = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": id, "chat": CHANNEL, "welcome": "Hi" }),
        )
        .await;
    let code = camp["data"]["code"].as_str().unwrap().to_owned();
    let camp_id = camp["data"]["id"].as_i64().unwrap();
    app.happen(
        bot.id,
        [SandboxEvent::Start {
            user: SandboxUser::new(77, "Ann"),
            payload: Some(format!("{code}-click1")),
            date: None,
        }],
    )
    .await;
    let leads = app.api.get("/api/leads/list.json", &acc.key, &[]).await;
    let lead = leads["data"][0]["id"].as_i64().unwrap();

    // 150 more status changes than any test could make through Telegram.
    let db = db(&app).await;
    db.execute(
        "INSERT INTO lead_history (lead_id, account_id, campaign_id, status, at) \
         SELECT $1, $2, $3, (n % 2)::smallint, to_timestamp(1700000000 + n) \
         FROM generate_series(1, 150) AS n",
        &[&lead, &acc.id, &camp_id],
    )
    .await
    .unwrap();
    let got = app
        .api
        .get(
            "/api/leads/get.json",
            &acc.key,
            &[("id", &lead.to_string())],
        )
        .await;
    let history = got["data"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 100, "{got}");
    let times: Vec<&str> = history
        .iter()
        .map(|h| h["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert_eq!(
        *times.last().unwrap(),
        "2023-11-14 22:15:50",
        "the latest entry is there"
    );

    // Counters, not a count of the leads: a row written behind intake's back
    // does not move them; what intake wrote does.
    db.execute(
        "INSERT INTO leads (account_id, campaign_id, subscriber, status, start_time, join_time, updated, last_date, last_update_id) \
         VALUES ($1, $2, 99, 3, now(), now(), now(), 0, 0)",
        &[&acc.id, &camp_id],
    )
    .await
    .unwrap();
    let got = app
        .api
        .get(
            "/api/camp/get.json",
            &acc.key,
            &[("id", &camp_id.to_string())],
        )
        .await;
    assert_eq!(got["data"]["starts"], 1, "{got}");
    assert_eq!(got["data"]["confirms"], 0);
    assert_eq!(got["data"]["unsubs"], 0);
    let listed = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    assert_eq!(listed["data"][0]["starts"], 1, "{listed}");
}
