//! Join-request policies (issue 26) against the real binary and the
//! sandbox: a request through a campaign's invite link approved at once,
//! greeted then approved, declined, left to a person and decided through
//! `leads/approve.json`, and a greeting whose `user_chat_id` window was
//! missed (failed with the reason, the approval still sent); the new
//! endpoints' parameter and tenancy errors; the day's stats.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{Fault, FaultKind, SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{Api, BinaryCast, UsherProcess, cli_account, error_of};

const BIN: &str = env!("CARGO_BIN_EXE_usher");

/// The chat `BinaryCast::campaign` promotes the bot in.
fn channel(id: i64) -> SandboxChat {
    SandboxChat {
        id,
        title: "C".into(),
        kind: "channel".into(),
    }
}

/// One campaign of its own bot and channel, with `link_mode: request` and
/// the policy given: its Telegram bot id, campaign id and invite link.
struct Room {
    tg: i64,
    chat: i64,
    campaign: i64,
    link: String,
}

async fn room(cast: &BinaryCast, api: &Api, name: &str, chat: i64, policy: &str) -> Room {
    let (tg, code) = cast
        .campaign(
            name,
            chat,
            json!({ "welcome": "Hi {name}", "link_mode": "request", "join_requests": policy }),
        )
        .await;
    let list = api.get("/api/camp/list.json", &cast.key, &[]).await;
    let campaign = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let got = api
        .get(
            "/api/camp/get.json",
            &cast.key,
            &[("id", &campaign.to_string())],
        )
        .await;
    assert_eq!(got["data"]["join_requests"], policy, "{got}");
    let link = got["data"]["invite_link"].as_str().unwrap().to_owned();
    Room {
        tg,
        chat,
        campaign,
        link,
    }
}

impl Room {
    /// `user` asks to join through the campaign's link, `age` seconds ago.
    fn request(&self, cast: &BinaryCast, user: i64, age: i64) {
        let date = chrono::Utc::now().timestamp() - age;
        cast.sandbox.send_event(
            self.tg,
            &SandboxEvent::JoinRequest {
                chat: channel(self.chat),
                user: SandboxUser::new(user, "Asker"),
                invite_link: Some(self.link.clone()),
                date: Some(date),
            },
        );
    }
}

/// The campaign's only lead, waiting until `done` holds of it (its
/// `leads/get.json` data) or failing after 20 s.
async fn lead_until(
    cast: &BinaryCast,
    api: &Api,
    campaign: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let list = api
            .get(
                "/api/leads/list.json",
                &cast.key,
                &[("campaign", &campaign.to_string())],
            )
            .await;
        if let Some(id) = list["data"][0]["id"].as_i64() {
            let got = api
                .get("/api/leads/get.json", &cast.key, &[("id", &id.to_string())])
                .await;
            last = got["data"].clone();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the lead never got there: {last}");
}

/// The Bot API methods bot `tg` called, in order, lower-cased.
fn calls_of(cast: &BinaryCast, tg: i64) -> Vec<String> {
    cast.sandbox
        .calls()
        .into_iter()
        .filter(|c| c.bot == Some(tg))
        .map(|c| c.method)
        .collect()
}

fn today(api_days: &Value) -> &Value {
    api_days["data"].as_array().unwrap().last().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_policy_answers_a_request_through_its_link_by_the_outbox() {
    let cast = BinaryCast::new(Path::new(BIN), &[]).await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let api = Api::new(cast.base.clone());

    let approve = room(&cast, &api, "approvebot", -100_801, "approve").await;
    let greet = room(&cast, &api, "greetbot", -100_802, "after_welcome").await;
    let decline = room(&cast, &api, "declinebot", -100_803, "decline").await;
    let late = room(&cast, &api, "latebot", -100_804, "after_welcome").await;
    approve.request(&cast, 501, 0);
    greet.request(&cast, 502, 0);
    decline.request(&cast, 503, 0);
    // Asked six minutes ago: its user_chat_id can no longer be written to.
    late.request(&cast, 504, 360);

    // Approved at once: Telegram's join makes the lead approve; no message.
    let lead = lead_until(&cast, &api, approve.campaign, |l| l["status"] == 2).await;
    assert_eq!(lead["answer"]["answer"], "approve", "{lead}");
    assert_eq!(lead["answer"]["state"], "sent", "{lead}");
    assert!(lead["welcome"].is_null(), "no greeting: {lead}");
    assert!(cast.sandbox.messages(approve.tg).is_empty());

    // Greeted through user_chat_id, then approved, in that order.
    let lead = lead_until(&cast, &api, greet.campaign, |l| l["status"] == 2).await;
    assert_eq!(lead["welcome"]["state"], "sent", "{lead}");
    let sent = cast.sandbox.messages(greet.tg);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].chat_id, 502, "to the requester's user_chat_id");
    assert_eq!(sent[0].message["text"], "Hi Asker");
    let calls = calls_of(&cast, greet.tg);
    let greeted = calls.iter().position(|m| m == "sendmessage").unwrap();
    let approved = calls
        .iter()
        .position(|m| m == "approvechatjoinrequest")
        .unwrap();
    assert!(greeted < approved, "greeting first: {calls:?}");

    // Declined: the request is gone at Telegram, the lead stays held.
    let lead = lead_until(&cast, &api, decline.campaign, |l| {
        l["answer"]["state"] == "sent"
    })
    .await;
    assert_eq!(lead["answer"]["answer"], "decline");
    assert_eq!(lead["status"], 1, "no status means declined");
    assert!(calls_of(&cast, decline.tg).contains(&"declinechatjoinrequest".to_owned()));

    // The window missed: the greeting fails with its reason, the approval
    // still goes and the person joins.
    let lead = lead_until(&cast, &api, late.campaign, |l| l["status"] == 2).await;
    assert_eq!(lead["welcome"]["state"], "failed", "{lead}");
    assert_eq!(lead["welcome"]["error"], "user_chat_id window closed");
    assert!(cast.sandbox.messages(late.tg).is_empty());

    // The day's counts: one request each, one approval or decline each.
    for (room, approvals, declines) in [(&approve, 1, 0), (&greet, 1, 0), (&decline, 0, 1)] {
        let days = api
            .get(
                "/api/stats/days.json",
                &cast.key,
                &[("campaign", &room.campaign.to_string())],
            )
            .await;
        let day = today(&days);
        assert_eq!(day["holds"], 1, "{day}");
        assert_eq!(day["approvals"], approvals, "{day}");
        assert_eq!(day["declines"], declines, "{day}");
    }
    usher.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lead_is_decided_through_the_api_once_and_only_its_accounts() {
    let cast = BinaryCast::new(Path::new(BIN), &[]).await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let api = Api::new(cast.base.clone());
    let manual = room(&cast, &api, "manualbot", -100_811, "manual").await;
    manual.request(&cast, 601, 0);
    let lead = lead_until(&cast, &api, manual.campaign, |l| l["status"] == 1).await;
    assert!(lead["answer"].is_null(), "manual answers nothing: {lead}");
    let id = lead["id"].as_i64().unwrap();

    // Parameter and tenancy errors change nothing.
    let other = cli_account(Path::new(BIN), &cast.db.url);
    for (key, body, code) in [
        (&cast.key, json!({}), "id"),
        (&cast.key, json!({ "id": "x" }), "id"),
        (&cast.key, json!({ "id": -3 }), "id"),
        (&cast.key, json!({ "id": 9_999_999_999_i64 }), "id"),
        (&other, json!({ "id": id }), "id"),
    ] {
        for path in ["/api/leads/approve.json", "/api/leads/decline.json"] {
            let answer = api.post_json(path, key, body.clone()).await;
            assert_eq!(error_of(&answer), Some(code), "{path} {body}: {answer}");
        }
    }
    let unchanged = api
        .get("/api/leads/get.json", &cast.key, &[("id", &id.to_string())])
        .await;
    assert!(unchanged["data"]["answer"].is_null(), "{unchanged}");

    // Telegram slow to answer: the first approval is in flight while the
    // second call comes, which finds it queued.
    cast.sandbox.add_fault(Fault::on(
        "approveChatJoinRequest",
        FaultKind::Delay { ms: 1500 },
    ));
    let first = api
        .post_json("/api/leads/approve.json", &cast.key, json!({ "id": id }))
        .await;
    assert_eq!(first["status"], "ok", "{first}");
    let second = api
        .post_json("/api/leads/decline.json", &cast.key, json!({ "id": id }))
        .await;
    assert_eq!(error_of(&second), Some("deciding"), "{second}");
    let lead = lead_until(&cast, &api, manual.campaign, |l| l["status"] == 2).await;
    assert_eq!(lead["answer"]["answer"], "approve");
    assert_eq!(lead["answer"]["state"], "sent");
    // A member is not held: nothing to decide.
    let again = api
        .post_json("/api/leads/approve.json", &cast.key, json!({ "id": id }))
        .await;
    assert_eq!(error_of(&again), Some("held"), "{again}");
    let approvals: Vec<String> = calls_of(&cast, manual.tg)
        .into_iter()
        .filter(|m| m.ends_with("chatjoinrequest"))
        .collect();
    assert_eq!(approvals, ["approvechatjoinrequest"], "answered once");

    // A bad policy is refused by name on add and edit.
    let bad = api
        .post_json(
            "/api/camp/edit.json",
            &cast.key,
            json!({ "id": manual.campaign, "join_requests": "Approve" }),
        )
        .await;
    assert_eq!(error_of(&bad), Some("policy"), "{bad}");
    let edited = api
        .post_json(
            "/api/camp/edit.json",
            &cast.key,
            json!({ "id": manual.campaign, "join_requests": "decline" }),
        )
        .await;
    assert_eq!(edited["data"]["join_requests"], "decline", "{edited}");
    usher.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_telegram_refuses_is_failed_with_its_reason_and_not_counted() {
    let cast = BinaryCast::new(Path::new(BIN), &[]).await;
    let mut usher = UsherProcess::serve(Path::new(BIN), &cast.env, "warn");
    let api = Api::new(cast.base.clone());
    let refused = room(&cast, &api, "refusedbot", -100_821, "decline").await;
    // A person decided the request in Telegram first: it is gone.
    cast.sandbox.add_fault(Fault::on(
        "declineChatJoinRequest",
        FaultKind::Error {
            status: 400,
            description: "Bad Request: HIDE_REQUESTER_MISSING".into(),
            retry_after: None,
        },
    ));
    refused.request(&cast, 701, 0);
    let lead = lead_until(&cast, &api, refused.campaign, |l| {
        l["answer"]["state"] == "failed"
    })
    .await;
    assert_eq!(lead["answer"]["answer"], "decline");
    assert!(
        lead["answer"]["error"]
            .as_str()
            .unwrap()
            .contains("HIDE_REQUESTER_MISSING"),
        "{lead}"
    );
    assert_eq!(lead["status"], 1);
    let days = api
        .get(
            "/api/stats/days.json",
            &cast.key,
            &[("campaign", &refused.campaign.to_string())],
        )
        .await;
    assert_eq!(
        today(&days)["declines"],
        0,
        "only answers Telegram took count"
    );

    // A bad policy on add is refused by name, and no campaign is made
    // (in a second channel of the bot: the first has its campaign).
    cast.sandbox.send_event(
        refused.tg,
        &SandboxEvent::Promote {
            chat: channel(-100_822),
            by: SandboxUser::new(1, "Owner"),
            date: None,
        },
    );
    assert!(
        cast.sandbox
            .wait_delivered(refused.tg, Duration::from_secs(10))
            .await
    );
    let got = api
        .get(
            "/api/camp/get.json",
            &cast.key,
            &[("id", &refused.campaign.to_string())],
        )
        .await;
    let bad = api
        .post_json(
            "/api/camp/add.json",
            &cast.key,
            json!({ "bot": got["data"]["bot"], "chat": -100_822, "welcome": "Hi",
                    "join_requests": ["approve"] }),
        )
        .await;
    assert_eq!(error_of(&bad), Some("policy"), "{bad}");
    let list = api.get("/api/camp/list.json", &cast.key, &[]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    usher.terminate();
}
