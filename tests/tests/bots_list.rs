//! `GET /api/bots/list.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::json;
use usher_tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn lists_every_record_of_the_account_with_exactly_the_documented_fields() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let other = app.account().await;
    let mut ids = Vec::new();
    for name in ["alpha_bot", "beta_bot", "gamma_bot"] {
        let bot = app.sandbox.create_bot(name, "Name", None);
        let added = app.add_bot(&acc, &bot.token).await;
        ids.push((added["data"]["id"].as_i64().unwrap(), bot.id));
    }
    let foreign = app.bot("foreign_bot");
    app.add_bot(&other, &foreign.token).await;
    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": ids[1].0 }))
        .await;

    let body = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "deleted included, other accounts' excluded");
    let listed: Vec<i64> = data.iter().map(|b| b["id"].as_i64().unwrap()).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "ordered by id");
    for (row, (id, tg)) in data.iter().zip(&ids) {
        let fields: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            ["id", "tg", "username", "name", "status", "created"]
        );
        assert_eq!(row["id"], *id);
        assert_eq!(row["tg"], *tg, "Telegram's 64-bit id");
        assert_eq!(row["name"], "Name");
        let created = row["created"].as_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%d %H:%M:%S").is_ok(),
            "{created}"
        );
    }
    assert_eq!(data[0]["status"], 0);
    assert_eq!(data[1]["status"], 3);
    assert_eq!(data[2]["status"], 0);

    let empty = app.account().await;
    assert_eq!(
        app.api.get("/api/bots/list.json", &empty.key, &[]).await,
        json!({ "status": "ok", "data": [] })
    );
}
