//! Campaigns and what bots rely on them for: `bots/chats.json` exclusion,
//! Warning, and restore on re-add.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use serde_json::{Value, json};
use usher_sandbox::{FakeBot, SandboxChat, SandboxEvent};
use usher_tests::{Account, TestApp, error_of, owner};

fn chat(id: i64) -> SandboxChat {
    usher_tests::chat(id, &format!("Chat {id}"), "supergroup")
}

async fn happen(app: &TestApp, bot: &FakeBot, event: SandboxEvent) {
    app.happen(bot.id, [event]).await;
}

async fn promote(app: &TestApp, bot: &FakeBot, id: i64) {
    app.promote(bot.id, [chat(id)]).await;
}

async fn demote(app: &TestApp, bot: &FakeBot, id: i64) {
    happen(
        app,
        bot,
        SandboxEvent::Demote {
            chat: chat(id),
            by: owner(),
            date: None,
        },
    )
    .await;
}

async fn add_campaign(app: &TestApp, acc: &Account, bot: i64, chat: i64) -> Value {
    app.api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": bot, "chat": chat, "welcome": "Hi!" }),
        )
        .await
}

async fn status_of(app: &TestApp, acc: &Account, bot: i64) -> i64 {
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == bot)
        .unwrap()["status"]
        .as_i64()
        .unwrap()
}

fn chat_ids(chats: &Value) -> Vec<i64> {
    chats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tracked_chat_leaves_the_picker_and_returns_when_its_campaign_is_deleted() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "pickbot").await;
    let (bot2, id2) = app.connected_bot(&acc, "pickbot2").await;
    promote(&app, &bot, -1001).await;
    promote(&app, &bot, -1002).await;
    promote(&app, &bot2, -1001).await;

    let camp = add_campaign(&app, &acc, id, -1001).await;
    assert_eq!(camp["status"], "ok", "{camp}");
    assert_eq!(chat_ids(&app.chats(&acc, id).await), vec![-1002]);
    // Tracked through one bot is tracked for every bot of the account.
    assert_eq!(chat_ids(&app.chats(&acc, id2).await), Vec::<i64>::new());
    let again = add_campaign(&app, &acc, id2, -1001).await;
    assert_eq!(error_of(&again), Some("chat"));

    // Paused still tracks.
    let camp_id = camp["data"]["id"].as_i64().unwrap();
    app.api
        .post_json("/api/camp/pause.json", &acc.key, json!({ "id": camp_id }))
        .await;
    assert_eq!(chat_ids(&app.chats(&acc, id).await), vec![-1002]);

    app.api
        .post_json("/api/camp/del.json", &acc.key, json!({ "id": camp_id }))
        .await;
    assert_eq!(
        chat_ids(&app.chats(&acc, id).await),
        vec![-1002, -1001],
        "ordered by chat id"
    );
    assert_eq!(chat_ids(&app.chats(&acc, id2).await), vec![-1001]);
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_rights_in_a_tracked_chat_is_warning_until_promoted_again() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "warnbot").await;
    promote(&app, &bot, -2001).await;
    promote(&app, &bot, -2002).await;
    let camp = add_campaign(&app, &acc, id, -2001).await;
    let camp_id = camp["data"]["id"].as_i64().unwrap();
    assert_eq!(status_of(&app, &acc, id).await, 0);

    // Untracked chat: only the cache changes.
    demote(&app, &bot, -2002).await;
    assert_eq!(status_of(&app, &acc, id).await, 0);

    demote(&app, &bot, -2001).await;
    assert_eq!(
        status_of(&app, &acc, id).await,
        1,
        "demoted in a tracked chat"
    );
    promote(&app, &bot, -2001).await;
    assert_eq!(status_of(&app, &acc, id).await, 0, "promoted again");

    happen(
        &app,
        &bot,
        SandboxEvent::RemoveBot {
            chat: chat(-2001),
            by: owner(),
            date: None,
        },
    )
    .await;
    assert_eq!(
        status_of(&app, &acc, id).await,
        1,
        "removed from a tracked chat"
    );
    app.api
        .post_json("/api/camp/pause.json", &acc.key, json!({ "id": camp_id }))
        .await;
    assert_eq!(
        status_of(&app, &acc, id).await,
        1,
        "a paused campaign counts"
    );
    app.api
        .post_json("/api/camp/del.json", &acc.key, json!({ "id": camp_id }))
        .await;
    assert_eq!(
        status_of(&app, &acc, id).await,
        0,
        "deleting the campaign clears Warning"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_then_restore_keeps_the_campaigns_and_their_ids() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "keepbot").await;
    promote(&app, &bot, -3001).await;
    promote(&app, &bot, -3002).await;
    let a = add_campaign(&app, &acc, id, -3001).await["data"].clone();
    let b = add_campaign(&app, &acc, id, -3002).await["data"].clone();
    app.api
        .post_json("/api/camp/pause.json", &acc.key, json!({ "id": b["id"] }))
        .await;

    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;
    assert_eq!(status_of(&app, &acc, id).await, 3);
    assert_eq!(
        app.chats(&acc, id).await,
        json!([]),
        "a deleted bot has an empty cache"
    );
    let during = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    assert_eq!(
        during["data"].as_array().unwrap().len(),
        2,
        "campaigns stay while the bot is deleted"
    );
    assert_eq!(during["data"][1]["status"], 1, "each keeps its own status");

    let again = app.add_bot(&acc, &bot.token).await;
    assert_eq!(again["data"]["id"], id);
    assert_eq!(
        status_of(&app, &acc, id).await,
        0,
        "getChatMember says admin in both"
    );
    let after = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    let ids: Vec<&Value> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, vec![&a["id"], &b["id"]]);
    assert_eq!(after["data"][0]["code"], a["code"]);
    let calls = app
        .sandbox
        .calls()
        .iter()
        .filter(|c| c.method == "getchatmember")
        .count();
    assert_eq!(calls, 2, "one getChatMember per tracked chat");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_bot_demoted_meanwhile_is_warning_at_once() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "latebot").await;
    promote(&app, &bot, -4001).await;
    add_campaign(&app, &acc, id, -4001).await;
    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": id }))
        .await;

    // Demoted while usher had no webhook: the update waits at Telegram.
    app.sandbox
        .send_event(
            bot.id,
            &SandboxEvent::Demote {
                chat: chat(-4001),
                by: owner(),
                date: None,
            },
        )
        .unwrap();
    let again = app.add_bot(&acc, &bot.token).await;
    assert_eq!(again["status"], "ok");
    assert_eq!(
        status_of(&app, &acc, id).await,
        1,
        "Warning right after the add answered"
    );
    assert!(
        app.sandbox
            .wait_delivered(bot.id, Duration::from_secs(10))
            .await
    );
    assert_eq!(status_of(&app, &acc, id).await, 1, "the late update agrees");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_live_campaign_per_chat_even_when_adds_race() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "racebot").await;
    let (bot2, id2) = app.connected_bot(&acc, "racebot2").await;
    promote(&app, &bot, -5001).await;
    promote(&app, &bot2, -5001).await;
    let adds = (0..12).map(|i| {
        let api = app.api.clone();
        let key = acc.key.clone();
        let bot = if i % 2 == 0 { id } else { id2 };
        tokio::spawn(async move {
            api.post_json(
                "/api/camp/add.json",
                &key,
                json!({ "bot": bot, "chat": -5001, "welcome": "Hi" }),
            )
            .await
        })
    });
    let answers: Vec<Value> = futures_util::future::join_all(adds)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = answers.iter().filter(|a| a["status"] == "ok").count();
    assert_eq!(ok, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|a| a["status"] != "ok")
            .all(|a| error_of(a) == Some("chat"))
    );
    let list = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_campaigns_change_nothing_and_stay_invisible() {
    let app = TestApp::start().await;
    let a = app.account().await;
    let b = app.account().await;
    let (bot_a, id_a) = app.connected_bot(&a, "abot").await;
    let (bot_b, id_b) = app.connected_bot(&b, "bbot").await;
    promote(&app, &bot_a, -6001).await;
    promote(&app, &bot_b, -6001).await;
    let camp_b = add_campaign(&app, &b, id_b, -6001).await;
    assert_eq!(camp_b["status"], "ok");
    demote(&app, &bot_b, -6001).await;
    assert_eq!(status_of(&app, &b, id_b).await, 1);

    assert_eq!(
        chat_ids(&app.chats(&a, id_a).await),
        vec![-6001],
        "B's campaign does not hide A's chat"
    );
    assert_eq!(status_of(&app, &a, id_a).await, 0);
    let camp_a = add_campaign(&app, &a, id_a, -6001).await;
    assert_eq!(camp_a["status"], "ok", "A may track the same chat");

    let b_id = camp_b["data"]["id"].as_i64().unwrap().to_string();
    let missing = app
        .api
        .get("/api/camp/get.json", &a.key, &[("id", "999999")])
        .await;
    let foreign = app
        .api
        .get("/api/camp/get.json", &a.key, &[("id", &b_id)])
        .await;
    assert_eq!(error_of(&missing), Some("id"));
    assert_eq!(foreign, missing);
    for op in ["pause", "resume", "del"] {
        let body = app
            .api
            .post_json(
                &format!("/api/camp/{op}.json"),
                &a.key,
                json!({ "id": b_id }),
            )
            .await;
        assert_eq!(error_of(&body), Some("id"), "{op}");
    }
    assert_eq!(
        app.api
            .get("/api/camp/get.json", &b.key, &[("id", &b_id)])
            .await["data"]["status"],
        0
    );
    let list_a = app.api.get("/api/camp/list.json", &a.key, &[]).await;
    assert_eq!(list_a["data"].as_array().unwrap().len(), 1);
    // A's campaign on B's bot: bot.
    let body = add_campaign(&app, &a, id_b, -6001).await;
    assert_eq!(error_of(&body), Some("bot"));
}

#[tokio::test(flavor = "multi_thread")]
async fn add_checks_bot_then_chat_then_welcome() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "checkbot").await;
    let (gone, gone_id) = app.connected_bot(&acc, "gonebot").await;
    promote(&app, &bot, -7001).await;
    promote(&app, &gone, -7001).await;
    app.api
        .post_json("/api/bots/del.json", &acc.key, json!({ "id": gone_id }))
        .await;
    let long = "ж".repeat(4097);
    let max = "ж".repeat(4096);
    let cases = [
        (json!({}), "bot"),
        (json!({ "bot": "x", "chat": -7001, "welcome": "Hi" }), "bot"),
        (
            json!({ "bot": 999999, "chat": -7001, "welcome": "Hi" }),
            "bot",
        ),
        (
            json!({ "bot": gone_id, "chat": -7001, "welcome": "Hi" }),
            "bot",
        ),
        (json!({ "bot": id }), "chat"),
        (json!({ "bot": id, "chat": "abc", "welcome": "Hi" }), "chat"),
        (json!({ "bot": id, "chat": -7999, "welcome": "Hi" }), "chat"),
        (json!({ "bot": id, "chat": -7001 }), "welcome"),
        (
            json!({ "bot": id, "chat": -7001, "welcome": "  " }),
            "welcome",
        ),
        (json!({ "bot": id, "chat": -7001, "welcome": 5 }), "welcome"),
        (
            json!({ "bot": id, "chat": -7001, "welcome": long }),
            "welcome",
        ),
    ];
    for (body, code) in cases {
        let answer = app
            .api
            .post_json("/api/camp/add.json", &acc.key, body.clone())
            .await;
        assert_eq!(error_of(&answer), Some(code), "{body}");
    }
    let id_text = id.to_string();
    let answer = app
        .api
        .post_form(
            "/api/camp/add.json",
            &acc.key,
            &[
                ("bot", id_text.as_str()),
                ("chat", "-7001"),
                ("welcome", max.as_str()),
            ],
        )
        .await;
    assert_eq!(
        answer["status"], "ok",
        "4096 characters fit, form body works"
    );
    assert_eq!(
        answer["data"]["welcome"].as_str().unwrap().chars().count(),
        4096
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn campaigns_are_listed_got_paused_resumed_and_deleted() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "lifebot").await;
    promote(&app, &bot, -8001).await;
    promote(&app, &bot, -8002).await;
    let first = add_campaign(&app, &acc, id, -8001).await["data"].clone();
    let second = add_campaign(&app, &acc, id, -8002).await["data"].clone();
    let fields: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "code",
            "bot",
            "bot_username",
            "chat",
            "chat_title",
            "status",
            "created",
            "starts",
            "confirms",
            "unsubs",
            "welcome",
            "button_text",
            "button_url",
            "unsub_window",
            "pb_wait",
            "pb_hold",
            "pb_approve",
            "pb_cancel",
            "pb_trash",
            "link",
            "link_mode",
            "invite_link",
            "join_requests"
        ]
    );
    assert_eq!(first["bot"], id);
    assert_eq!(
        first["link"],
        format!(
            "https://t.me/lifebot?start={}-{{click}}",
            first["code"].as_str().unwrap()
        )
    );
    assert_eq!(
        (
            first["starts"].clone(),
            first["button_text"].clone(),
            first["unsub_window"].clone()
        ),
        (json!(0), json!(""), json!(0))
    );
    assert_eq!(first["bot_username"], "lifebot");
    assert_eq!(first["chat"], -8001);
    assert_eq!(first["chat_title"], "Chat -8001");
    assert_eq!(first["status"], 0);
    let code = first["code"].as_str().unwrap();
    assert!(
        code.len() <= 16 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{code}"
    );
    assert!(
        format!("{code}-{}", "9".repeat(40)).len() <= 64,
        "room for a click id in start="
    );
    assert_ne!(first["code"], second["code"]);

    let first_id = first["id"].as_i64().unwrap();
    let got = app
        .api
        .get(
            "/api/camp/get.json",
            &acc.key,
            &[("id", &first_id.to_string())],
        )
        .await;
    assert_eq!(got["data"], first, "add answers what get answers");

    for (op, status) in [("pause", 1), ("pause", 1), ("resume", 0), ("resume", 0)] {
        let body = app
            .api
            .post_json(
                &format!("/api/camp/{op}.json"),
                &acc.key,
                json!({ "id": first_id }),
            )
            .await;
        assert_eq!(body, json!({ "status": "ok" }));
        let got = app
            .api
            .get(
                "/api/camp/get.json",
                &acc.key,
                &[("id", &first_id.to_string())],
            )
            .await;
        assert_eq!(got["data"]["status"], status, "{op}");
    }
    assert_eq!(
        app.api
            .post_json("/api/camp/del.json", &acc.key, json!({ "id": first_id }))
            .await,
        json!({ "status": "ok" })
    );
    assert_eq!(
        app.api
            .post_json("/api/camp/del.json", &acc.key, json!({ "id": first_id }))
            .await,
        json!({ "status": "ok" })
    );
    let got = app
        .api
        .get(
            "/api/camp/get.json",
            &acc.key,
            &[("id", &first_id.to_string())],
        )
        .await;
    assert_eq!(got["data"]["status"], 2, "a deleted campaign still answers");
    for op in ["pause", "resume"] {
        let body = app
            .api
            .post_json(
                &format!("/api/camp/{op}.json"),
                &acc.key,
                json!({ "id": first_id }),
            )
            .await;
        assert_eq!(error_of(&body), Some("id"), "{op} of a deleted campaign");
    }
    let list = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    let listed: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(listed, vec![&second["id"]], "deleted ones are left out");
    assert!(list["data"][0].get("welcome").is_none());
    for bad in ["", "0", "-1", "x"] {
        let body = app
            .api
            .get("/api/camp/get.json", &acc.key, &[("id", bad)])
            .await;
        assert_eq!(error_of(&body), Some("id"), "{bad:?}");
    }
}

/// Each campaign's `served` flag against its definition: the bot is an
/// administrator of the chat in the cache.
async fn served_flags_disagreeing_with_the_cache(app: &TestApp) -> Vec<(i64, bool, bool)> {
    app.db
        .connect()
        .await
        .query(
            "SELECT c.id, c.served, EXISTS (SELECT 1 FROM bot_chats b WHERE b.bot_id = c.bot_id \
               AND b.chat_id = c.chat_id AND b.is_admin) AS admin FROM campaigns c ORDER BY c.id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .filter(|(_, served, admin)| served != admin)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_created_while_its_chat_is_demoted_sees_the_demotion_in_either_order() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "servedbot").await;
    promote(&app, &bot, -7001).await;
    promote(&app, &bot, -7002).await;
    let insert = |chat: i64, code: &str| {
        format!(
            "INSERT INTO campaigns (account_id, bot_id, chat_id, chat_title, chat_type, code, welcome) \
             VALUES ({}, {id}, {chat}, 'Chat', 'supergroup', '{code}', 'Hi')",
            acc.id
        )
    };
    let demotion = |chat: i64| {
        format!("UPDATE bot_chats SET is_admin = false WHERE bot_id = {id} AND chat_id = {chat}")
    };

    // The demotion first, uncommitted: the campaign waits for it, then
    // reads the cache as it committed.
    let cache = app.db.connect().await;
    cache
        .batch_execute(&format!("BEGIN; {}", demotion(-7001)))
        .await
        .unwrap();
    let creator = app.db.connect().await;
    let sql = insert(-7001, "race_a");
    let created = tokio::spawn(async move { creator.batch_execute(&sql).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !created.is_finished(),
        "the campaign waits for the cache change"
    );
    cache.batch_execute("COMMIT").await.unwrap();
    created.await.unwrap().unwrap();

    // The campaign first, uncommitted: the demotion waits for it, then
    // finds it.
    let creator = app.db.connect().await;
    creator
        .batch_execute(&format!("BEGIN; {}", insert(-7002, "race_b")))
        .await
        .unwrap();
    let cache = app.db.connect().await;
    let sql = demotion(-7002);
    let demoted = tokio::spawn(async move { cache.batch_execute(&sql).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !demoted.is_finished(),
        "the cache change waits for the campaign"
    );
    creator.batch_execute("COMMIT").await.unwrap();
    demoted.await.unwrap().unwrap();

    assert_eq!(served_flags_disagreeing_with_the_cache(&app).await, vec![]);
    assert_eq!(
        status_of(&app, &acc, id).await,
        1,
        "demoted in both tracked chats"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn warning_stays_true_to_the_cache_when_adds_demotions_and_promotions_race() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "racewarnbot").await;
    let chats: Vec<i64> = (0..16).map(|n| -7100 - n).collect();
    app.promote(bot.id, chats.iter().map(|&c| chat(c))).await;
    // Every chat gets a campaign while the odd ones are demoted; then the
    // odd ones are promoted again while untracked chats are promoted too.
    // The calls of each step run at once.
    let adds = chats.iter().map(|&c| add_campaign(&app, &acc, id, c));
    let demotions = chats
        .iter()
        .filter(|c| *c % 2 != 0)
        .map(|&c| demote(&app, &bot, c));
    let (added, ()) = tokio::join!(futures_util::future::join_all(adds), async {
        futures_util::future::join_all(demotions).await;
    });
    let created: Vec<i64> = added
        .into_iter()
        .filter(|a| a["status"] == "ok")
        .map(|a| a["data"]["chat"].as_i64().unwrap())
        .collect();
    assert!(
        created.iter().any(|c| c % 2 == 0),
        "campaigns on chats still administered: {created:?}"
    );
    assert_eq!(served_flags_disagreeing_with_the_cache(&app).await, vec![]);
    let demoted_and_tracked = created.iter().any(|c| c % 2 != 0);
    assert_eq!(
        status_of(&app, &acc, id).await,
        i64::from(demoted_and_tracked)
    );

    let repromoted = chats
        .iter()
        .filter(|c| *c % 2 != 0)
        .map(|&c| promote(&app, &bot, c));
    let untracked = (0..8).map(|n| promote(&app, &bot, -7200 - n));
    tokio::join!(
        futures_util::future::join_all(repromoted),
        futures_util::future::join_all(untracked)
    );
    assert_eq!(served_flags_disagreeing_with_the_cache(&app).await, vec![]);
    assert_eq!(
        status_of(&app, &acc, id).await,
        0,
        "an administrator everywhere again"
    );
}
