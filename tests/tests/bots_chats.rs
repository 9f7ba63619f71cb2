//! `GET /api/bots/chats.json?id=`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::json;
use usher_tests::{TestApp, chat, error_of};

#[tokio::test(flavor = "multi_thread")]
async fn lists_the_admin_chat_cache_ordered_by_chat_id() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "chatbot").await;
    let id_text = id.to_string();

    let body = app
        .api
        .get("/api/bots/chats.json", &acc.key, &[("id", &id_text)])
        .await;
    assert_eq!(body, json!({ "status": "ok", "data": [] }));

    // Telegram reports the bot promoted in three chats.
    app.promote(
        bot.id,
        [
            chat(-1001234567890, "My Channel", "channel"),
            chat(-4726613835, "Small group", "group"),
            chat(-1009999999999, "Big group", "supergroup"),
        ],
    )
    .await;
    let db = app.db.connect().await;
    let body = app
        .api
        .get("/api/bots/chats.json", &acc.key, &[("id", &id_text)])
        .await;
    assert_eq!(
        body,
        json!({ "status": "ok", "data": [
            { "id": -1009999999999i64, "title": "Big group", "type": "supergroup" },
            { "id": -1001234567890i64, "title": "My Channel", "type": "channel" },
            { "id": -4726613835i64, "title": "Small group", "type": "group" },
        ]})
    );

    // Deleting clears the cache: a deleted bot answers [].
    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;
    let body = app
        .api
        .get("/api/bots/chats.json", &acc.key, &[("id", &id_text)])
        .await;
    assert_eq!(body, json!({ "status": "ok", "data": [] }));
    let left: i64 = db
        .query_one("SELECT count(*) FROM bot_chats WHERE bot_id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_bot_is_the_same_as_a_missing_one() {
    let app = TestApp::start().await;
    let a = app.account().await;
    let b = app.account().await;
    let bot = app.bot("privatebot");
    let added = app.add_bot(&a, &bot.token).await;
    let id = added["data"]["id"].as_i64().unwrap().to_string();
    let missing = app
        .api
        .get("/api/bots/chats.json", &b.key, &[("id", "999999")])
        .await;
    let foreign = app
        .api
        .get("/api/bots/chats.json", &b.key, &[("id", &id)])
        .await;
    assert_eq!(error_of(&missing), Some("id"));
    assert_eq!(foreign, missing);
    for bad in ["", "0", "-5", "x", "7.0"] {
        let body = app
            .api
            .get("/api/bots/chats.json", &a.key, &[("id", bad)])
            .await;
        assert_eq!(error_of(&body), Some("id"), "{bad:?}");
    }
}
