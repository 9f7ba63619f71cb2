//! Invite links per campaign (issue 26), through the API and the sandbox:
//! the link of a campaign's `link_mode` made by Telegram and named by its
//! code, swapped when the mode changes, extra named links of
//! `camp/links.json`, every link revoked when the campaign is deleted, and
//! each endpoint's parameter, tenancy and Telegram errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use serde_json::{Value, json};
use usher_sandbox::{FakeBot, Fault, FaultKind, SandboxChat};
use usher_tests::{Account, TestApp, error_of, owner};

const CHAT: i64 = -1001700000001;

fn channel() -> SandboxChat {
    usher_tests::chat(CHAT, "Paid Channel", "channel")
}

/// An account with a bot that administers [`channel`] with every right.
async fn set_up(app: &TestApp, username: &str) -> (Account, FakeBot, i64) {
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, username).await;
    app.promote(bot.id, [channel()]).await;
    (acc, bot, id)
}

async fn add(app: &TestApp, acc: &Account, bot: i64, extra: Value) -> Value {
    let mut params = json!({ "bot": bot, "chat": CHAT, "welcome": "Hi!" });
    params
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.api
        .post_json("/api/camp/add.json", &acc.key, params)
        .await
}

async fn post(app: &TestApp, acc: &Account, path: &str, params: Value) -> Value {
    app.api.post_json(path, &acc.key, params).await
}

/// `camp/get.json` of campaign `id`.
async fn campaign_of(app: &TestApp, acc: &Account, id: i64) -> Value {
    app.api
        .get("/api/camp/get.json", &acc.key, &[("id", &id.to_string())])
        .await
}

async fn links(app: &TestApp, acc: &Account, campaign: i64) -> Value {
    app.api
        .get(
            "/api/camp/links.json",
            &acc.key,
            &[("id", &campaign.to_string())],
        )
        .await
}

/// The sandbox's record of the link `url`: its chat and `ChatInviteLink`.
fn at_telegram(app: &TestApp, url: &str) -> Value {
    app.sandbox
        .links()
        .into_iter()
        .find(|l| l["link"]["invite_link"] == url)
        .unwrap_or_else(|| panic!("Telegram never made {url}"))
}

fn data(body: &Value) -> &Value {
    assert_eq!(body["status"], "ok", "{body}");
    &body["data"]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaigns_link_is_made_by_telegram_and_every_link_is_revoked_when_it_is_deleted() {
    let app = TestApp::start().await;
    let (acc, bot, id) = set_up(&app, "joinlinkbot").await;
    let camp = add(&app, &acc, id, json!({ "link_mode": "join" })).await;
    let camp = data(&camp).clone();
    let camp_id = camp["id"].as_i64().unwrap();
    assert_eq!(camp["link_mode"], "join");
    let url = camp["invite_link"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://t.me/+"), "{url}");
    let made = at_telegram(&app, &url);
    assert_eq!(made["chat"], CHAT);
    assert_eq!(made["link"]["name"], camp["code"], "named by the code");
    assert_eq!(made["link"]["creates_join_request"], false);
    assert_eq!(made["link"]["creator"]["id"], bot.id);
    let got = campaign_of(&app, &acc, camp_id).await;
    assert_eq!(data(&got)["invite_link"], url.as_str());
    assert_eq!(data(&got)["link_mode"], "join");

    let extra = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "ad 7 — stories" }),
    )
    .await;
    let extra = data(&extra).clone();
    assert_eq!(extra["name"], "ad 7 — stories");
    assert_eq!(extra["primary"], false);
    assert_eq!(
        extra["join_request"], false,
        "admits as the campaign's mode does"
    );
    assert_eq!(extra["revoked"], "0000-00-00 00:00:00");
    let extra_url = extra["url"].as_str().unwrap().to_owned();
    assert_eq!(
        at_telegram(&app, &extra_url)["link"]["name"],
        "ad 7 — stories"
    );

    let listed = links(&app, &acc, camp_id).await;
    let listed = data(&listed).as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["url"], url.as_str());
    assert_eq!(listed[0]["primary"], true);
    assert_eq!(listed[1], extra, "oldest first, as made");

    let revoked = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "revoke": extra["id"] }),
    )
    .await;
    let revoked = data(&revoked).clone();
    assert_ne!(revoked["revoked"], "0000-00-00 00:00:00");
    assert_eq!(at_telegram(&app, &extra_url)["link"]["is_revoked"], true);
    let again = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "revoke": extra["id"].to_string() }),
    )
    .await;
    assert_eq!(data(&again), &revoked, "revoking a revoked link answers it");
    assert_eq!(at_telegram(&app, &url)["link"]["is_revoked"], false);

    let deleted = post(&app, &acc, "/api/camp/del.json", json!({ "id": camp_id })).await;
    assert_eq!(deleted["status"], "ok", "{deleted}");
    assert_eq!(at_telegram(&app, &url)["link"]["is_revoked"], true);
    let listed = links(&app, &acc, camp_id).await;
    assert!(
        data(&listed)
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["revoked"] != "0000-00-00 00:00:00"),
        "{listed}"
    );
    let made_after = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "late" }),
    )
    .await;
    assert_eq!(error_of(&made_after), Some("id"), "a deleted campaign");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_link_mode_revokes_the_old_link_and_makes_the_new_kind() {
    let app = TestApp::start().await;
    let (acc, _bot, id) = set_up(&app, "modebot").await;
    let camp = add(&app, &acc, id, json!({})).await;
    let camp = data(&camp).clone();
    let camp_id = camp["id"].as_i64().unwrap();
    assert_eq!(camp["link_mode"], "none");
    assert_eq!(camp["invite_link"], "");
    assert!(app.sandbox.links().is_empty(), "no link asked for");

    let edit = |mode: &'static str| {
        let app = &app;
        let acc = &acc;
        async move {
            let body = post(
                app,
                acc,
                "/api/camp/edit.json",
                json!({ "id": camp_id, "link_mode": mode }),
            )
            .await;
            data(&body).clone()
        }
    };
    let request = edit("request").await;
    assert_eq!(request["link_mode"], "request");
    let request_url = request["invite_link"].as_str().unwrap().to_owned();
    assert_eq!(
        at_telegram(&app, &request_url)["link"]["creates_join_request"],
        true
    );
    let same = edit("request").await;
    assert_eq!(
        same["invite_link"],
        request_url.as_str(),
        "nothing to change"
    );
    assert_eq!(app.sandbox.links().len(), 1);

    let join = edit("join").await;
    let join_url = join["invite_link"].as_str().unwrap().to_owned();
    assert_ne!(join_url, request_url);
    assert_eq!(at_telegram(&app, &request_url)["link"]["is_revoked"], true);
    assert_eq!(at_telegram(&app, &join_url)["link"]["is_revoked"], false);

    let none = edit("none").await;
    assert_eq!(none["invite_link"], "");
    assert_eq!(at_telegram(&app, &join_url)["link"]["is_revoked"], true);
    let listed = links(&app, &acc, camp_id).await;
    let listed = data(&listed).as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|l| l["primary"] == true));
    assert!(listed.iter().all(|l| l["revoked"] != "0000-00-00 00:00:00"));
    assert_eq!(none["welcome"], "Hi!", "the other settings stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn telegram_refusing_or_down_changes_nothing() {
    let app = TestApp::start().await;
    let (acc, bot, id) = set_up(&app, "refusedbot").await;
    // An administrator without the right to invite users.
    let mut rights = json!({
        "status": "administrator", "can_be_edited": false, "can_manage_chat": true,
        "can_change_info": true, "can_post_messages": true, "can_edit_messages": true,
        "can_delete_messages": true, "can_invite_users": false,
        "can_restrict_members": true, "can_promote_members": false,
        "can_manage_video_chats": false, "is_anonymous": false,
        "can_post_stories": false, "can_edit_stories": false, "can_delete_stories": false,
    });
    rights["user"] = json!({ "id": bot.id, "is_bot": true, "first_name": bot.first_name, "username": bot.username });
    let mut before = rights.clone();
    before["can_invite_users"] = json!(true);
    app.sandbox.send_update(
        bot.id,
        json!({ "my_chat_member": {
            "chat": { "id": CHAT, "title": "Paid Channel", "type": "channel" },
            "from": { "id": owner().id, "is_bot": false, "first_name": owner().first_name },
            "date": chrono::Utc::now().timestamp(),
            "old_chat_member": before,
            "new_chat_member": rights,
        }}),
    );
    assert!(
        app.sandbox
            .wait_delivered(bot.id, std::time::Duration::from_secs(10))
            .await
    );
    let refused = add(&app, &acc, id, json!({ "link_mode": "join" })).await;
    assert_eq!(error_of(&refused), Some("rights"), "{refused}");
    let list = app.api.get("/api/camp/list.json", &acc.key, &[]).await;
    assert_eq!(data(&list), &json!([]), "no campaign made");

    let camp = add(&app, &acc, id, json!({})).await;
    let camp_id = data(&camp)["id"].as_i64().unwrap();
    let refused = post(
        &app,
        &acc,
        "/api/camp/edit.json",
        json!({ "id": camp_id, "link_mode": "request", "welcome": "Changed" }),
    )
    .await;
    assert_eq!(error_of(&refused), Some("rights"));
    let refused = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "ad" }),
    )
    .await;
    assert_eq!(error_of(&refused), Some("rights"));
    let got = campaign_of(&app, &acc, camp_id).await;
    assert_eq!(data(&got)["welcome"], "Hi!", "the edit changed nothing");
    assert_eq!(data(&got)["link_mode"], "none");
    assert!(app.sandbox.links().is_empty());

    // Rights back; Telegram down for the link calls.
    app.promote(bot.id, [channel()]).await;
    app.sandbox.add_fault(bad_gateway("createChatInviteLink"));
    let refused = post(
        &app,
        &acc,
        "/api/camp/edit.json",
        json!({ "id": camp_id, "link_mode": "join" }),
    )
    .await;
    assert_eq!(error_of(&refused), Some("unreachable"));
    app.sandbox.clear_faults();
    let join = post(
        &app,
        &acc,
        "/api/camp/edit.json",
        json!({ "id": camp_id, "link_mode": "join" }),
    )
    .await;
    let url = data(&join)["invite_link"].as_str().unwrap().to_owned();
    app.sandbox.add_fault(bad_gateway("revokeChatInviteLink"));
    let refused = post(&app, &acc, "/api/camp/del.json", json!({ "id": camp_id })).await;
    assert_eq!(error_of(&refused), Some("unreachable"));
    let got = campaign_of(&app, &acc, camp_id).await;
    assert_eq!(data(&got)["status"], 0, "not deleted");
    assert_eq!(data(&got)["invite_link"], url.as_str());
    app.sandbox.clear_faults();
    let deleted = post(&app, &acc, "/api/camp/del.json", json!({ "id": camp_id })).await;
    assert_eq!(deleted["status"], "ok");
    assert_eq!(at_telegram(&app, &url)["link"]["is_revoked"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_parameters_and_tenancy_are_checked_in_order() {
    let app = TestApp::start().await;
    let (acc, _bot, id) = set_up(&app, "paramlinkbot").await;
    let (other, _other_bot, _) = set_up(&app, "otherlinkbot").await;
    for (extra, code) in [
        (json!({ "link_mode": "Join" }), "mode"),
        (json!({ "link_mode": 1 }), "mode"),
        (json!({ "link_mode": "" }), "mode"),
        (
            json!({ "link_mode": "bogus", "pb_wait": "ftp://x" }),
            "postback",
        ),
        (json!({ "link_mode": "bogus", "welcome": "" }), "welcome"),
    ] {
        let body = add(&app, &acc, id, extra.clone()).await;
        assert_eq!(error_of(&body), Some(code), "{extra}: {body}");
    }
    let camp = add(&app, &acc, id, json!({ "link_mode": "request" })).await;
    let camp = data(&camp).clone();
    let camp_id = camp["id"].as_i64().unwrap();
    let bad_edit = post(
        &app,
        &acc,
        "/api/camp/edit.json",
        json!({ "id": camp_id, "link_mode": "all" }),
    )
    .await;
    assert_eq!(error_of(&bad_edit), Some("mode"));

    let primary_id = data(&links(&app, &acc, camp_id).await)[0]["id"].clone();
    let extra = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "x" }),
    )
    .await;
    assert_eq!(data(&extra)["join_request"], true, "as the campaign's mode");
    let name_max = "é".repeat(32);
    let ok = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": name_max }),
    )
    .await;
    assert_eq!(data(&ok)["name"], name_max.as_str());
    let huge = "x".repeat(100_000);
    for (params, code) in [
        (json!({ "name": "x" }), "id"),
        (json!({ "id": "abc", "name": "x" }), "id"),
        (json!({ "id": 0, "name": "x" }), "id"),
        (json!({ "id": i64::MAX, "name": "x" }), "id"),
        (json!({ "id": camp_id }), "name"),
        (json!({ "id": camp_id, "name": "" }), "name"),
        (json!({ "id": camp_id, "name": "   " }), "name"),
        (json!({ "id": camp_id, "name": 7 }), "name"),
        (json!({ "id": camp_id, "name": "é".repeat(33) }), "name"),
        (json!({ "id": camp_id, "name": huge }), "request"),
        (
            json!({ "id": camp_id, "revoke": "abc", "name": "x" }),
            "link",
        ),
        (json!({ "id": camp_id, "revoke": 0 }), "link"),
        (json!({ "id": camp_id, "revoke": primary_id }), "link"),
        (json!({ "id": camp_id, "revoke": i64::MAX }), "link"),
        (json!({ "id": "x", "revoke": "abc" }), "id"),
    ] {
        let body = post(&app, &acc, "/api/camp/links.json", params.clone()).await;
        assert_eq!(error_of(&body), Some(code), "{params}: {body}");
    }

    // Another account sees none of it and changes none of it.
    let extra_id = data(&extra)["id"].clone();
    let theirs = links(&app, &other, camp_id).await;
    assert_eq!(error_of(&theirs), Some("id"));
    let theirs = post(
        &app,
        &other,
        "/api/camp/links.json",
        json!({ "id": camp_id, "revoke": extra_id }),
    )
    .await;
    assert_eq!(error_of(&theirs), Some("id"));
    let theirs = post(
        &app,
        &other,
        "/api/camp/edit.json",
        json!({ "id": camp_id, "link_mode": "none" }),
    )
    .await;
    assert_eq!(error_of(&theirs), Some("id"));
    let other_camp = add(&app, &other, only_bot_of(&app, &other).await, json!({})).await;
    let other_camp_id = data(&other_camp)["id"].as_i64().unwrap();
    let cross = post(
        &app,
        &other,
        "/api/camp/links.json",
        json!({ "id": other_camp_id, "revoke": extra_id }),
    )
    .await;
    assert_eq!(error_of(&cross), Some("link"), "a link of another campaign");
    let url = data(&extra)["url"].as_str().unwrap().to_owned();
    assert_eq!(at_telegram(&app, &url)["link"]["is_revoked"], false);
    let missing = app.api.get("/api/camp/links.json", &acc.key, &[]).await;
    assert_eq!(error_of(&missing), Some("id"));
    let wrong_verb = app
        .api
        .post_json("/api/camp/get.json", &acc.key, json!({ "id": camp_id }))
        .await;
    assert_eq!(error_of(&wrong_verb), Some("func"));
}

/// The other account's bot id (its only bot).
async fn only_bot_of(app: &TestApp, acc: &Account) -> i64 {
    let list = app.api.get("/api/bots/list.json", &acc.key, &[]).await;
    data(&list)[0]["id"].as_i64().unwrap()
}

/// The account's leads, newest first, as `(subscriber, status, click)`.
async fn leads_of(app: &TestApp, acc: &Account, campaign: i64) -> Vec<(i64, i64, String)> {
    let body = app
        .api
        .get(
            "/api/leads/list.json",
            &acc.key,
            &[("campaign", &campaign.to_string())],
        )
        .await;
    data(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["subscriber"].as_i64().unwrap(),
                l["status"].as_i64().unwrap(),
                l["click"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn person(id: i64, name: &str) -> usher_sandbox::SandboxUser {
    usher_sandbox::SandboxUser::new(id, name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_or_request_through_a_campaigns_link_is_its_lead_without_start() {
    use usher_sandbox::SandboxEvent;
    let app = TestApp::start().await;
    let (acc, bot, id) = set_up(&app, "attributebot").await;
    let second = usher_tests::chat(-1001700000002, "Private Group", "supergroup");
    app.promote(bot.id, [second.clone()]).await;
    let joins = add(&app, &acc, id, json!({ "link_mode": "join" })).await;
    let joins = data(&joins).clone();
    let join_url = joins["invite_link"].as_str().unwrap().to_owned();
    let requests = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": id, "chat": second.id, "welcome": "Hi", "link_mode": "request" }),
        )
        .await;
    let requests = data(&requests).clone();
    let request_url = requests["invite_link"].as_str().unwrap().to_owned();
    let ad = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": joins["id"], "name": "ad 2" }),
    )
    .await;
    let ad = data(&ad).clone();
    let join = |user: i64, name: &str, link: Option<&str>| SandboxEvent::Join {
        chat: channel(),
        user: person(user, name),
        invite_link: link.map(str::to_owned),
        via_join_request: false,
        date: None,
    };

    // Bob started the bot through the deep link first: his click stays.
    app.happen(
        bot.id,
        [SandboxEvent::Start {
            user: person(43, "Bob"),
            payload: Some(format!("{}-click43", joins["code"].as_str().unwrap())),
            date: None,
        }],
    )
    .await;
    app.happen(
        bot.id,
        [
            join(42, "Ann", Some(&join_url)),
            join(43, "Bob", Some(ad["url"].as_str().unwrap())),
            // Another administrator's link, as Telegram shows it: elided.
            join(44, "Cid", Some("https://t.me/+AbCdEfGhIj…")),
            join(45, "Dee", None),
            SandboxEvent::JoinRequest {
                chat: second.clone(),
                user: person(46, "Eve"),
                invite_link: Some(request_url.clone()),
                date: None,
            },
        ],
    )
    .await;
    let camp_id = joins["id"].as_i64().unwrap();
    let mut leads = leads_of(&app, &acc, camp_id).await;
    leads.sort();
    assert_eq!(
        leads,
        [(42, 2, String::new()), (43, 2, "click43".to_owned())],
        "Ann by the link, without /start and without a click; Bob keeps his"
    );
    let held = leads_of(&app, &acc, requests["id"].as_i64().unwrap()).await;
    assert_eq!(
        held,
        [(46, 1, String::new())],
        "a request through the link holds"
    );

    let journal = app
        .api
        .get("/api/journal/list.json", &acc.key, &[("action", "join")])
        .await;
    let by_user: std::collections::HashMap<i64, (i64, bool)> = data(&journal)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["user"].as_i64().unwrap(),
                (e["link"].as_i64().unwrap(), e["paid"].as_bool().unwrap()),
            )
        })
        .collect();
    let primary = data(&links(&app, &acc, camp_id).await)[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(by_user[&42], (primary, true));
    assert_eq!(
        by_user[&43],
        (ad["id"].as_i64().unwrap(), true),
        "which link"
    );
    assert_eq!(by_user[&44], (0, false), "organic");
    assert_eq!(by_user[&45], (0, false), "organic");
    let got = campaign_of(&app, &acc, camp_id).await;
    assert_eq!(data(&got)["starts"], 2, "every lead counts");
    assert_eq!(data(&got)["confirms"], 2);

    // Revoked, the link still names its campaign for a late join; paused,
    // the campaign makes no new lead.
    post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "revoke": ad["id"] }),
    )
    .await;
    app.happen(bot.id, [join(47, "Fay", Some(ad["url"].as_str().unwrap()))])
        .await;
    post(&app, &acc, "/api/camp/pause.json", json!({ "id": camp_id })).await;
    app.happen(bot.id, [join(48, "Gus", Some(&join_url))]).await;
    let subscribers: Vec<i64> = leads_of(&app, &acc, camp_id)
        .await
        .into_iter()
        .map(|l| l.0)
        .collect();
    assert!(subscribers.contains(&47), "{subscribers:?}");
    assert!(!subscribers.contains(&48), "{subscribers:?}");
}

fn bad_gateway(method: &str) -> Fault {
    Fault::on(
        method,
        FaultKind::Error {
            status: 502,
            description: "Bad Gateway".into(),
            retry_after: None,
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn links_calls_with_telegram_down_and_deleting_a_deleted_campaign() {
    use usher_sandbox::SandboxEvent;
    let app = TestApp::start().await;
    let (acc, bot, id) = set_up(&app, "downlinkbot").await;
    let camp = add(&app, &acc, id, json!({ "link_mode": "join" })).await;
    let camp_id = data(&camp)["id"].as_i64().unwrap();
    let url = data(&camp)["invite_link"].as_str().unwrap().to_owned();
    let extra = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "ad" }),
    )
    .await;
    let extra_id = data(&extra)["id"].clone();

    app.sandbox.add_fault(bad_gateway("createChatInviteLink"));
    app.sandbox.add_fault(bad_gateway("revokeChatInviteLink"));
    let made = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "name": "ad 2" }),
    )
    .await;
    assert_eq!(error_of(&made), Some("unreachable"));
    let revoked = post(
        &app,
        &acc,
        "/api/camp/links.json",
        json!({ "id": camp_id, "revoke": extra_id }),
    )
    .await;
    assert_eq!(error_of(&revoked), Some("unreachable"));
    let listed = links(&app, &acc, camp_id).await;
    let listed = data(&listed).as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "nothing recorded: {listed:?}");
    assert!(listed.iter().all(|l| l["revoked"] == "0000-00-00 00:00:00"));
    app.sandbox.clear_faults();

    // The bot loses its rights: deleting leaves its link live, as listed.
    app.happen(
        bot.id,
        [SandboxEvent::Demote {
            chat: channel(),
            by: owner(),
            date: None,
        }],
    )
    .await;
    let deleted = post(&app, &acc, "/api/camp/del.json", json!({ "id": camp_id })).await;
    assert_eq!(deleted["status"], "ok", "{deleted}");
    assert_eq!(at_telegram(&app, &url)["link"]["is_revoked"], false);
    // Deleting the deleted campaign is a success that changes nothing
    // (rules.md), and calls no one: Telegram down does not matter.
    app.sandbox.add_fault(bad_gateway("revokeChatInviteLink"));
    let calls = app.sandbox.calls().len();
    let again = post(&app, &acc, "/api/camp/del.json", json!({ "id": camp_id })).await;
    assert_eq!(again["status"], "ok", "{again}");
    assert_eq!(app.sandbox.calls().len(), calls, "no Telegram call");
    let listed = links(&app, &acc, camp_id).await;
    assert!(
        data(&listed)
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["revoked"] == "0000-00-00 00:00:00"),
        "the links the bot could not revoke stay live"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_adds_leave_one_campaign_and_one_live_link() {
    let app = TestApp::start().await;
    let (acc, _bot, id) = set_up(&app, "racelinkbot").await;
    let answers = futures_util::future::join_all(
        (0..6).map(|_| add(&app, &acc, id, json!({ "link_mode": "join" }))),
    )
    .await;
    let won: Vec<&Value> = answers.iter().filter(|a| a["status"] == "ok").collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|a| a["status"] != "ok")
            .all(|a| error_of(a) == Some("chat")),
        "{answers:?}"
    );
    // A loser that had a link made revoked it again.
    let live: Vec<Value> = app
        .sandbox
        .links()
        .into_iter()
        .filter(|l| l["link"]["is_revoked"] == false)
        .collect();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(
        live[0]["link"]["invite_link"],
        won[0]["data"]["invite_link"]
    );
}
