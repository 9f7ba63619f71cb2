//! The subscriber flow against the real server, PostgreSQL and the
//! sandbox: a deep link's `/start` makes a lead and the bot greets the
//! person; join request, approval, leave move the lead; the journal
//! records it all.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usher_sandbox::{SandboxEvent, SandboxUser};
use usher_tests::{Account, TestApp, chat};

const WAIT: Duration = Duration::from_secs(10);
const CHANNEL: i64 = -1001234567890;

async fn campaign(app: &TestApp, acc: &Account, bot: i64, welcome: &str) -> Value {
    let added = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": bot, "chat": CHANNEL, "welcome": welcome }),
        )
        .await;
    assert_eq!(added["status"], "ok", "{added}");
    added["data"].clone()
}

/// Waits until the bot has sent `n` messages.
async fn messages(app: &TestApp, tg: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let sent = app.sandbox.messages(tg);
        if sent.len() >= n {
            return sent.into_iter().map(|m| m.message).collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} messages sent",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn lead_row(app: &TestApp, campaign: i64, subscriber: i64) -> (i16, String, bool) {
    let row = app
        .db
        .connect()
        .await
        .query_one(
            "SELECT status, click, join_time IS NOT NULL FROM leads WHERE campaign_id = $1 AND subscriber = $2",
            &[&campaign, &subscriber],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test(flavor = "multi_thread")]
async fn one_subscribers_whole_story() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "storybot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    let camp = campaign(
        &app,
        &acc,
        id,
        "Hi *{name}*, welcome to {title}! Your click: {click}",
    )
    .await;
    let code = camp["code"].as_str().unwrap().to_owned();
    let camp_id = camp["id"].as_i64().unwrap();

    let ann = SandboxUser::new(42, "a_b").with_username("ann");
    app.happen(
        bot.id,
        [SandboxEvent::Start {
            user: ann.clone(),
            payload: Some(format!("{code}-click_1")),
            date: None,
        }],
    )
    .await;
    let sent = messages(&app, bot.id, 1).await;
    assert_eq!(sent[0]["chat"]["id"], 42);
    assert_eq!(
        sent[0]["text"],
        "Hi a_b, welcome to My Channel! Your click: click_1"
    );
    assert_eq!(sent[0]["entities"][0]["type"], "bold");
    assert_eq!(
        lead_row(&app, camp_id, 42).await,
        (0, "click_1".into(), false)
    );

    app.happen(
        bot.id,
        [SandboxEvent::JoinRequest {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            invite_link: None,
            date: None,
        }],
    )
    .await;
    assert_eq!(lead_row(&app, camp_id, 42).await.0, 1, "hold");
    // The customer's admin approves; Telegram tells the bot.
    let approved: Value = reqwest::Client::new()
        .post(format!(
            "{}/bot{}/approveChatJoinRequest",
            app.sandbox.api_url(),
            bot.token
        ))
        .json(&json!({ "chat_id": CHANNEL, "user_id": 42 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(approved["result"], true);
    assert!(app.sandbox.wait_delivered(bot.id, WAIT).await);
    assert_eq!(
        lead_row(&app, camp_id, 42).await,
        (2, "click_1".into(), true),
        "approve"
    );

    app.happen(
        bot.id,
        [SandboxEvent::Leave {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            date: None,
        }],
    )
    .await;
    assert_eq!(lead_row(&app, camp_id, 42).await.0, 3, "cancel");
    // A re-join after leaving makes the lead approve again.
    app.happen(
        bot.id,
        [SandboxEvent::Join {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            invite_link: None,
            via_join_request: false,
            date: None,
        }],
    )
    .await;
    assert_eq!(lead_row(&app, camp_id, 42).await.0, 2, "re-joined");
    app.happen(
        bot.id,
        [SandboxEvent::Leave {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: ann.clone(),
            date: None,
        }],
    )
    .await;

    // Someone else joins on their own: journaled, unattributed.
    app.happen(
        bot.id,
        [SandboxEvent::Join {
            chat: chat(CHANNEL, "My Channel", "channel"),
            user: SandboxUser::new(77, "Org"),
            invite_link: None,
            via_join_request: false,
            date: None,
        }],
    )
    .await;
    let db = app.db.connect().await;
    let journal: Vec<(String, i64, bool)> = db
        .query(
            "SELECT action, user_id, lead_id <> 0 FROM journal WHERE bot_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        journal,
        vec![
            ("start".into(), 42, true),
            ("request".into(), 42, true),
            ("join".into(), 42, true),
            ("leave".into(), 42, true),
            ("join".into(), 42, true),
            ("leave".into(), 42, true),
            ("join".into(), 77, false),
        ]
    );
    let history: Vec<i16> = db
        .query(
            "SELECT h.status FROM lead_history h JOIN leads l ON l.id = h.lead_id WHERE l.campaign_id = $1 ORDER BY h.id",
            &[&camp_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(history, vec![0, 1, 2, 3, 2, 3]);
    let state: String = db
        .query_one(
            "SELECT state FROM outbox WHERE campaign_id = $1",
            &[&camp_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "sent");
}

/// A lead made through the sandbox for `app`'s account `acc`: its campaign id.
async fn one_lead(app: &TestApp, acc: &Account, username: &str) -> (i64, i64) {
    let (bot, id) = app.connected_bot(acc, username).await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    let camp = campaign(app, acc, id, "Hi {name}!").await;
    let code = camp["code"].as_str().unwrap().to_owned();
    app.happen(
        bot.id,
        [SandboxEvent::Start {
            user: SandboxUser::new(42, "Ann"),
            payload: Some(format!("{code}-c9")),
            date: None,
        }],
    )
    .await;
    messages(app, bot.id, 1).await;
    (camp["id"].as_i64().unwrap(), id)
}

#[tokio::test(flavor = "multi_thread")]
async fn leads_journal_and_stats_answer_the_story_and_only_to_its_account() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let other = app.account().await;
    let (camp, bot) = one_lead(&app, &acc, "readbot").await;

    let list = app.api.get("/api/leads/list.json", &acc.key, &[]).await;
    assert_eq!(list["status"], "ok", "{list}");
    assert_eq!(list["total"], 1);
    let lead = &list["data"][0];
    assert_eq!(lead["campaign"], camp);
    assert_eq!(lead["subscriber"], 42);
    assert_eq!(lead["click"], "c9");
    assert_eq!(lead["status"], 0);
    assert_eq!(lead["join_time"], "0000-00-00 00:00:00");
    let lead_id = lead["id"].as_i64().unwrap().to_string();
    let camp_s = camp.to_string();

    let filtered = app
        .api
        .get(
            "/api/leads/list.json",
            &acc.key,
            &[("campaign", &camp_s), ("status", "2")],
        )
        .await;
    assert_eq!(
        (filtered["total"].clone(), filtered["data"].clone()),
        (json!(0), json!([]))
    );

    // The sandbox has the message; usher records "sent" once Telegram's
    // answer is back, a moment later.
    let deadline = Instant::now() + WAIT;
    let got = loop {
        let got = app
            .api
            .get("/api/leads/get.json", &acc.key, &[("id", &lead_id)])
            .await;
        if got["data"]["welcome"]["state"] != "pending" || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(got["data"]["history"][0]["status"], 0);
    assert_eq!(got["data"]["welcome"]["state"], "sent");

    let journal = app
        .api
        .get(
            "/api/journal/list.json",
            &acc.key,
            &[("action", "start"), ("paid", "1")],
        )
        .await;
    assert_eq!(journal["total"], 1, "{journal}");
    assert_eq!(journal["data"][0]["bot"], bot);
    assert_eq!(journal["data"][0]["paid"], true);

    let days = app
        .api
        .get("/api/stats/days.json", &acc.key, &[("campaign", &camp_s)])
        .await;
    let days = days["data"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = days.last().unwrap();
    assert_eq!(
        (
            today["starts"].clone(),
            today["confirms"].clone(),
            today["cr"].clone()
        ),
        (json!(1), json!(0), json!(0.0))
    );

    // Another account sees nothing of it, and its ids are as unknown ones.
    let theirs = app.api.get("/api/leads/list.json", &other.key, &[]).await;
    assert_eq!(theirs["total"], 0);
    for (path, name, value) in [
        ("/api/leads/list.json", "campaign", camp_s.as_str()),
        ("/api/stats/days.json", "campaign", camp_s.as_str()),
        ("/api/journal/list.json", "bot", &bot.to_string()),
        ("/api/leads/get.json", "id", lead_id.as_str()),
    ] {
        let answer = app.api.get(path, &other.key, &[(name, value)]).await;
        let expected = if name == "id" { "id" } else { name };
        assert_eq!(answer["error"], expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_list_parameters_get_their_codes_in_order() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    for (path, query, code) in [
        ("/api/leads/list.json", vec![("campaign", "x")], "campaign"),
        ("/api/leads/list.json", vec![("campaign", "0")], "campaign"),
        (
            "/api/leads/list.json",
            vec![("campaign", "999999")],
            "campaign",
        ),
        ("/api/leads/list.json", vec![("status", "5")], "status"),
        (
            "/api/leads/list.json",
            vec![("campaign", "999999"), ("status", "9")],
            "campaign",
        ),
        (
            "/api/leads/list.json",
            vec![("status", "x"), ("limit", "0")],
            "status",
        ),
        ("/api/leads/list.json", vec![("from", "-1")], "from"),
        ("/api/leads/list.json", vec![("to", "1e3")], "to"),
        ("/api/leads/list.json", vec![("limit", "201")], "limit"),
        (
            "/api/leads/list.json",
            vec![("limit", "99999999999999999999")],
            "limit",
        ),
        ("/api/leads/list.json", vec![("offset", "-1")], "offset"),
        ("/api/leads/get.json", vec![], "id"),
        ("/api/leads/get.json", vec![("id", "abc")], "id"),
        ("/api/journal/list.json", vec![("bot", "7")], "bot"),
        ("/api/journal/list.json", vec![("chat", "0")], "chat"),
        (
            "/api/journal/list.json",
            vec![("action", "dance")],
            "action",
        ),
        ("/api/journal/list.json", vec![("paid", "2")], "paid"),
        (
            "/api/stats/days.json",
            vec![("from", "0"), ("to", "31708800")],
            "to",
        ),
        (
            "/api/stats/days.json",
            vec![("from", "100"), ("to", "99")],
            "to",
        ),
        ("/api/stats/days.json", vec![("from", "x")], "from"),
    ] {
        let answer = app.api.get(path, &acc.key, &query).await;
        assert_eq!(answer["error"], code, "{path} {query:?}: {answer}");
    }
    let year = app
        .api
        .get(
            "/api/stats/days.json",
            &acc.key,
            &[("from", "0"), ("to", "31535999")],
        )
        .await;
    assert_eq!(year["data"].as_array().unwrap().len(), 365);
}

#[tokio::test(flavor = "multi_thread")]
async fn campaign_settings_are_checked_and_edited() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let (bot, id) = app.connected_bot(&acc, "editbot").await;
    app.promote(bot.id, [chat(CHANNEL, "My Channel", "channel")])
        .await;
    for (extra, code) in [
        (json!({ "welcome": "join my_channel" }), "welcome"),
        (json!({ "welcome": "Hi", "button_text": "Join" }), "button"),
        (
            json!({ "welcome": "Hi", "button_text": "Join", "button_url": "javascript:x" }),
            "button",
        ),
        (json!({ "welcome": "Hi", "unsub_window": -1 }), "unsub"),
        (json!({ "welcome": "Hi", "unsub_window": "soon" }), "unsub"),
        (
            json!({ "welcome": "Hi", "button_text": 7, "unsub_window": -1 }),
            "button",
        ),
    ] {
        let mut body = json!({ "bot": id, "chat": CHANNEL });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let answer = app
            .api
            .post_json("/api/camp/add.json", &acc.key, body.clone())
            .await;
        assert_eq!(answer["error"], code, "{body}");
    }
    let camp = app
        .api
        .post_json(
            "/api/camp/add.json",
            &acc.key,
            json!({ "bot": id, "chat": CHANNEL, "welcome": r"my\_channel", "button_text": "Join",
                    "button_url": "https://t.me/+abc?c={click}", "unsub_window": 3600 }),
        )
        .await;
    assert_eq!(camp["status"], "ok", "{camp}");
    let camp_id = camp["data"]["id"].clone();
    assert_eq!(camp["data"]["unsub_window"], 3600);
    let edited = app
        .api
        .post_json(
            "/api/camp/edit.json",
            &acc.key,
            json!({ "id": camp_id, "button_text": "", "button_url": "" }),
        )
        .await;
    assert_eq!(
        (
            edited["data"]["button_text"].clone(),
            edited["data"]["welcome"].clone()
        ),
        (json!(""), json!(r"my\_channel"))
    );
    let edited = app
        .api
        .post_form(
            "/api/camp/edit.json",
            &acc.key,
            &[
                ("id", &camp_id.to_string()),
                ("welcome", "*New*"),
                ("unsub_window", "0"),
            ],
        )
        .await;
    assert_eq!(
        (
            edited["data"]["welcome"].clone(),
            edited["data"]["unsub_window"].clone()
        ),
        (json!("*New*"), json!(0))
    );
    for (body, code) in [
        (json!({ "welcome": "x" }), "id"),
        (json!({ "id": camp_id, "welcome": "*open" }), "welcome"),
        (
            json!({ "id": camp_id, "button_text": "only text" }),
            "button",
        ),
        (json!({ "id": camp_id, "unsub_window": 1.5 }), "unsub"),
    ] {
        let answer = app
            .api
            .post_json("/api/camp/edit.json", &acc.key, body.clone())
            .await;
        assert_eq!(answer["error"], code, "{body}");
    }
    let other = app.account().await;
    let answer = app
        .api
        .post_json(
            "/api/camp/edit.json",
            &other.key,
            json!({ "id": camp_id, "welcome": "x" }),
        )
        .await;
    assert_eq!(answer["error"], "id", "another account's campaign");
    app.api
        .post_json("/api/camp/del.json", &acc.key, json!({ "id": camp_id }))
        .await;
    let answer = app
        .api
        .post_json(
            "/api/camp/edit.json",
            &acc.key,
            json!({ "id": camp_id, "welcome": "x" }),
        )
        .await;
    assert_eq!(answer["error"], "id", "a deleted campaign");
}

/// stats/days.json, as the old counting query computed it straight from
/// `leads` and `lead_history`: the oracle for the rollup intake keeps.
const STATS_FROM_THE_LEADS: &str = "WITH days AS ( \
        SELECT d::date AS day FROM generate_series($2::text::date, $3::text::date, interval '1 day') AS d \
     ), s AS ( \
        SELECT (start_time AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM leads \
        WHERE account_id = $1 GROUP BY 1 \
     ), h AS ( \
        SELECT (at AT TIME ZONE 'UTC')::date AS day, \
               count(*) FILTER (WHERE status = 1) AS holds, \
               count(*) FILTER (WHERE status = 2) AS confirms, \
               count(*) FILTER (WHERE status IN (3, 4)) AS unsubs \
        FROM lead_history WHERE account_id = $1 GROUP BY 1 \
     ) \
     SELECT to_char(days.day, 'YYYY-MM-DD'), coalesce(s.n, 0), coalesce(h.holds, 0), \
            coalesce(h.confirms, 0), coalesce(h.unsubs, 0) \
     FROM days LEFT JOIN s USING (day) LEFT JOIN h USING (day) ORDER BY days.day";

#[tokio::test(flavor = "multi_thread")]
async fn stats_days_rollup_matches_the_leads_and_their_history() {
    let app = TestApp::start().await;
    let acc = app.account().await;
    let day = 86_400;
    let now = chrono::Utc::now().timestamp();
    let today = now - now.rem_euclid(day);
    // Two bots, each with a campaign, fed at once so that their batches race.
    let mut bots = Vec::new();
    for (n, name) in ["rollupbot1", "rollupbot2"].into_iter().enumerate() {
        let (bot, id) = app.connected_bot(&acc, name).await;
        let channel = CHANNEL - n as i64;
        app.promote(bot.id, [chat(channel, "Rollup", "channel")])
            .await;
        let added = app
            .api
            .post_json(
                "/api/camp/add.json",
                &acc.key,
                json!({ "bot": id, "chat": channel, "welcome": "Hi" }),
            )
            .await;
        assert_eq!(added["status"], "ok", "{added}");
        let code = added["data"]["code"].as_str().unwrap().to_owned();
        bots.push((bot.id, channel, code));
    }
    // Per person, 40 minutes apart from 20 hours ago (Telegram, and so the
    // sandbox, keeps no update older than a day): /start, then by the person
    // a join request, a join, a leave and a second join, half-hours apart.
    // Most runs span two UTC days.
    //
    // Telegram queues a private chat's messages apart from a user's member
    // updates and delivers the two queues in parallel, so a join can arrive
    // before the /start that made its lead and count as organic. The starts
    // go first, then the member updates, so the totals below are fixed.
    let (starts, members): (Vec<_>, Vec<_>) = bots
        .iter()
        .map(|(tg, channel, code)| {
            let mut starts = Vec::new();
            let mut members = Vec::new();
            for p in 0..24i64 {
                let user = SandboxUser::new(1_000 + p, "P");
                let room = chat(*channel, "Rollup", "channel");
                let at = |halves: i64| Some(now - 20 * 3_600 + p * 2_400 + halves * 1_800);
                starts.push(SandboxEvent::Start {
                    user: user.clone(),
                    payload: Some(format!("{code}-c{p}")),
                    date: at(0),
                });
                if p % 3 == 0 {
                    members.push(SandboxEvent::JoinRequest {
                        chat: room.clone(),
                        user: user.clone(),
                        invite_link: None,
                        date: at(1),
                    });
                }
                if p % 2 == 0 {
                    members.push(SandboxEvent::Join {
                        chat: room.clone(),
                        user: user.clone(),
                        invite_link: None,
                        via_join_request: p % 3 == 0,
                        date: at(2),
                    });
                }
                if p % 4 == 0 {
                    members.push(SandboxEvent::Leave {
                        chat: room.clone(),
                        user: user.clone(),
                        date: at(3),
                    });
                    members.push(SandboxEvent::Join {
                        chat: room,
                        user,
                        invite_link: None,
                        via_join_request: false,
                        date: at(4),
                    });
                }
            }
            ((*tg, starts), (*tg, members))
        })
        .unzip();
    for phase in [starts, members] {
        futures_util::future::join_all(
            phase.into_iter().map(|(tg, events)| app.happen(tg, events)),
        )
        .await;
    }

    let from = (today - 5 * day).to_string();
    let to = today.to_string();
    let answer = app
        .api
        .get(
            "/api/stats/days.json",
            &acc.key,
            &[("from", &from), ("to", &to)],
        )
        .await;
    let served: Vec<(String, i64, i64, i64, i64)> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let n = |k: &str| d[k].as_i64().unwrap();
            (
                d["day"].as_str().unwrap().to_owned(),
                n("starts"),
                n("holds"),
                n("confirms"),
                n("unsubs"),
            )
        })
        .collect();
    let date = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let (first, last) = (date(today - 5 * day), date(today));
    let expected: Vec<(String, i64, i64, i64, i64)> = app
        .db
        .connect()
        .await
        .query(STATS_FROM_THE_LEADS, &[&acc.id, &first, &last])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(served, expected);
    let starts: i64 = served.iter().map(|d| d.1).sum();
    let unsubs: i64 = served.iter().map(|d| d.4).sum();
    assert_eq!((starts, unsubs), (48, 12), "{served:?}");

    // The totals that the counters give (no time range) are those of
    // counting the rows (a time range that holds every row).
    let total = |path: &'static str, filters: Vec<(&'static str, String)>| {
        let app = &app;
        let key = acc.key.clone();
        async move {
            let query: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = app.api.get(path, &key, &query).await;
            assert_eq!(answer["status"], "ok", "{path} {filters:?}: {answer}");
            answer["total"].as_i64().unwrap()
        }
    };
    let everything = || vec![("from", "0".to_owned())];
    let campaigns: Vec<i64> = app
        .db
        .connect()
        .await
        .query(
            "SELECT id FROM campaigns WHERE account_id = $1 ORDER BY id",
            &[&acc.id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut lead_filters: Vec<Vec<(&str, String)>> = vec![vec![]];
    for campaign in &campaigns {
        lead_filters.push(vec![("campaign", campaign.to_string())]);
        for status in 0..5 {
            lead_filters.push(vec![("status", status.to_string())]);
            lead_filters.push(vec![
                ("campaign", campaign.to_string()),
                ("status", status.to_string()),
            ]);
        }
    }
    let leads = total("/api/leads/list.json", vec![]).await;
    assert_eq!(leads, 48);
    for filters in lead_filters {
        let counted = total("/api/leads/list.json", filters.clone()).await;
        let mut ranged = filters.clone();
        ranged.extend(everything());
        assert_eq!(
            counted,
            total("/api/leads/list.json", ranged).await,
            "leads {filters:?}"
        );
    }
    let mut journal_filters: Vec<Vec<(&str, String)>> = vec![vec![]];
    for paid in ["0", "1"] {
        journal_filters.push(vec![("paid", paid.to_owned())]);
    }
    for action in ["join", "leave", "request", "start"] {
        journal_filters.push(vec![("action", action.to_owned())]);
        journal_filters.push(vec![
            ("action", action.to_owned()),
            ("paid", "1".to_owned()),
        ]);
    }
    let events = total("/api/journal/list.json", vec![]).await;
    assert!(events > 48, "{events} journal events");
    for filters in journal_filters {
        let counted = total("/api/journal/list.json", filters.clone()).await;
        let mut ranged = filters.clone();
        ranged.extend(everything());
        assert_eq!(
            counted,
            total("/api/journal/list.json", ranged).await,
            "journal {filters:?}"
        );
    }
}
