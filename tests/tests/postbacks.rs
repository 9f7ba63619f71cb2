//! Postbacks against real trackers on loopback: each status with its
//! macros filled and encoded, campaign templates over global ones, the
//! unsub window, paused campaigns, the retry rules (backoff, Retry-After,
//! permanent answers, redirects not followed, give-up), order per lead, and
//! the SSRF guard with `postbacks.allow_private` off.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_app::Settings;
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{Account, Hit, Reply, TestApp, Tracker, chat, error_of};

const CHANNEL: i64 = -1001234567890;
const WAIT: Duration = Duration::from_secs(15);

/// Every macro, one query parameter each.
const ALL_MACROS: &str = "click={click}&status={status}&campaign={campaign}&user={user}\
&lead={lead}&subscriber={subscriber}&username={username}&chat={chat}&time={time}&x={nope}";

fn fast(s: &mut Settings) {
    s.postbacks.allow_private = true;
    s.postbacks.retry_base_ms = 200;
    s.postbacks.retry_max_ms = 800;
    s.postbacks.timeout_ms = 1_000;
}

struct Setup {
    app: TestApp,
    acc: Account,
    tg: i64,
    bot: i64,
}

async fn setup(change: impl FnOnce(&mut Settings)) -> Setup {
    let app = TestApp::start_with(change).await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "pbbot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    Setup {
        tg: bot.id,
        bot: id,
        app,
        acc,
    }
}

impl Setup {
    /// A campaign on the channel with `extra` settings: its id and code.
    async fn campaign(&self, extra: Value) -> (i64, String) {
        let camp = self.add_campaign(&extra).await;
        assert_eq!(camp["status"], "ok", "{camp}");
        (
            camp["data"]["id"].as_i64().unwrap(),
            camp["data"]["code"].as_str().unwrap().to_owned(),
        )
    }

    async fn happen(&self, event: SandboxEvent) {
        self.app.happen(self.tg, [event]).await;
    }

    async fn start(&self, user: &SandboxUser, payload: &str, date: Option<i64>) {
        self.happen(SandboxEvent::Start {
            user: user.clone(),
            payload: Some(payload.to_owned()),
            date,
        })
        .await;
    }

    async fn join(&self, user: &SandboxUser, date: Option<i64>) {
        self.happen(SandboxEvent::Join {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: user.clone(),
            invite_link: None,
            via_join_request: false,
            date,
        })
        .await;
    }

    async fn leave(&self, user: &SandboxUser, date: Option<i64>) {
        self.happen(SandboxEvent::Leave {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: user.clone(),
            date,
        })
        .await;
    }

    /// `camp/add.json` on the channel with a welcome and `extra`: the answer.
    async fn add_campaign(&self, extra: &Value) -> Value {
        let mut body = json!({ "bot": self.bot, "chat": CHANNEL, "welcome": "Hi" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.app
            .api
            .post_json("/api/camp/add.json", &self.acc.key, body)
            .await
    }

    /// `camp/get.json` of campaign `id`.
    async fn camp_get(&self, id: i64) -> Value {
        self.app
            .api
            .get(
                "/api/camp/get.json",
                &self.acc.key,
                &[("id", &id.to_string())],
            )
            .await
    }

    async fn postbacks(&self, query: &[(&str, &str)]) -> Value {
        self.app
            .api
            .get("/api/postbacks/list.json", &self.acc.key, query)
            .await
    }

    /// The account's postbacks once none is pending (newest first).
    async fn settled(&self, expected: usize) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let list = self.postbacks(&[]).await;
            let rows = list["data"].as_array().unwrap().clone();
            if rows.len() >= expected && rows.iter().all(|p| p["state"] != "pending") {
                return rows;
            }
            assert!(Instant::now() < deadline, "postbacks still pending: {list}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn status_of(hit: &Hit) -> String {
    hit.param("status").unwrap_or_default()
}

#[tokio::test]
async fn every_status_posts_back_once_with_every_macro_filled_and_encoded() {
    let tracker = Tracker::start(Reply::status(200));
    let s = setup(fast).await;
    let url = |path: &str| format!("{}/{path}?{ALL_MACROS}", tracker.base);
    let (camp, code) = s
        .campaign(json!({
            "pb_wait": url("wait"), "pb_hold": url("hold"), "pb_approve": url("approve"),
            "pb_cancel": url("cancel"), "pb_trash": url("trash"),
        }))
        .await;
    // Telegram usernames are plain, but nothing here relies on it.
    let ann = SandboxUser::new(501, "Ann").with_username("Ann Lee&#Жу?");
    let t0 = chrono::Utc::now().timestamp() - 100;
    s.start(&ann, &format!("{code}-ck_1-x"), Some(t0)).await;
    s.happen(SandboxEvent::JoinRequest {
        chat: chat(CHANNEL, "My Channel", "channel"),
        user: ann.clone(),
        invite_link: None,
        date: Some(t0 + 1),
    })
    .await;
    s.join(&ann, Some(t0 + 2)).await;
    s.leave(&ann, Some(t0 + 3)).await;
    s.join(&ann, Some(t0 + 4)).await;
    s.happen(SandboxEvent::Kick {
        chat: chat(CHANNEL, "My Channel", "channel"),
        user: ann.clone(),
        by: usher_tests::owner(),
        date: Some(t0 + 5),
    })
    .await;

    let rows = s.settled(6).await;
    let hits = tracker.wait_hits(6, WAIT).await;
    let statuses: Vec<String> = hits.iter().map(status_of).collect();
    assert_eq!(
        statuses,
        ["wait", "hold", "approve", "cancel", "approve", "trash"],
        "each change once, in order"
    );
    let lead = s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await["data"][0]["id"]
        .as_i64()
        .unwrap();
    for (n, hit) in hits.iter().enumerate() {
        assert_eq!(hit.path(), format!("/{}", statuses[n]));
        assert_eq!(hit.param("click").unwrap(), "ck_1-x");
        assert_eq!(hit.param("campaign").unwrap(), code);
        assert_eq!(hit.param("user").unwrap(), s.acc.id.to_string());
        assert_eq!(hit.param("lead").unwrap(), lead.to_string());
        assert_eq!(hit.param("subscriber").unwrap(), "501");
        assert_eq!(hit.param("username").unwrap(), "Ann Lee&#Жу?");
        assert_eq!(hit.param("chat").unwrap(), CHANNEL.to_string());
        assert_eq!(hit.param("time").unwrap(), (t0 + n as i64).to_string());
        assert_eq!(hit.param("x").unwrap(), "{nope}", "unknown macros stay");
    }
    assert!(
        hits[0]
            .uri
            .contains("username=Ann%20Lee%26%23%D0%96%D1%83%3F"),
        "percent-encoded: {}",
        hits[0].uri
    );
    // What the customer sees: every postback sent, newest first.
    assert_eq!(rows.len(), 6);
    for row in &rows {
        assert_eq!(row["state"], "sent", "{row}");
        assert_eq!(row["code"], 200);
        assert_eq!(row["error"], "");
        assert_eq!(row["attempts"], 1);
        assert_eq!(row["campaign"], camp);
        assert_eq!(row["lead"], lead);
        assert_ne!(row["sent"], "0000-00-00 00:00:00");
    }
    assert_eq!(rows[0]["status"], "trash");
    assert!(
        rows[5]["url"]
            .as_str()
            .unwrap()
            .starts_with(&url("wait")[..20])
    );
    // leads/get shows the same postbacks.
    let detail = s
        .app
        .api
        .get(
            "/api/leads/get.json",
            &s.acc.key,
            &[("id", &lead.to_string())],
        )
        .await;
    assert_eq!(detail["data"]["postbacks"], json!(rows), "{detail}");
    // Filters.
    let one = s
        .postbacks(&[
            ("lead", &lead.to_string()),
            ("state", "sent"),
            ("limit", "2"),
        ])
        .await;
    assert_eq!(one["total"], 6);
    assert_eq!(one["data"].as_array().unwrap().len(), 2);
    assert_eq!(s.postbacks(&[("state", "failed")]).await["total"], 0);
}

#[tokio::test]
async fn campaign_templates_win_over_global_ones_and_an_empty_one_silences_its_status() {
    let tracker = Tracker::start(Reply::status(204));
    let s = setup(fast).await;
    let global = |st: &str| format!("{}/global/{st}?status={{status}}", tracker.base);
    let profile = s
        .app
        .api
        .post_json(
            "/api/profile/postbacks.json",
            &s.acc.key,
            json!({ "pb_wait": global("wait"), "pb_approve": global("approve") }),
        )
        .await;
    assert_eq!(profile["status"], "ok", "{profile}");
    assert_eq!(profile["data"]["pb_wait"], global("wait"));
    assert_eq!(profile["data"]["pb_hold"], "");
    let (_, code) = s.campaign(json!({})).await;
    let ann = SandboxUser::new(601, "Ann");
    s.start(&ann, &code, None).await;
    let hits = tracker.wait_hits(1, WAIT).await;
    assert_eq!(
        hits[0].path(),
        "/global/wait",
        "no own templates: the global ones"
    );

    // A campaign with only pb_approve uses its own set as is: no wait.
    let (camp2, code2) = {
        // The channel is taken by the first campaign; delete it.
        let first =
            s.app.api.get("/api/camp/list.json", &s.acc.key, &[]).await["data"][0]["id"].clone();
        s.app
            .api
            .post_json("/api/camp/del.json", &s.acc.key, json!({ "id": first }))
            .await;
        s.campaign(json!({ "pb_approve": format!("{}/own/approve", tracker.base) }))
            .await
    };
    let bob = SandboxUser::new(602, "Bob");
    s.start(&bob, &code2, None).await;
    s.join(&bob, None).await;
    let hits = tracker.wait_hits(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits_now = tracker.hits();
    assert_eq!(hits_now.len(), 2, "{hits_now:?}");
    assert_eq!(hits[1].path(), "/own/approve");
    let mine = s.postbacks(&[("campaign", &camp2.to_string())]).await;
    assert_eq!(mine["total"], 1, "{mine}");

    // Clearing the only template leaves the campaign on the global set.
    let edited = s
        .app
        .api
        .post_json(
            "/api/camp/edit.json",
            &s.acc.key,
            json!({ "id": camp2, "pb_approve": "" }),
        )
        .await;
    assert_eq!(edited["data"]["pb_approve"], "", "{edited}");
    let cid = SandboxUser::new(603, "Cid");
    s.start(&cid, &code2, None).await;
    let hits = tracker.wait_hits(3, WAIT).await;
    assert_eq!(hits[2].path(), "/global/wait");
}

#[tokio::test]
async fn the_unsub_window_and_a_paused_campaign_hold_back_postbacks_not_statuses() {
    let tracker = Tracker::start(Reply::status(200));
    let s = setup(fast).await;
    let t = |st: &str| format!("{}/{st}?status={{status}}&l={{lead}}", tracker.base);
    let (camp, code) = s
        .campaign(
            json!({ "unsub_window": 60, "pb_wait": t("wait"), "pb_approve": t("approve"),
                          "pb_cancel": t("cancel") }),
        )
        .await;
    let now = chrono::Utc::now().timestamp() - 1000;
    let (ann, bob) = (SandboxUser::new(701, "Ann"), SandboxUser::new(702, "Bob"));
    s.start(&ann, &code, Some(now)).await;
    s.start(&bob, &code, Some(now)).await;
    s.join(&ann, Some(now + 10)).await;
    s.join(&bob, Some(now + 10)).await;
    s.leave(&ann, Some(now + 50)).await; // inside the window: cancel posted
    s.leave(&bob, Some(now + 200)).await; // outside: no postback
    s.settled(5).await;
    let statuses: Vec<String> = tracker
        .wait_hits(5, WAIT)
        .await
        .iter()
        .map(status_of)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "cancel").count(),
        1,
        "{statuses:?}"
    );
    let leads = s
        .app
        .api
        .get("/api/leads/list.json", &s.acc.key, &[("status", "3")])
        .await;
    assert_eq!(leads["total"], 2, "both leads are cancel: {leads}");

    // Paused: statuses still change, nothing is posted.
    let paused = s
        .app
        .api
        .post_json("/api/camp/pause.json", &s.acc.key, json!({ "id": camp }))
        .await;
    assert_eq!(paused["status"], "ok");
    s.join(&ann, Some(now + 300)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        tracker.hits().len(),
        5,
        "nothing posted from a paused campaign"
    );
    let ann_lead = s
        .app
        .api
        .get("/api/leads/list.json", &s.acc.key, &[("status", "2")])
        .await;
    assert_eq!(ann_lead["total"], 1, "{ann_lead}");
}

#[tokio::test]
async fn retries_back_off_honour_retry_after_and_stop_at_permanent_answers() {
    let backoff = Tracker::start(Reply::status(200));
    backoff.script([Reply::status(503), Reply::status(500)]);
    let later = Tracker::start(Reply::status(200));
    later.script([Reply::status(429).retry_after(2)]);
    let gone = Tracker::start(Reply::status(404));
    let moved = Tracker::start(Reply::status(200));
    moved.script([Reply::status(302).location(&format!("{}/elsewhere", moved.base))]);
    let s = setup(fast).await;
    // One campaign per tracker on the same channel, each deleted when the
    // next is made: queued postbacks of a deleted campaign are still sent.
    let users = [(801, &backoff), (802, &later), (803, &gone), (804, &moved)];
    for (n, (user, tracker)) in users.iter().enumerate() {
        if n > 0 {
            let first =
                s.app.api.get("/api/camp/list.json", &s.acc.key, &[]).await["data"][0]["id"]
                    .clone();
            s.app
                .api
                .post_json("/api/camp/del.json", &s.acc.key, json!({ "id": first }))
                .await;
        }
        let (_, code) = s
            .campaign(json!({ "pb_wait": format!("{}/pb?l={{lead}}", tracker.base) }))
            .await;
        s.start(&SandboxUser::new(*user, "P"), &code, None).await;
    }
    let rows = s.settled(4).await;
    let by_url = |t: &Tracker| {
        rows.iter()
            .find(|r| r["url"].as_str().unwrap().starts_with(&t.base))
            .unwrap()
            .clone()
    };

    let hits = backoff.hits();
    assert_eq!(hits.len(), 3, "503, 500, then 200");
    let (gap1, gap2) = (hits[1].at - hits[0].at, hits[2].at - hits[1].at);
    assert!(
        gap1 >= Duration::from_millis(200),
        "first retry after the base: {gap1:?}"
    );
    assert!(gap2 >= Duration::from_millis(400), "then doubled: {gap2:?}");
    let row = by_url(&backoff);
    assert_eq!(
        (row["state"].clone(), row["attempts"].clone()),
        (json!("sent"), json!(3))
    );

    let hits = later.hits();
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1].at - hits[0].at >= Duration::from_secs(2),
        "Retry-After honoured"
    );
    assert_eq!(by_url(&later)["state"], "sent");

    assert_eq!(gone.hits().len(), 1, "404 is not retried");
    let row = by_url(&gone);
    assert_eq!(
        (
            row["state"].clone(),
            row["code"].clone(),
            row["error"].clone()
        ),
        (json!("failed"), json!(404), json!("http"))
    );

    let hits = moved.hits();
    assert_eq!(hits.len(), 1, "the redirect is not followed: {hits:?}");
    let row = by_url(&moved);
    assert_eq!(
        (
            row["state"].clone(),
            row["code"].clone(),
            row["error"].clone()
        ),
        (json!("failed"), json!(302), json!("http"))
    );
    assert_eq!(row["sent"], "0000-00-00 00:00:00");
}

#[tokio::test]
async fn a_postback_is_given_up_after_the_retry_window_and_timeouts_count_as_tries() {
    let dead = Tracker::start(Reply::status(503));
    let slow = Tracker::start(Reply::status(200).after(Duration::from_secs(3)));
    let s = setup(|s| {
        fast(s);
        s.postbacks.give_up_s = 2;
    })
    .await;
    let (_, code) = s
        .campaign(json!({ "pb_wait": format!("{}/pb", dead.base),
                          "pb_approve": format!("{}/pb", slow.base) }))
        .await;
    let ann = SandboxUser::new(901, "Ann");
    s.start(&ann, &code, None).await;
    s.join(&ann, None).await;
    let rows = s.settled(2).await;
    let dead_row = rows.iter().find(|r| r["status"] == "wait").unwrap();
    assert_eq!(dead_row["state"], "failed", "{dead_row}");
    assert_eq!(dead_row["error"], "http");
    assert_eq!(dead_row["code"], 503);
    assert!(dead.hits().len() >= 2, "retried before giving up");
    let slow_row = rows.iter().find(|r| r["status"] == "approve").unwrap();
    assert_eq!(slow_row["state"], "failed", "{slow_row}");
    assert_eq!(slow_row["error"], "timeout");
    assert_eq!(slow_row["code"], 0);
}

#[tokio::test]
async fn a_leads_postbacks_go_out_in_the_order_of_its_status_changes() {
    let tracker = Tracker::start(Reply::status(200));
    // The first answer is slow and the second fails once: neither lets a
    // later postback of the lead overtake.
    tracker.script([
        Reply::status(200).after(Duration::from_millis(600)),
        Reply::status(503),
    ]);
    let s = setup(fast).await;
    let t = format!("{}/pb?status={{status}}", tracker.base);
    let (_, code) = s
        .campaign(json!({ "pb_wait": t, "pb_hold": t, "pb_approve": t, "pb_cancel": t }))
        .await;
    let ann = SandboxUser::new(951, "Ann");
    let t0 = chrono::Utc::now().timestamp() - 10;
    s.start(&ann, &code, Some(t0)).await;
    s.happen(SandboxEvent::JoinRequest {
        chat: chat(CHANNEL, "My Channel", "channel"),
        user: ann.clone(),
        invite_link: None,
        date: Some(t0 + 1),
    })
    .await;
    s.join(&ann, Some(t0 + 2)).await;
    s.leave(&ann, Some(t0 + 3)).await;
    s.settled(4).await;
    let statuses: Vec<String> = tracker.hits().iter().map(status_of).collect();
    assert_eq!(statuses, ["wait", "hold", "hold", "approve", "cancel"]);
}

#[tokio::test]
async fn blocked_addresses_are_refused_when_saved_and_when_a_name_resolves_to_one() {
    let tracker = Tracker::start(Reply::status(200));
    let s = setup(|s| s.postbacks.allow_private = false).await;
    let port = tracker.base.rsplit(':').next().unwrap().to_owned();
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "[::1]",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "[::ffff:127.0.0.1]",
        "[fd00::1]",
        "[fe80::1]",
        "0.0.0.0",
    ] {
        let url = format!("http://{host}:{port}/pb");
        let camp = s
            .app
            .api
            .post_json(
                "/api/camp/add.json",
                &s.acc.key,
                json!({ "bot": s.bot, "chat": CHANNEL, "welcome": "Hi", "pb_wait": url }),
            )
            .await;
        assert_eq!(error_of(&camp), Some("postback"), "{host}: {camp}");
        let profile = s
            .app
            .api
            .post_json(
                "/api/profile/postbacks.json",
                &s.acc.key,
                json!({ "pb_hold": url }),
            )
            .await;
        assert_eq!(error_of(&profile), Some("postback"), "{host}: {profile}");
    }
    // A name is checked when sent: localhost resolves to loopback.
    let (_, code) = s
        .campaign(json!({ "pb_wait": format!("http://localhost:{port}/pb") }))
        .await;
    s.start(&SandboxUser::new(990, "Ann"), &code, None).await;
    let rows = s.settled(1).await;
    assert_eq!(rows[0]["state"], "failed", "{rows:?}");
    assert_eq!(rows[0]["error"], "blocked");
    assert_eq!(rows[0]["code"], 0);
    assert_eq!(rows[0]["attempts"], 1, "blocked is not retried");
    assert!(tracker.hits().is_empty(), "no connection was made");
}

#[tokio::test]
async fn templates_are_validated_in_order_and_every_endpoint_keeps_to_its_account() {
    let s = setup(fast).await;
    for (extra, code) in [
        (json!({ "pb_wait": 7 }), "postback"),
        (json!({ "pb_wait": "ftp://t.example/x" }), "postback"),
        (json!({ "pb_trash": "https://" }), "postback"),
        (
            json!({ "pb_hold": format!("https://t.example/{}", "a".repeat(2048)) }),
            "postback",
        ),
        (json!({ "pb_hold": "not a url" }), "postback"),
        (json!({ "unsub_window": -1, "pb_wait": 7 }), "unsub"),
        (json!({ "button_text": "x", "pb_wait": 7 }), "button"),
    ] {
        let camp = s.add_campaign(&extra).await;
        assert_eq!(error_of(&camp), Some(code), "{extra}: {camp}");
    }
    let (camp, code) = s
        .campaign(json!({ "pb_wait": "https://t.example/pb?c={click}" }))
        .await;
    let got = s.camp_get(camp).await;
    assert_eq!(got["data"]["pb_wait"], "https://t.example/pb?c={click}");
    assert_eq!(got["data"]["pb_hold"], "");
    let bad_edit = s
        .app
        .api
        .post_json(
            "/api/camp/edit.json",
            &s.acc.key,
            json!({ "id": camp, "pb_wait": "", "pb_hold": "gopher://x" }),
        )
        .await;
    assert_eq!(error_of(&bad_edit), Some("postback"));
    let unchanged = s.camp_get(camp).await;
    assert_eq!(
        unchanged["data"]["pb_wait"], "https://t.example/pb?c={click}",
        "all or nothing"
    );

    s.start(&SandboxUser::new(991, "Ann"), &code, None).await;
    let lead =
        s.app.api.get("/api/leads/list.json", &s.acc.key, &[]).await["data"][0]["id"].to_string();

    // Another account sees none of it.
    let other = s.app.account().await;
    let api = &s.app.api;
    let camp_s = camp.to_string();
    assert_eq!(
        error_of(
            &api.get(
                "/api/postbacks/list.json",
                &other.key,
                &[("campaign", &camp_s)]
            )
            .await
        ),
        Some("campaign")
    );
    assert_eq!(
        error_of(
            &api.get("/api/postbacks/list.json", &other.key, &[("lead", &lead)])
                .await
        ),
        Some("lead")
    );
    assert_eq!(
        api.get("/api/postbacks/list.json", &other.key, &[]).await["total"],
        0
    );
    assert_eq!(
        error_of(
            &api.get("/api/leads/get.json", &other.key, &[("id", &lead)])
                .await
        ),
        Some("id")
    );
    let info = api.get("/api/profile/info.json", &other.key, &[]).await;
    assert_eq!(info["data"]["id"], other.id);
    assert_eq!(
        (
            info["data"]["bots"].clone(),
            info["data"]["campaigns"].clone()
        ),
        (json!(0), json!(0))
    );
    let mine = api.get("/api/profile/info.json", &s.acc.key, &[]).await;
    assert_eq!(
        (
            mine["data"]["bots"].clone(),
            mine["data"]["campaigns"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(mine["data"]["name"], "test");
    for (query, code) in [
        (vec![("state", "done")], "state"),
        (vec![("lead", "abc")], "lead"),
        (vec![("lead", "0")], "lead"),
        (vec![("campaign", "-1")], "campaign"),
        (vec![("limit", "201")], "limit"),
        (vec![("offset", "-1")], "offset"),
        (vec![("campaign", "99999"), ("state", "done")], "campaign"),
    ] {
        let got = api
            .get("/api/postbacks/list.json", &s.acc.key, &query)
            .await;
        assert_eq!(error_of(&got), Some(code), "{query:?}: {got}");
    }

    // The key rotates through the API; the old key stops at once.
    let rotated = api
        .post_json("/api/profile/apikey.json", &s.acc.key, json!({}))
        .await;
    let new_key = rotated["data"]["key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with(&format!("{}-", s.acc.id)), "{rotated}");
    assert_eq!(
        error_of(&api.get("/api/profile/info.json", &s.acc.key, &[]).await),
        Some("key")
    );
    assert_eq!(
        api.get("/api/profile/info.json", &new_key, &[]).await["status"],
        "ok"
    );
}

#[tokio::test]
async fn postback_metrics_count_results_and_latency() {
    let tracker = Tracker::start(Reply::status(200));
    tracker.script([Reply::status(500)]);
    let s = setup(fast).await;
    let (_, code) = s
        .campaign(json!({ "pb_wait": format!("{}/pb", tracker.base) }))
        .await;
    s.start(&SandboxUser::new(992, "Ann"), &code, None).await;
    s.settled(1).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = s.app.metrics_text().await;
        let has = |needle: &str| text.lines().any(|l| l.starts_with(needle));
        if has("postbacks_total{result=\"sent\",error=\"\"}")
            && has("postbacks_total{result=\"retry\",error=\"http\"}")
            && has("postback_retries_total")
            && has("postback_delivery_seconds_count")
        {
            break;
        }
        assert!(Instant::now() < deadline, "metrics missing:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_changes_of_different_templates_all_take_effect() {
    let s = setup(fast).await;
    let (camp, _) = s.campaign(json!({})).await;
    const NAMES: [&str; 5] = ["pb_wait", "pb_hold", "pb_approve", "pb_cancel", "pb_trash"];
    for round in 0..4 {
        let calls = NAMES.iter().flat_map(|name| {
            let url = format!("https://t.example/{round}/{name}");
            let api = s.app.api.clone();
            let key = s.acc.key.clone();
            let (profile_body, edit_body) =
                (json!({ *name: url }), json!({ "id": camp, *name: url }));
            let (api2, key2) = (api.clone(), key.clone());
            [
                tokio::spawn(async move {
                    api.post_json("/api/profile/postbacks.json", &key, profile_body)
                        .await
                }),
                tokio::spawn(async move {
                    api2.post_json("/api/camp/edit.json", &key2, edit_body)
                        .await
                }),
            ]
        });
        for answer in futures_util::future::join_all(calls).await {
            let answer = answer.unwrap();
            assert_eq!(answer["status"], "ok", "{answer}");
        }
        let profile = s
            .app
            .api
            .get("/api/profile/info.json", &s.acc.key, &[])
            .await;
        let got = s.camp_get(camp).await;
        for name in NAMES {
            let url = format!("https://t.example/{round}/{name}");
            assert_eq!(profile["data"][name], url, "round {round}: {profile}");
            assert_eq!(got["data"][name], url, "round {round}: {got}");
        }
    }
}
