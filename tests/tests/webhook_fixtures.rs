//! The whole fixture corpus (real Update payloads collected from public
//! projects, `tests/fixtures/telegram-updates/SOURCES.md`) delivered to the
//! real webhook: every whole Update is accepted with 2xx, stored as received,
//! and has its effect.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;

use serde_json::{Value, json};
use usher_tests::TestApp;

fn whole_updates() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/telegram-updates");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json") && !name.contains("_fragment-"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|name| {
            let value: Value =
                serde_json::from_slice(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
            (name, value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_whole_update_of_the_corpus_is_accepted_stored_and_applied() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "corpusbot").await;
    let secret = bot.webhook.unwrap().secret_token.unwrap();
    let db = app.db.connect().await;

    let updates = whole_updates();
    assert!(updates.len() >= 30, "the corpus is there");
    for (n, (name, mut update)) in updates.into_iter().enumerate() {
        // Telegram always sends update_id; some samples were stored without.
        let update_id = 10_000 + n as i64;
        update["update_id"] = json!(update_id);
        assert_eq!(app.deliver(id, Some(&secret), &update).await, 200, "{name}");
        let row = db
            .query_one(
                "SELECT kind, payload::text FROM raw_updates WHERE bot_id = $1 AND update_id = $2",
                &[&id, &update_id],
            )
            .await
            .unwrap_or_else(|_| panic!("{name} not stored"));
        let kind: String = row.get(0);
        let stored: Value = serde_json::from_str(row.get::<_, &str>(1)).unwrap();
        assert_eq!(stored, update, "{name} stored as received");
        let expected_kind = update
            .as_object()
            .unwrap()
            .keys()
            .find(|k| *k != "update_id")
            .unwrap()
            .clone();
        assert_eq!(kind, expected_kind, "{name}");
    }

    // The chats where the bot's latest status is administrator.
    assert_eq!(
        app.chats(&acc, id).await,
        json!([
            { "id": -1002162095988i64, "title": "Meteor Corp.", "type": "supergroup" },
            { "id": -1001579743247i64, "title": "ботовая", "type": "channel" },
            { "id": -1001538393672i64, "title": "MindustryInside", "type": "supergroup" },
        ])
    );
    // Chats where it is not (any more) stay known but out of the cache.
    let known: i64 = db
        .query_one(
            "SELECT count(*) FROM bot_chats WHERE bot_id = $1 AND NOT is_admin",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(known, 2, "the kicked supergroup and the basic group");
    let events: Vec<(String, i64)> = db
        .query(
            "SELECT event, user_id FROM member_events WHERE bot_id = $1 ORDER BY update_id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        events,
        vec![
            ("join_request".to_owned(), 123456789),
            ("changed".to_owned(), 123456789),
            ("join".to_owned(), 1868349823),
            ("kicked".to_owned(), 12345),
            ("changed".to_owned(), 3),
        ]
    );
}
